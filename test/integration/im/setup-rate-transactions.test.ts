// Issue 8 benchmark finding: an INVITE server transaction that had sent its 2xx stayed "live"
// for Timer L (32 s, RFC 6026 Accepted), so it held a slot of sip.maxTransactions long after
// the answer: sustained set-ups were capped at maxTransactions / 32 s (128/s with the default
// 4,096), and the client library (256) stopped taking calls after 256 within 32 s (its stack
// refused the INVITE, the server relayed 480). After its 2xx the transaction only absorbs
// retransmissions, so it now counts as completed (bounded apart, like non-INVITE ones).
import { ImClient, type ImSession } from '../../../src/client';
import { SipStack } from '../../../src/sip/stack';
import { silentLogger } from '../../../src/log';
import { SipPeer, rid } from '../../helpers/sip-peer';
import * as path from 'node:path';
import { startServer, tempDir } from '../../helpers/server';
import { scaled } from '../../helpers/node-exe';
import { RawUa } from '../../helpers/raw-ua';
import { RawMsrpPeer } from '../../helpers/msrp-peer';
import { requireSipp, sipp, sippPort } from '../../helpers/sipp';

const CAP = 16;
const SETUPS = 3 * CAP;

test('RFC 6026 7.1: an INVITE server transaction in Accepted (after its 2xx) holds no live slot; 3x the cap answered in a row', async () => {
  const stack = await SipStack.start(
    { bind: '127.0.0.1', port: 0, udp: true, tcp: true, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: CAP, overloadRetryAfterS: 5, logger: silentLogger() },
    (r) => r.reply(200),
  );
  const peer = await SipPeer.open('TCP', stack.port);
  try {
    for (let i = 0; i < SETUPS; i++) {
      const rs = await peer.request({ method: 'INVITE', uri: 'sip:bob@localhost', from: 'sip:alice@localhost', to: 'sip:bob@localhost', callId: rid(), contact: `<${peer.contactUri}>` });
      expect(rs.status).toBe(200);
    }
    expect(stack.stats.overload).toBe(0);
    const t = stack.transactionCounts();
    expect(t.serverLive).toBe(0);
    expect(t.serverCompleted).toBeGreaterThan(0);
    expect(t.serverCompleted).toBeLessThanOrEqual(CAP);
  } finally {
    peer.close();
    await stack.close();
  }
});

test('issue 8: `imedge serve` with sip.maxTransactions 16 sets up and ends 48 sessions in a row between client-library users', async () => {
  const s = await startServer({ env: { IMEDGE_SIP__MAX_TRANSACTIONS: String(CAP) } });
  const server = { host: '127.0.0.1', port: s.sipPort, transport: 'TCP' as const };
  const alice = await ImClient.start({ user: 'alice', domain: 'localhost', server });
  const bob = await ImClient.start({ user: 'bob', domain: 'localhost', server });
  try {
    await alice.register(300);
    await bob.register(300);
    const got: string[] = [];
    bob.on('session', (sess: ImSession) => sess.on('message', (m: { body: Buffer }) => got.push(m.body.toString())));
    for (let i = 0; i < SETUPS; i++) {
      const sess = await alice.invite('bob');
      await sess.send(`m${i}`, { contentType: 'text/plain' });
      await sess.leave();
    }
    // every message arrived (the last one may still be on its way when leave() resolves)
    for (let k = 0; k < 200 && got.length < SETUPS; k++) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual(Array.from({ length: SETUPS }, (_, i) => `m${i}`));
  } finally {
    await alice.close(200);
    await bob.close(200);
    expect(await s.stop()).toBe(0);
  }
});

test('issue 8 with peers we did not write: SIPp as an RFC 4975 callee (no a=setup) takes 48 calls in a row through `imedge serve` with sip.maxTransactions 16', async () => {
  requireSipp();
  const s = await startServer({ env: { IMEDGE_SIP__MAX_TRANSACTIONS: String(CAP), IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' } });
  const peer = await RawMsrpPeer.listen();
  const port = sippPort();
  let alice: RawUa | undefined;
  try {
    const reg = await sipp(s.sipPort, 'register-expect-200.xml', { service: 'bob', localPort: port });
    expect(reg.code).toBe(0);
    const pathFile = path.join(tempDir('imedge-sipp-'), 'offered-path');
    const callee = sipp(s.sipPort, 'invite-uas-200-msrp-expect-bye.xml', {
      service: 'bob', localPort: port, calls: SETUPS, timeoutS: 60, keys: { msrp_path: peer.uri, setup_attr: 'sendrecv', path_file: pathFile },
    });
    // SIPp binds its port after start-up; the first INVITE must not arrive before
    await new Promise((r) => setTimeout(r, scaled(300)));
    alice = await RawUa.open('alice', s.sipPort);
    for (let i = 0; i < SETUPS; i++) {
      expect((await alice.invite('bob')).status).toBe(200);
      expect((await alice.requestInDialog('BYE')).status).toBe(200);
    }
    const done = await callee;
    expect({ code: done.code, out: done.code === 0 ? '' : done.out }).toEqual({ code: 0, out: '' });
    // every session bound its leg toward the callee with an empty SEND (imedge dialled it)
    expect(peer.bindSends).toHaveLength(SETUPS);
  } finally {
    await alice?.close().catch(() => undefined);
    await peer.close();
    expect(await s.stop()).toBe(0);
  }
}, 120_000);
