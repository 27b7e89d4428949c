// RFC 3261 17.2.1: the INVITE server transaction sends 100 (Trying) only when the TU has not
// answered within 200 ms. Over real UDP: a raw caller sends each INVITE and records every
// response with the time it came, against a stack whose handler answers at once, late, with
// a provisional first, or not at all.
import * as dgram from 'node:dgram';
import { Writable } from 'node:stream';
import { SipStack, type IncomingRequest } from '../../../src/sip/stack';
import { TRYING_WITHIN_MS } from '../../../src/sip/stack/stack';
import { createLogger } from '../../../src/log';
import { header, parseWire, rid, type WireMessage } from '../../helpers/sip-peer';
import { requireSipp, sipp, sippPort } from '../../helpers/sipp';

const quiet = () => createLogger({ level: 'error', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Timed {
  at: number;
  m: WireMessage;
}

/** A raw UDP caller: request() sends one request and returns what came back within waitMs. */
async function rawCaller(stackPort: number) {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const port = sock.address().port;
  let got: Timed[] = [];
  sock.on('message', (buf) => {
    const m = parseWire(buf);
    if (m !== undefined) got.push({ at: Date.now(), m });
  });
  return {
    async request(method: string, waitMs: number): Promise<{ sentAt: number; got: Timed[] }> {
      got = [];
      const lines = [
        `${method} sip:bob@127.0.0.1:${stackPort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${rid()}`,
        'Max-Forwards: 70',
        `From: <sip:alice@localhost>;tag=a${rid()}`,
        'To: <sip:bob@localhost>',
        `Call-ID: ${rid()}@test`,
        `CSeq: 1 ${method}`,
        `Contact: <sip:alice@127.0.0.1:${port}>`,
        'Content-Length: 0',
        '',
        '',
      ];
      const sentAt = Date.now();
      sock.send(lines.join('\r\n'), stackPort, '127.0.0.1');
      await sleep(waitMs);
      return { sentAt, got };
    },
    close: () => sock.close(),
  };
}

async function withStack(answer: (r: IncomingRequest) => void, fn: (caller: Awaited<ReturnType<typeof rawCaller>>) => Promise<void>): Promise<void> {
  const stack = await SipStack.start(
    { bind: '127.0.0.1', port: 0, udp: true, tcp: false, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 64, overloadRetryAfterS: 5, logger: quiet() },
    answer,
  );
  const caller = await rawCaller(stack.port);
  try {
    await fn(caller);
  } finally {
    caller.close();
    await stack.close();
  }
}

const statuses = (got: Timed[]) => got.map((t) => t.m.status);

describe('RFC 3261 17.2.1: 100 (Trying) only when the INVITE is not answered within 200 ms', () => {
  test('an INVITE answered at once gets its final response and no 100', async () => {
    await withStack(
      (r) => r.reply(486),
      async (caller) => {
        const { got } = await caller.request('INVITE', TRYING_WITHIN_MS + 300);
        expect(statuses(got)).toEqual([486]);
      },
    );
  });

  test('an INVITE the TU answers after 600 ms gets one 100 at about 200 ms, then the final', async () => {
    await withStack(
      (r) => {
        setTimeout(() => r.reply(200), 600);
      },
      async (caller) => {
        const { sentAt, got } = await caller.request('INVITE', 900);
        expect(statuses(got)).toEqual([100, 200]);
        const after = got[0].at - sentAt;
        expect(after).toBeGreaterThanOrEqual(TRYING_WITHIN_MS - 20);
        expect(after).toBeLessThan(500); // before a UDP caller's first retransmission (T1)
        expect(header(got[0].m, 'to')).not.toMatch(/tag=/); // 8.2.6.2: a 100 adds no To tag
      },
    );
  });

  test('a provisional response sent within 200 ms stands in for the 100', async () => {
    await withStack(
      (r) => {
        setTimeout(() => r.reply(180), 50);
        setTimeout(() => r.reply(200), 500);
      },
      async (caller) => {
        const { got } = await caller.request('INVITE', 800);
        expect(statuses(got)).toEqual([180, 200]);
      },
    );
  });

  test('a non-INVITE answered late gets no 100 (17.2.2: the TU answers it)', async () => {
    await withStack(
      (r) => {
        setTimeout(() => r.reply(200), 400);
      },
      async (caller) => {
        const { got } = await caller.request('OPTIONS', 700);
        expect(statuses(got)).toEqual([200]);
      },
    );
  });

  test('a stack closed before the 200 ms passes sends nothing afterwards (the timer dies with it)', async () => {
    const stack = await SipStack.start(
      { bind: '127.0.0.1', port: 0, udp: true, tcp: false, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 64, overloadRetryAfterS: 5, logger: quiet() },
      () => undefined,
    );
    const caller = await rawCaller(stack.port);
    try {
      const pending = caller.request('INVITE', TRYING_WITHIN_MS + 200);
      await sleep(50);
      await stack.close();
      const { got } = await pending;
      expect(statuses(got)).toEqual([]);
    } finally {
      caller.close();
    }
  });
});

describe('RFC 3261 17.2.1 with SIPp as the UDP caller (a peer we did not write)', () => {
  beforeAll(() => requireSipp());

  async function sippAgainst(answer: (r: IncomingRequest) => void, scenario: string): Promise<{ code: number | null; out: string }> {
    const stack = await SipStack.start(
      { bind: '127.0.0.1', port: 0, udp: true, tcp: false, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 64, overloadRetryAfterS: 5, logger: quiet() },
      answer,
    );
    try {
      return await sipp(stack.port, scenario, { service: 'bob', localPort: sippPort(), timeoutS: 5 });
    } finally {
      await stack.close();
    }
  }

  test('answered after 600 ms: SIPp requires the 100 before the 200 and completes the call', async () => {
    const r = await sippAgainst((req) => void setTimeout(() => req.reply(200), 600), 'invite-expect-100-then-200.xml');
    expect({ code: r.code, out: r.code === 0 ? '' : r.out }).toEqual({ code: 0, out: '' });
  });

  test('answered at once: SIPp gets the 486 and no 100 it would abort on', async () => {
    const r = await sippAgainst((req) => req.reply(486), 'invite-expect-486-no-100.xml');
    expect({ code: r.code, out: r.code === 0 ? '' : r.out }).toEqual({ code: 0, out: '' });
  });
});
