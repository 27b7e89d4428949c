// RFC 3261 13.2.2.4: the UAC core ACKs every 2xx to its INVITE, retransmissions included. The
// stack remembers each ACK it sent (sendAck) for 64*T1 and generates it again (same CSeq and
// tags, a new branch: 8.1.1.7) when the 2xx comes again, at most MAX_REPEATS_PER_ACK times; the INVITE transaction keeps nothing of its TU after the
// final response (issue 8). Over real UDP, the callee a raw socket that resends its 200 as a
// UAS does until its ACK arrives (13.3.1.4).
import * as dgram from 'node:dgram';
import { Writable } from 'node:stream';
import { SipStack } from '../../../src/sip/stack';
import { MAX_REPEATS_PER_ACK } from '../../../src/sip/stack/ack-repeat';
import { dialogAsUac, inDialogRequest } from '../../../src/sip/message/dialog';
import type { SipRequest } from '../../../src/sip/message/types';
import { createLogger } from '../../../src/log';
import { header, headers, parseWire, rid, type WireMessage } from '../../helpers/sip-peer';
import { RawUa } from '../../helpers/raw-ua';
import { startServer } from '../../helpers/server';
import { requireSipp, sipp, sippPort } from '../../helpers/sipp';
import { RawMsrpPeer } from '../../helpers/msrp-peer';

const quiet = () => createLogger({ level: 'error', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

const until = async (pred: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** A UDP callee: answers the INVITE 200 and records every request; answer() sends that 200 again. */
async function udpCallee() {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const port = sock.address().port;
  const got: WireMessage[] = [];
  let ok: { text: string; to: dgram.RemoteInfo } | undefined;
  sock.on('message', (buf, from) => {
    const m = parseWire(buf);
    if (m === undefined) return;
    got.push(m);
    if (m.method === 'ACK' && api.loop && ok !== undefined) sock.send(ok.text, ok.to.port, ok.to.address);
    if (m.method === 'BYE') {
      const lines = ['SIP/2.0 200 OK', ...headers(m, 'via').map((v) => `Via: ${v}`), `From: ${header(m, 'from')}`, `To: ${header(m, 'to')}`, `Call-ID: ${header(m, 'call-id')}`, `CSeq: ${header(m, 'cseq')}`, 'Content-Length: 0', '', ''];
      sock.send(lines.join('\r\n'), from.port, from.address);
      return;
    }
    if (m.method !== 'INVITE') return;
    const lines = ['SIP/2.0 200 OK', ...headers(m, 'via').map((v) => `Via: ${v}`), `From: ${header(m, 'from')}`, `To: ${header(m, 'to')};tag=callee${rid()}`,
      `Call-ID: ${header(m, 'call-id')}`, `CSeq: ${header(m, 'cseq')}`, `Contact: <sip:bob@127.0.0.1:${port}>`, 'Content-Length: 0', '', ''];
    ok = { text: lines.join('\r\n'), to: from };
    sock.send(ok.text, from.port, from.address);
  });
  const api = {
    /** Answer every ACK with the 200 again (a looping peer). */
    loop: false,
    port,
    got,
    acks: () => got.filter((m) => m.method === 'ACK'),
    resend: () => {
      if (ok === undefined) throw new Error('no 200 sent yet');
      sock.send(ok.text, ok.to.port, ok.to.address);
    },
    /** The same 200 with another To tag: a second dialog, as from a fork beyond this hop. */
    resendAsFork: (tag: string) => {
      if (ok === undefined) throw new Error('no 200 sent yet');
      sock.send(ok.text.replace(/^(To: [^\r]*;tag=)[^;\r]+/m, `$1${tag}`), ok.to.port, ok.to.address);
    },
    close: () => sock.close(),
  };
  return api;
}

function invite(port: number): SipRequest {
  return {
    method: 'INVITE',
    uri: `sip:bob@127.0.0.1:${port}`,
    version: '2.0',
    headers: {
      via: [],
      'max-forwards': 70,
      from: { uri: 'sip:alice@localhost', params: { tag: `a${rid()}` } },
      to: { uri: 'sip:bob@localhost', params: {} },
      'call-id': `${rid()}@test`,
      cseq: { seq: 7, method: 'INVITE' },
      contact: [{ uri: 'sip:alice@127.0.0.1', params: {} }],
    },
    body: Buffer.alloc(0),
  } as unknown as SipRequest;
}

const udpStack = () =>
  SipStack.start(
    { bind: '127.0.0.1', port: 0, udp: true, tcp: false, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 64, overloadRetryAfterS: 5, logger: quiet() },
    (r) => r.reply(200),
  );

/** A UDP stack and a raw callee for one test, both closed after it. */
async function onStackAndCallee(fn: (stack: SipStack, bob: Awaited<ReturnType<typeof udpCallee>>) => Promise<void>): Promise<void> {
  const stack = await udpStack();
  const bob = await udpCallee();
  try {
    await fn(stack, bob);
  } finally {
    bob.close();
    await stack.close();
  }
}

/** The stack's INVITE to the raw callee answered 200 and ACKed once (CSeq 7). */
async function answeredAndAcked(stack: SipStack, bob: Awaited<ReturnType<typeof udpCallee>>): Promise<void> {
  const targets = [{ protocol: 'UDP' as const, address: '127.0.0.1', port: bob.port }];
  const rq = invite(bob.port);
  const rs = await stack.request(rq, { targets });
  expect(rs.status).toBe(200);
  stack.sendAck(inDialogRequest(dialogAsUac(rq, rs), 'ACK', { seq: 7 }), targets);
  await until(() => bob.acks().length === 1);
}

const topBranch = (m: WireMessage) => /;branch=([^;\s]+)/.exec(header(m, 'via') ?? '')?.[1];

describe('RFC 3261 13.2.2.4: a retransmitted 2xx is ACKed again', () => {
  test('the stack ACKs each copy of the 2xx again (same CSeq and tags, a new branch, RFC 3261 8.1.1.7), and counts it', async () => {
    await onStackAndCallee(async (stack, bob) => {
      await answeredAndAcked(stack, bob);
      bob.resend();
      await until(() => bob.acks().length === 2);
      bob.resend();
      await until(() => bob.acks().length === 3);
      const [first, ...again] = bob.acks();
      for (const a of again) {
        expect(header(a, 'cseq')).toBe('7 ACK');
        expect(header(a, 'to')).toBe(header(first, 'to'));
        expect(header(a, 'from')).toBe(header(first, 'from'));
        expect(header(a, 'call-id')).toBe(header(first, 'call-id'));
      }
      expect(new Set(bob.acks().map(topBranch)).size).toBe(3);
      expect(stack.stats.acksRepeated).toBe(2);
    });
  });

  test('a peer that answers every ACK with its 2xx again gets MAX_REPEATS_PER_ACK ACKs, then none (the loop ends, counted)', async () => {
    await onStackAndCallee(async (stack, bob) => {
      bob.loop = true;
      const targets = [{ protocol: 'UDP' as const, address: '127.0.0.1', port: bob.port }];
      const rq = invite(bob.port);
      const rs = await stack.request(rq, { targets });
      stack.sendAck(inDialogRequest(dialogAsUac(rq, rs), 'ACK', { seq: 7 }), targets);
      await until(() => stack.stats.acksWithheld === 1);
      await new Promise((r) => setTimeout(r, 200));
      expect(bob.acks()).toHaveLength(1 + MAX_REPEATS_PER_ACK);
      expect(stack.stats.acksRepeated).toBe(MAX_REPEATS_PER_ACK);
      expect(stack.stats.acksWithheld).toBe(1);
    });
  });

  test('a 2xx with another To tag after the first (a second dialog, attack finding F3) is ACKed and ended with BYE; at most 4 per INVITE', async () => {
    await onStackAndCallee(async (stack, bob) => {
      await answeredAndAcked(stack, bob);
      bob.resendAsFork('fork1');
      await until(() => bob.got.some((m) => m.method === 'BYE'));
      const forkTo = (m: WireMessage) => /;tag=fork1\b/.test(header(m, 'to') ?? '');
      await until(() => bob.acks().some(forkTo));
      const bye = bob.got.find((m) => m.method === 'BYE')!;
      expect(forkTo(bye)).toBe(true);
      expect(header(bye, 'call-id')).toBe(header(bob.acks()[0], 'call-id'));
      expect(header(bye, 'cseq')).toBe('8 BYE');
      expect(bye.startLine).toBe(`BYE sip:bob@127.0.0.1:${bob.port} SIP/2.0`);
      // a copy of that second 2xx is ACKed again, not ended twice
      bob.resendAsFork('fork1');
      await until(() => bob.acks().filter(forkTo).length === 2);
      // the first dialog is untouched: no BYE with its tag
      expect(bob.got.filter((m) => m.method === 'BYE')).toHaveLength(1);
      for (const t of ['fork2', 'fork3', 'fork4', 'fork5', 'fork6']) bob.resendAsFork(t);
      await until(() => stack.stats.acksWithheld === 2);
      await new Promise((r) => setTimeout(r, 200));
      expect(stack.stats.unwantedDialogsEnded).toBe(4);
      expect(bob.got.filter((m) => m.method === 'BYE')).toHaveLength(4);
    });
  });

  test('a 2xx the stack never ACKed (another Call-ID) gets no ACK from the memory', async () => {
    await onStackAndCallee(async (stack, bob) => {
      const targets = [{ protocol: 'UDP' as const, address: '127.0.0.1', port: bob.port }];
      expect((await stack.request(invite(bob.port), { targets })).status).toBe(200);
      // the TU never ACKed: a copy of the 2xx finds nothing to repeat
      bob.resend();
      await new Promise((r) => setTimeout(r, 300));
      expect(bob.acks()).toHaveLength(0);
      expect(stack.stats.acksRepeated).toBe(0);
    });
  });
});

describe('RFC 3261 13.2.2.4 through the B2BUA: the callee leg over UDP', () => {
  test('a callee whose first ACK was lost resends its 200: imedge ACKs it again and the session stays up', async () => {
    const s = await startServer({ env: { IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' } });
    try {
      const alice = await RawUa.open('alice', s.sipPort);
      const bob = await RawUa.open('bob', s.sipPort);
      expect((await alice.invite('bob')).status).toBe(200);
      await bob.incomingReady;
      await until(() => bob.acks.length === 1);
      bob.resendAnswer();
      await until(() => bob.acks.length === 2);
      expect(header(bob.acks[1], 'cseq')).toBe(header(bob.acks[0], 'cseq'));
      expect(header(bob.acks[1], 'to')).toBe(header(bob.acks[0], 'to'));
      expect(bob.byes).toHaveLength(0);
      const metrics = await (await fetch(`http://127.0.0.1:${s.httpPort}/metrics`)).text();
      expect(/^imedge_sip_acks_repeated_total (\d+)/m.exec(metrics)?.[1]).toBe('1');
      await alice.close();
      await bob.close();
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });
});

describe('RFC 3261 13.2.2.4 with a peer we did not write: SIPp as the UDP callee', () => {
  test('SIPp resends its 200 after the first ACK: imedge ACKs it again, and the session still ends with a BYE SIPp answers', async () => {
    requireSipp();
    const s = await startServer({ env: { IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' } });
    const peer = await RawMsrpPeer.listen();
    try {
      const port = sippPort();
      const reg = await sipp(s.sipPort, 'register-expect-200.xml', { service: 'bob', localPort: port });
      expect(reg.code).toBe(0);
      const callee = sipp(s.sipPort, 'invite-uas-200-resend-expect-ack-twice.xml', {
        service: 'bob', localPort: port, timeoutS: 20, keys: { msrp_path: peer.uri, setup_attr: 'setup:passive' },
      });
      // SIPp binds its port after start-up; the INVITE must not arrive before
      await new Promise((r) => setTimeout(r, 300));
      const alice = await RawUa.open('alice', s.sipPort);
      expect((await alice.invite('bob')).status).toBe(200);
      await until(() => alice.dialog !== undefined);
      const metrics = async () => (await (await fetch(`http://127.0.0.1:${s.httpPort}/metrics`)).text());
      let text = '';
      const end = Date.now() + 8000;
      while (!/^imedge_sip_acks_repeated_total 1$/m.test((text = await metrics())) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(/^imedge_sip_acks_repeated_total (\d+)/m.exec(text)?.[1]).toBe('1');
      expect((await alice.requestInDialog('BYE')).status).toBe(200);
      const done = await callee;
      expect({ code: done.code, out: done.code === 0 ? '' : done.out }).toEqual({ code: 0, out: '' });
      await alice.close();
    } finally {
      await peer.close();
      expect(await s.stop()).toBe(0);
    }
  });
});

describe('RFC 3261 13.3.1.4 as UAS: a 2xx resent until the ACK is one answer (attack finding F2, issue 8)', () => {
  test('a caller that ACKs late gets the 2xx again, and the incoming in-flight count goes back to 0, not below', async () => {
    const s = await startServer({ env: { IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' } });
    try {
      const alice = await RawUa.open('alice', s.sipPort);
      const bob = await RawUa.open('bob', s.sipPort);
      expect((await alice.invite('bob', { ackDelayMs: 1700 })).status).toBe(200);
      await bob.incomingReady;
      const inFlight = async () => {
        const text = await (await fetch(`http://127.0.0.1:${s.httpPort}/metrics`)).text();
        return Number(/^imedge_sip_in_flight\{direction="incoming"\} (-?\d+)/m.exec(text)?.[1]);
      };
      await new Promise((r) => setTimeout(r, 300));
      // the 2xx went at least twice before the ACK (T1 = 500 ms, doubling)
      expect(alice.peer.responses.filter((m) => m.status === 200 && header(m, 'cseq') === '1 INVITE').length).toBeGreaterThanOrEqual(2);
      expect(await inFlight()).toBe(0);
      await alice.close();
      await bob.close();
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });
});
