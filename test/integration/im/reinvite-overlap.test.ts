// Outside attack findings on a re-INVITE imedge is still relaying (the other side has answered
// 100 only): a CANCEL of it got 481, and a second re-INVITE from the same side got 491.
// RFC 3261 9.2: the CANCEL is answered 200 and the re-INVITE ends 487 (imedge passes the CANCEL
// on and relays the other side's final answer); 14.2: a second INVITE on a dialog before the
// first one's final answer gets 500 with a Retry-After of 0-10 s, while an INVITE that crosses
// the one imedge itself sent on that dialog gets 491. Real server, loopback, raw UAs.
import { startServer, type ServerHandle } from '../../helpers/server';
import { RawUa, msrpOffer } from '../../helpers/raw-ua';
import { header, type WireMessage } from '../../helpers/sip-peer';
import { branchOf, holdWithTrying } from '../../helpers/reinvite';
import { requireSipp, sipp, sippPort } from '../../helpers/sipp';
import { RawMsrpPeer } from '../../helpers/msrp-peer';

const until = async (pred: () => boolean, what: string, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`condition not met in time: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** A re-INVITE from `ua` with its bytes, so a CANCEL can name its transaction (same Via, CSeq number). */
function reinviteOf(ua: RawUa): { bytes: Buffer; cseq: number; answer: Promise<WireMessage> } {
  const d = ua.dialog!;
  d.cseq += 1;
  const body = Buffer.from(msrpOffer(ua['msrpUri' as never], { acceptTypes: ['text/plain'] }));
  const bytes = ua.inDialogBytes('INVITE', d.cseq, ['Content-Type: application/sdp'], body);
  const answer = ua.peer.requestRaw(bytes, `${d.callId}|${d.cseq} INVITE`, 15_000);
  return { bytes, cseq: d.cseq, answer };
}

/** imedge's a=path in the answer a UA got to its INVITE (the MSRP URI it connected to). */
function sdpPathOf(ua: RawUa): string {
  return (ua.endpoint as unknown as { opts: { remotePath: readonly string[] } }).opts.remotePath[0];
}

function cancelOf(ua: RawUa, inv: { bytes: Buffer; cseq: number }): Promise<WireMessage> {
  const d = ua.dialog!;
  const text = inv.bytes.toString('latin1');
  const line = (name: string) => new RegExp(`^${name}: .*$`, 'm').exec(text)![0];
  const raw = [
    `CANCEL ${d.remoteTarget} SIP/2.0`,
    line('Via'),
    'Max-Forwards: 70',
    line('From'),
    line('To'),
    line('Call-ID'),
    `CSeq: ${inv.cseq} CANCEL`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return ua.peer.requestRaw(Buffer.from(raw), `${d.callId}|${inv.cseq} CANCEL`);
}

/**
 * SIPp registered as bob-<tag>, a passive callee (its a=path is a listening RawMsrpPeer that
 * imedge dials) that holds the re-INVITE at 100 and expects a CANCEL; alice-<tag> has called it.
 */
async function sippHoldingCallee(s: ServerHandle, tag: string, uas: RawUa[]) {
  requireSipp();
  const peer = await RawMsrpPeer.listen();
  const bob = `bob-${tag}`;
  const port = sippPort();
  expect((await sipp(s.sipPort, 'register-expect-200.xml', { service: bob, localPort: port })).code).toBe(0);
  const callee = sipp(s.sipPort, 'invite-uas-200-msrp-reinvite-100-expect-cancel.xml', { service: bob, localPort: port, timeoutS: 20, keys: { msrp_path: peer.uri } });
  await new Promise((r) => setTimeout(r, 300)); // SIPp binds its port after start-up
  const alice = await RawUa.open(`alice-${tag}`, s.sipPort);
  uas.push(alice);
  expect((await alice.invite(bob)).status).toBe(200);
  return { peer, callee, alice };
}

describe('RFC 3261 9.2 / 14.2: requests that meet a re-INVITE imedge is still relaying', () => {
  let s: ServerHandle;
  const uas: RawUa[] = [];
  beforeAll(async () => {
    s = await startServer({ env: { IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' } });
  });
  afterAll(async () => {
    for (const u of uas) await u.close();
    expect(await s.stop()).toBe(0);
  });

  async function session(tag: string): Promise<[RawUa, RawUa]> {
    const alice = await RawUa.open(`alice-ov${tag}`, s.sipPort);
    const bob = await RawUa.open(`bob-ov${tag}`, s.sipPort);
    uas.push(alice, bob);
    expect((await alice.invite(bob.user)).status).toBe(200);
    await bob.incomingReady;
    return [alice, bob];
  }

  test('RFC 3261 9.2: CANCEL of a pending re-INVITE gets 200, the other side gets a CANCEL, the re-INVITE ends 487; the session goes on', async () => {
    const [alice, bob] = await session('c');
    const seen = holdWithTrying(bob, true);
    const inv = reinviteOf(alice);
    await until(() => seen.reinvites.length === 1, 're-INVITE at the callee');
    await new Promise((r) => setTimeout(r, 100)); // its 100 reached imedge
    const cancel = await cancelOf(alice, inv);
    expect(cancel.status).toBe(200);
    expect((await inv.answer).status).toBe(487);
    expect(seen.cancels).toHaveLength(1);
    expect(branchOf(seen.cancels[0])).toBe(branchOf(seen.reinvites[0]));
    // the session is still up: a later re-INVITE the callee answers goes through
    seen.restore();
    expect((await alice.requestInDialog('INVITE', ['Content-Type: application/sdp'], Buffer.from(msrpOffer(alice['msrpUri' as never], { acceptTypes: ['text/plain'] })))).status).toBe(200);
    expect(bob.byes).toHaveLength(0);
  });

  test('RFC 4975 7.3 / 8.2: a re-INVITE whose a=path names a new MSRP URI gets 488 (not 200 and ignored); the session goes on on the old one (attack t14 #3)', async () => {
    const [alice, bob] = await session('p');
    const moved = `msrp://127.0.0.1:9/moved${Date.now()};tcp`;
    const rs = await alice.requestInDialog('INVITE', ['Content-Type: application/sdp'], Buffer.from(msrpOffer(moved, { acceptTypes: ['text/plain'] })));
    expect(rs.status).toBe(488);
    expect(bob.invites.filter((m) => /;tag=/.test(header(m, 'to') ?? ''))).toHaveLength(0);
    await alice.endpoint!.send(Buffer.from('same path still'), { contentType: 'text/plain' });
    await until(() => bob.messages.length === 1, 'message at bob');
    // the same URI again is a plain re-offer: 200
    expect((await alice.requestInDialog('INVITE', ['Content-Type: application/sdp'], Buffer.from(msrpOffer(alice['msrpUri' as never], { acceptTypes: ['text/plain'] })))).status).toBe(200);
  });

  test('RFC 3261 9.2: a CANCEL naming no pending transaction of the dialog still gets 481', async () => {
    const [alice] = await session('n');
    const inv = { bytes: Buffer.from(`INVITE x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${alice.peer.port};branch=z9hG4bKnone${Date.now()}\r\nFrom: <${alice.dialog!.localUri}>;tag=${alice.dialog!.localTag}\r\nTo: <${alice.dialog!.remoteUri}>;tag=${alice.dialog!.remoteTag}\r\nCall-ID: ${alice.dialog!.callId}\r\n`), cseq: alice.dialog!.cseq + 1 };
    expect((await cancelOf(alice, inv)).status).toBe(481);
  });

  test('RFC 3261 14.2: a second re-INVITE from the same side before the first one\'s answer gets 500 with Retry-After 0-10; from the other side 491', async () => {
    const [alice, bob] = await session('o');
    bob.holdReinvite = true;
    const first = reinviteOf(alice);
    await until(() => bob.heldReinvites.length === 1, 're-INVITE held at the callee');
    const second = await reinviteOf(alice).answer;
    expect(second.status).toBe(500);
    const ra = header(second, 'retry-after');
    expect(ra).toMatch(/^\d+$/);
    expect(Number(ra)).toBeGreaterThanOrEqual(0);
    expect(Number(ra)).toBeLessThanOrEqual(10);
    // the callee's own re-INVITE crosses the one imedge sent it: glare, 491
    const crossing = await reinviteOf(bob).answer;
    expect(crossing.status).toBe(491);
    // the first one still completes
    bob.answerHeldReinvite();
    expect((await first.answer).status).toBe(200);
    alice.sendInDialog('ACK', first.cseq);
  });

  test.each([
    ['an answer in the ACK', true],
    ['an ACK without a body', false],
  ])('RFC 3261 14.1 / 13.2.1: a re-INVITE without an offer gets 200 with imedge\'s offer (same path); %s keeps the session working', async (_what, withAnswer) => {
    const [alice, bob] = await session(withAnswer ? 'da' : 'de');
    const before = sdpPathOf(alice);
    const d = alice.dialog!;
    d.cseq += 1;
    const rs = await alice.peer.requestRaw(alice.inDialogBytes('INVITE', d.cseq, []), `${d.callId}|${d.cseq} INVITE`);
    expect(rs.status).toBe(200);
    expect(header(rs, 'content-type')).toBe('application/sdp');
    const offer = rs.body.toString();
    expect(offer).toContain('m=message ');
    expect(offer).toContain('a=accept-types:text/plain message/cpim');
    // the running MSRP connection is kept: imedge offers the path the client already uses
    expect(/a=path:(\S+)/.exec(offer)?.[1]).toBe(before);
    // RFC 3264 5: the answer comes in the ACK (here narrowing alice's accept-types to text/plain)
    const answer = withAnswer ? Buffer.from(msrpOffer(alice['msrpUri' as never], { acceptTypes: ['text/plain'], setup: 'active' })) : Buffer.alloc(0);
    alice.peer.sendRaw(alice.inDialogBytes('ACK', d.cseq, withAnswer ? ['Content-Type: application/sdp'] : [], answer));
    await alice.endpoint!.send(Buffer.from('after the refresh'), { contentType: 'text/plain' });
    await until(() => bob.messages.length === 1, 'message at bob');
    expect(bob.messages[0].body.toString()).toBe('after the refresh');
    // what alice answered is now her description: imedge's offer to bob carries her accept-types
    const bd = bob.dialog!;
    bd.cseq += 1;
    const toBob = await bob.peer.requestRaw(bob.inDialogBytes('INVITE', bd.cseq, []), `${bd.callId}|${bd.cseq} INVITE`);
    expect(toBob.status).toBe(200);
    bob.sendInDialog('ACK', bd.cseq);
    expect(toBob.body.toString()).toContain(withAnswer ? 'a=accept-types:text/plain\r\n' : 'a=accept-types:text/plain message/cpim');
    expect(bob.byes).toHaveLength(0);
    expect((await alice.requestInDialog('BYE')).status).toBe(200);
  });

  test('RFC 3261 9.2 with a peer we did not write: SIPp as the callee holds the re-INVITE at 100, gets the CANCEL (same branch), answers 487; the caller\'s re-INVITE ends 487 and the session then ends with BYE', async () => {
    const { peer, callee, alice } = await sippHoldingCallee(s, 'ovsipp', uas);
    try {
      const inv = reinviteOf(alice);
      await new Promise((r) => setTimeout(r, 300)); // relayed, and held at 100 by SIPp
      expect((await cancelOf(alice, inv)).status).toBe(200);
      expect((await inv.answer).status).toBe(487);
      expect((await alice.requestInDialog('BYE')).status).toBe(200);
      const done = await callee;
      expect({ code: done.code, out: done.code === 0 ? '' : done.out }).toEqual({ code: 0, out: '' });
    } finally {
      await peer.close();
    }
  });
});

describe('RFC 3261 13.3.1.4: the 2xx to a re-INVITE over UDP is resent until its ACK', () => {
  let s: ServerHandle;
  const uas: RawUa[] = [];
  beforeAll(async () => {
    // T1 = 20 ms: 64*T1 is 1.28 s
    s = await startServer({ env: { IMEDGE_SIP__T1_MS: '20', IMEDGE_SIP__T2_MS: '80', IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' } });
  });
  afterAll(async () => {
    for (const u of uas) await u.close();
    expect(await s.stop()).toBe(0);
  });

  test.each([
    ['with an offer, ACKed after its first copy: the copies stop, the session goes on', true, true],
    ['without an offer, ACKed after its first copy: the copies stop, the session goes on', false, true],
    ['with an offer, never ACKed: resent, then the session is released with BYE after 64*T1', true, false],
  ])('%s', async (_what, withOffer, acked) => {
    const tag = `${withOffer ? 'o' : 'n'}${acked ? 'a' : 'x'}`;
    const alice = await RawUa.open(`alice-2xx${tag}`, s.sipPort);
    const bob = await RawUa.open(`bob-2xx${tag}`, s.sipPort);
    uas.push(alice, bob);
    expect((await alice.invite(bob.user)).status).toBe(200);
    await bob.incomingReady;
    const d = alice.dialog!;
    d.cseq += 1;
      const body = withOffer ? Buffer.from(msrpOffer(alice['msrpUri' as never], { acceptTypes: ['text/plain'] })) : Buffer.alloc(0);
    const key = `${d.callId}|${d.cseq} INVITE`;
    const copies = () => alice.peer.responses.filter((m) => `${header(m, 'call-id')}|${header(m, 'cseq')}` === key && m.status === 200).length;
    expect((await alice.peer.requestRaw(alice.inDialogBytes('INVITE', d.cseq, withOffer ? ['Content-Type: application/sdp'] : [], body), key)).status).toBe(200);
    if (acked) {
      alice.peer.sendRaw(alice.inDialogBytes('ACK', d.cseq, []));
      await new Promise((r) => setTimeout(r, 400));
      const n = copies();
      await new Promise((r) => setTimeout(r, 400));
      expect(copies()).toBe(n);
      await alice.endpoint!.send(Buffer.from('still here'), { contentType: 'text/plain' });
      await until(() => bob.messages.length === 1, 'message at bob');
      expect(bob.byes).toHaveLength(0);
      expect((await alice.requestInDialog('BYE')).status).toBe(200);
    } else {
      await until(() => copies() >= 3, 'the 200 resent');
      await until(() => bob.byes.length === 1, 'BYE to the other side once 64*T1 passed', 5000);
      await s.waitForLog((l) => l.msg === 'no ACK for our 2xx to a re-INVITE: releasing the session');
    }
  });
});

// Outside attack (session 13, F2): a callee that answers a re-INVITE with 100 and nothing more
// held the dialog's offer/answer for ever, and every later re-INVITE got 500.
describe('RFC 3261 16.8 / 9.1: a relayed re-INVITE left at 100 is CANCELed after sessions.setupTimeoutMs', () => {
  let s: ServerHandle;
  const uas: RawUa[] = [];
  beforeAll(async () => {
    // T1 = 20 ms: a CANCEL left unanswered is given up after 64*T1 = 1.28 s
    s = await startServer({ env: { IMEDGE_SESSIONS__SETUP_TIMEOUT_MS: '800', IMEDGE_SIP__T1_MS: '20', IMEDGE_SIP__T2_MS: '80', IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' } });
  });
  afterAll(async () => {
    for (const u of uas) await u.close();
    expect(await s.stop()).toBe(0);
  });

  test.each([
    ['answers the CANCEL and ends the re-INVITE 487', true],
    ['answers the CANCEL but never ends the re-INVITE', false],
  ])('RFC 3261 16.8: a callee that %s: the client gets 408, the next re-INVITE goes through', async (_what, polite) => {
    const tag = polite ? 'tp' : 'tr';
    const alice = await RawUa.open(`alice-${tag}`, s.sipPort);
    const bob = await RawUa.open(`bob-${tag}`, s.sipPort);
    uas.push(alice, bob);
    expect((await alice.invite(bob.user)).status).toBe(200);
    await bob.incomingReady;
    const seen = holdWithTrying(bob, polite);
    const started = Date.now();
    const inv = reinviteOf(alice);
    const rs = await inv.answer;
    expect(rs.status).toBe(408);
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    // the 408 comes at the timeout, not once the CANCEL is given up 64*T1 later (attack t14 #2)
    const givenUp = () => s.lines.some((l) => String(l.msg).startsWith('cancelled INVITE got no final response'));
    expect(givenUp()).toBe(false);
    await until(() => seen.cancels.length === 1, 'CANCEL at the callee');
    if (!polite) await until(givenUp, 'the unanswered CANCEL given up after 64*T1');
    expect(branchOf(seen.cancels[0])).toBe(branchOf(seen.reinvites[0]));
    alice.sendInDialog('ACK', inv.cseq);
    await s.waitForLog((l) => l.msg === 're-INVITE got no final answer in time: CANCELed, client answered 408');
    // the dialog is free again: a re-INVITE the callee answers gets 200, messages still flow
    seen.restore();
    expect((await alice.requestInDialog('INVITE', ['Content-Type: application/sdp'], Buffer.from(msrpOffer(alice['msrpUri' as never], { acceptTypes: ['text/plain'] })))).status).toBe(200);
    await alice.endpoint!.send(Buffer.from('after the timeout'), { contentType: 'text/plain' });
    await until(() => bob.messages.length === 1, 'message at bob');
    expect(bob.byes).toHaveLength(0);
  });

  test('RFC 3261 16.8 with a peer we did not write: SIPp as a passive callee (imedge dials its MSRP path) holds the re-INVITE at 100, gets imedge\'s CANCEL (same branch), answers 487; the client got 408', async () => {
    const { peer, callee, alice } = await sippHoldingCallee(s, 'tosipp', uas);
    try {
      const inv = reinviteOf(alice);
      expect((await inv.answer).status).toBe(408);
      alice.sendInDialog('ACK', inv.cseq);
      // the 408 goes before SIPp's 487 to the CANCEL: let imedge ACK that 487 before the BYE
      await new Promise((r) => setTimeout(r, 500));
      expect((await alice.requestInDialog('BYE')).status).toBe(200);
      const done = await callee;
      expect({ code: done.code, out: done.code === 0 ? '' : done.out }).toEqual({ code: 0, out: '' });
    } finally {
      await peer.close();
    }
  });
});
