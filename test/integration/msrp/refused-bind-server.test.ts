// Outside attack (session 13, F1), on the running server: alice's MSRP connection to imedge is
// bound to her session 1; a request for her session 2 sent on that same connection was refused,
// yet session 2 was bound to that connection anyway, so the connection session 2 really belongs
// to got 506 afterwards. RFC 4975 5.4: a session is bound by the request that is taken on a
// connection; a refused request (481, 501...) binds nothing (7.3: From-Path checked first).
// Each case: alice's shared connection is bound to session 1; a request for session 2 on it is
// refused; session 2's rightful owner then binds it from its own connection (200), messages
// cross session 2 both ways, and session 1 still works on the shared connection.
//
// What reproduced on the old code: the request passed the connection's checks (From-Path
// right, or not checkable yet because the callee's answer had not brought its a=path), so the
// connection bound the session and only then handed the head on: the relay refused it (481
// peer not connected: the caller is answered only once the callee's leg is up), or the
// connection itself did (501 for an unknown method), and the session stayed bound. The wrong
// From-Path cases on sessions whose a=path is known never bound; they stay here as guards.
import { randomBytes } from 'node:crypto';
import { startServer, type ServerHandle } from '../../helpers/server';
import { RawUa, msrpOffer, sdpPath } from '../../helpers/raw-ua';
import { header, headers, rid, type WireMessage } from '../../helpers/sip-peer';
import { scaled } from '../../helpers/node-exe';
import { RawMsrpPeer } from '../../helpers/msrp-peer';
import { bindSend, RawClient, sendText, until } from './helpers';

const tid = (): string => randomBytes(6).toString('hex');
const newUri = (): string => `msrp://127.0.0.1:9/${randomBytes(6).toString('hex')};tcp`;

let s: ServerHandle;
const closers: (() => unknown)[] = [];
let seq = 0;

beforeAll(async () => {
  s = await startServer({
    env: {
      IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000',
      IMEDGE_MSRP__CONNECT_TIMEOUT_MS: String(scaled(5000)),
      IMEDGE_MSRP__TRANSACTION_TIMEOUT_MS: String(scaled(5000)),
    },
  });
});

afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

afterAll(async () => {
  expect(await s.stop()).toBe(0);
});

async function ua(base: string): Promise<RawUa> {
  const u = await RawUa.open(`${base}rb${++seq}`, s.sipPort);
  closers.push(() => u.close().catch(() => undefined));
  return u;
}

async function client(): Promise<RawClient> {
  const c = await RawClient.open(s.msrpPort!);
  closers.push(() => c.end());
  return c;
}

/** Writes one request (bytes built for a fresh transaction id) and resolves with its answer's status. */
async function ask(c: RawClient, bytes: (t: string) => string): Promise<number> {
  const t = tid();
  c.write(bytes(t));
  await until(() => c.responses(t).length === 1, `answer to ${t}`);
  const h = c.responses(t)[0].head;
  return h.kind === 'response' ? h.status : 0;
}

/** An MSRP method imedge does not implement (RFC 4975 12: 501). */
const unknownMethod = (t: string, to: string, from: string): string => `MSRP ${t} FOO\r\nTo-Path: ${to}\r\nFrom-Path: ${from}\r\n-------${t}$\r\n`;

/** One side of a session as alice sees it: imedge's URI for her (her To-Path) and her own a=path. */
interface AliceSide {
  readonly imedge: string;
  readonly alice: string;
}

/** alice calls `callee` offering a=setup `setup` with path `uri`; she does not connect (the test does). */
async function aliceCalls(alice: RawUa, callee: RawUa, setup: string, uri = newUri()): Promise<AliceSide> {
  const rs = await alice.invite(callee.user, { setup, msrpUri: uri, noConnect: true });
  expect(rs.status).toBe(200);
  await callee.incomingReady;
  expect(callee.msrpError).toBeUndefined();
  return { imedge: sdpPath(rs.body)[0], alice: uri };
}

/** alice's connection bound to her session 1 (she calls bob), with a message on it. */
async function sharedConnection(alice: RawUa, bob: RawUa): Promise<{ one: AliceSide; shared: RawClient }> {
  const one = await aliceCalls(alice, bob, 'actpass');
  const shared = await client();
  expect(await ask(shared, (t) => bindSend(t, one.imedge, one.alice))).toBe(200);
  expect(await ask(shared, (t) => sendText(t, one.imedge, one.alice, 'session one'))).toBe(200);
  await until(() => bob.messages.length === 1, 'session 1 message at bob');
  return { one, shared };
}

/**
 * `caller` calls alice; alice answers by hand (a=setup:active, a=path `uri`), as a client that
 * dials imedge itself. `beforeAnswer` runs once the INVITE is in and before the 200 goes.
 * Resolves with imedge's URI for alice and the caller's pending INVITE, once imedge's ACK to
 * alice's 200 came (imedge has read her answer and learnt her a=path).
 */
async function callsAlice(alice: RawUa, caller: RawUa, uri: string, beforeAnswer?: (imedge: string) => Promise<void>, setup = 'active') {
  const invites: WireMessage[] = [];
  const usual = alice.peer.onRequest;
  alice.peer.onRequest = (m, p) => {
    if (m.method === 'INVITE' && !/;tag=/.test(header(m, 'to') ?? '')) invites.push(m);
    else usual(m, p);
  };
  const acks = alice.acks.length;
  const pending = caller.invite(alice.user);
  await until(() => invites.length === 1, 'INVITE at alice');
  const m = invites[0];
  const imedge = sdpPath(m.body)[0];
  if (beforeAnswer) await beforeAnswer(imedge);
  const body = Buffer.from(msrpOffer(uri, { setup }));
  const lines = [
    'SIP/2.0 200 OK', ...headers(m, 'via').map((v) => `Via: ${v}`), `From: ${header(m, 'from')}`, `To: ${header(m, 'to')};tag=${rid()}`,
    `Call-ID: ${header(m, 'call-id')}`, `CSeq: ${header(m, 'cseq')}`, `Contact: <${alice.peer.contactUri}>`, 'Content-Type: application/sdp', `Content-Length: ${body.length}`, '', '',
  ];
  alice.peer.sendRaw(Buffer.concat([Buffer.from(lines.join('\r\n')), body]));
  // imedge ACKs a 2xx in the same step that takes the answer's a=path (RFC 3261 13.2.2.4)
  await until(() => alice.acks.length > acks, 'ACK of alice 200');
  return { imedge, pending };
}

/**
 * Session 2's owner binds it from its own connection; once `other` (alice's peer in session 2)
 * is connected (`ready`), messages cross session 2 both ways; session 1 still works.
 */
async function ownerTakesOver(two: AliceSide, other: RawUa, ready: () => Promise<void>, one: AliceSide, shared: RawClient, bob: RawUa): Promise<void> {
  const owner = await client();
  expect(await ask(owner, (t) => bindSend(t, two.imedge, two.alice))).toBe(200);
  await ready();
  expect(await ask(owner, (t) => sendText(t, two.imedge, two.alice, 'to the peer of session 2'))).toBe(200);
  await until(() => other.messages.length === 1, 'session 2 message at the peer');
  expect(other.messages[0].body.toString()).toBe('to the peer of session 2');
  expect((await other.endpoint!.send(Buffer.from('to alice on session 2'), { contentType: 'text/plain' })).status).toBe(200);
  await until(() => owner.requests('SEND').some((f) => f.body.toString() === 'to alice on session 2'), 'session 2 message at alice');
  expect(shared.requests('SEND').some((f) => f.body.toString() === 'to alice on session 2')).toBe(false);
  // the shared connection still carries session 1
  expect(await ask(shared, (t) => sendText(t, one.imedge, one.alice, 'session one again'))).toBe(200);
  await until(() => bob.messages.length === 2, 'second session 1 message at bob');
}

/** alice's callee in session 2 has connected its MSRP leg. */
const calleeReady = (callee: RawUa) => async (): Promise<void> => {
  await callee.incomingReady;
  expect(callee.msrpError).toBeUndefined();
};

/** alice's caller in session 2 got its 200 (imedge answers it once alice's leg is bound) and connected. */
const callerAnswered = (pending: Promise<WireMessage>) => async (): Promise<void> => {
  expect((await pending).status).toBe(200);
};

describe('RFC 4975 5.4 / 7.3, full server: a request refused on a connection never binds its session there', () => {
  describe('alice calls in session 2 (imedge knows her a=path from her offer): a wrong From-Path gets 481 and binds nothing', () => {
    const froms = [
      ['session 1’s From-Path', 'one'],
      ['a made-up From-Path', 'made-up'],
      ['session 2’s own From-Path with another host', 'other-host'],
    ] as const;
    test.each(['actpass', 'active', 'none'].flatMap((setup) => froms.map(([what, from]) => [setup, what, from] as const)))(
      'alice offers a=setup:%s, %s: 481; her own connection binds session 2 (200) and messages flow',
      async (setup, _what, from) => {
        const alice = await ua('alice');
        const bob = await ua('bob');
        const carol = await ua('carol');
        const { one, shared } = await sharedConnection(alice, bob);
        const two = await aliceCalls(alice, carol, setup);
        const fp = from === 'one' ? one.alice : from === 'made-up' ? newUri() : two.alice.replace('127.0.0.1', '127.0.0.2');
        expect(await ask(shared, (t) => bindSend(t, two.imedge, fp))).toBe(481);
        expect(await ask(shared, (t) => sendText(t, two.imedge, fp, 'not yours'))).toBe(481);
        await ownerTakesOver(two, carol, calleeReady(carol), one, shared, bob);
      },
    );

    test('RFC 4975 12: an unknown method with her right From-Path gets 501 and binds nothing (reproduced: it bound session 2)', async () => {
      const alice = await ua('alice');
      const bob = await ua('bob');
      const carol = await ua('carol');
      const { one, shared } = await sharedConnection(alice, bob);
      const two = await aliceCalls(alice, carol, 'actpass');
      expect(await ask(shared, (t) => unknownMethod(t, two.imedge, two.alice))).toBe(501);
      await ownerTakesOver(two, carol, calleeReady(carol), one, shared, bob);
    });
  });

  describe('alice is called in session 2 and answers a=setup:active (she dials imedge)', () => {
    test('a SEND with her right From-Path, after her answer, before the caller is connected: 481 and binds nothing (reproduced: it bound session 2, her own connection got 506)', async () => {
      const alice = await ua('alice');
      const bob = await ua('bob');
      const carol = await ua('carol');
      const { one, shared } = await sharedConnection(alice, bob);
      const mine = newUri();
      const { imedge, pending } = await callsAlice(alice, carol, mine);
      // carol is answered only once alice's leg is bound: the relay has no peer for this SEND
      expect(await ask(shared, (t) => sendText(t, imedge, mine, 'too early'))).toBe(481);
      await ownerTakesOver({ imedge, alice: mine }, carol, callerAnswered(pending), one, shared, bob);
    });

    test.each([
      ['session 1’s From-Path', 'one'],
      ['a made-up From-Path', 'made-up'],
    ] as const)(
      'a SEND with %s, before her answer (imedge does not know her a=path yet): 481 and binds nothing (reproduced: it bound session 2, her own connection got 506)',
      async (_what, from) => {
        const alice = await ua('alice');
        const bob = await ua('bob');
        const carol = await ua('carol');
        const { one, shared } = await sharedConnection(alice, bob);
        const mine = newUri();
        const fp = from === 'one' ? one.alice : newUri();
        const { imedge, pending } = await callsAlice(alice, carol, mine, async (offered) => {
          expect(await ask(shared, (t) => sendText(t, offered, fp, 'before the answer'))).toBe(481);
        });
        await ownerTakesOver({ imedge, alice: mine }, carol, callerAnswered(pending), one, shared, bob);
      },
    );

    test('RFC 6135: alice answers a=setup:passive; a connection that bound her leg before the answer, even with her right From-Path, is dropped and imedge dials her (attack t14 #1)', async () => {
      const alice = await ua('alice');
      const carol = await ua('carol');
      const listener = await RawMsrpPeer.listen();
      closers.push(() => listener.close());
      const stranger = await client();
      const { pending } = await callsAlice(alice, carol, listener.uri, async (offered) => {
        expect(await ask(stranger, (t) => bindSend(t, offered, listener.uri))).toBe(200);
      }, 'passive');
      expect((await pending).status).toBe(200);
      // imedge dialled alice's listener and bound the leg there
      await until(() => listener.bindSends.length === 1, 'imedge binding SEND at alice');
      await carol.endpoint!.send(Buffer.from('to alice'), { contentType: 'text/plain' });
      await until(() => listener.messages.length === 1, 'message at alice');
      expect(listener.messages[0].body.toString()).toBe('to alice');
      await until(() => stranger.closed, 'stranger connection closed');
      expect(stranger.requests('SEND').filter((f) => f.body.length > 0)).toHaveLength(0);
    });

    test.each([
      ['alice’s shared connection, session 1’s From-Path', 'shared'],
      ['a stranger’s connection, a made-up From-Path', 'stranger'],
    ] as const)(
      'RFC 4975 7.3 applied late: an empty binding SEND on %s, before her answer, is taken (nothing to check it against yet) and undone once her answer names another sender',
      async (_what, who) => {
        const alice = await ua('alice');
        const bob = await ua('bob');
        const carol = await ua('carol');
        const { one, shared } = await sharedConnection(alice, bob);
        const stranger = who === 'stranger' ? await client() : shared;
        const fp = who === 'stranger' ? newUri() : one.alice;
        const mine = newUri();
        const { imedge, pending } = await callsAlice(alice, carol, mine, async (offered) => {
          expect(await ask(stranger, (t) => bindSend(t, offered, fp))).toBe(200);
        });
        await ownerTakesOver({ imedge, alice: mine }, carol, callerAnswered(pending), one, shared, bob);
        // the stranger's connection carried nothing else: closed
        if (who === 'stranger') await until(() => stranger.closed, 'stranger connection closed');
      },
    );

    test.each([
      ['session 1’s From-Path', 'one'],
      ['a made-up From-Path', 'made-up'],
      ['session 2’s own From-Path with another host', 'other-host'],
    ] as const)('a binding SEND with %s, after her answer: 481 and binds nothing', async (_what, from) => {
      const alice = await ua('alice');
      const bob = await ua('bob');
      const carol = await ua('carol');
      const { one, shared } = await sharedConnection(alice, bob);
      const mine = newUri();
      const fp = from === 'one' ? one.alice : from === 'made-up' ? newUri() : mine.replace('127.0.0.1', '127.0.0.2');
      const { imedge, pending } = await callsAlice(alice, carol, mine);
      expect(await ask(shared, (t) => bindSend(t, imedge, fp))).toBe(481);
      await ownerTakesOver({ imedge, alice: mine }, carol, callerAnswered(pending), one, shared, bob);
    });
  });
});
