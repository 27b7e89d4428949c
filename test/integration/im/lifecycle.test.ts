// Session life cycle around the B2BUA: CANCEL (RFC 3261 9.2), limits (486/503), and sessions
// surviving in the store across a crash, released with BYE on restart.
import { startServer, tempDir } from '../../helpers/server';
import { RawUa } from '../../helpers/raw-ua';
import { header } from '../../helpers/sip-peer';

// A busy neighbour on the shared test machine must not put the server under pressure (503).
const CALM = { IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' };

const until = async (pred: () => boolean, ms = 8000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('RFC 3261 9.2: CANCEL gets 200, the INVITE 487, and the callee sees CANCEL', async () => {
  const s = await startServer({ env: CALM });
  const alice = await RawUa.open('alice', s.sipPort);
  const bob = await RawUa.open('bob', s.sipPort);
  bob.answerStatus = 0;
  const rs = await alice.invite('bob', { cancelAfterMs: 300 });
  expect(rs.status).toBe(487);
  expect((await alice.cancelResponse!).status).toBe(200);
  await until(() => bob.peer.received.some((m) => m.method === 'CANCEL'));
  await alice.close();
  await bob.close();
  expect(await s.stop()).toBe(0);
});

test('session limits: per user 486, in total 503 with Retry-After', async () => {
  const s = await startServer({ env: { ...CALM, IMEDGE_SESSIONS__MAX_PER_USER: '1', IMEDGE_SESSIONS__MAX_TOTAL: '2', IMEDGE_SESSIONS__RETRY_AFTER_S: '9' } });
  const a = await RawUa.open('a', s.sipPort);
  const b = await RawUa.open('b', s.sipPort);
  const c = await RawUa.open('c', s.sipPort);
  const d = await RawUa.open('d', s.sipPort);
  const e = await RawUa.open('e', s.sipPort);
  expect((await a.invite('b')).status).toBe(200);
  expect((await c.invite('b')).status).toBe(486);
  expect((await c.invite('d')).status).toBe(200);
  const full = await e.invite('a');
  expect(full.status).toBe(503);
  expect(header(full, 'retry-after')).toBe('9');
  for (const u of [a, b, c, d, e]) await u.close();
  await s.stop();
});

test('a session survives a crash in the store and both sides get BYE on restart', async () => {
  const dataDir = tempDir();
  const s1 = await startServer({ dataDir, env: CALM });
  const alice = await RawUa.open('alice', s1.sipPort);
  const bob = await RawUa.open('bob', s1.sipPort);
  expect((await alice.invite('bob')).status).toBe(200);
  await bob.incomingReady;
  // Power cut: no graceful stop, no BYE.
  s1.proc.kill('SIGKILL');
  await new Promise((r) => s1.proc.once('exit', r));
  expect(alice.byes.length + bob.byes.length).toBe(0);
  const s2 = await startServer({ dataDir, env: CALM, args: ['--sip-port', String(s1.sipPort)] });
  await until(() => alice.byes.length === 1 && bob.byes.length === 1);
  expect(header(alice.byes[0], 'reason')).toContain('restarted');
  await s2.waitForLog((l) => l.msg === 'stale sessions from before the restart released');
  await alice.close();
  await bob.close();
  await s2.stop();
});

test('a callee that answers 200 but never connects its MSRP leg: the caller gets 480, the callee a BYE', async () => {
  const s = await startServer({ env: { ...CALM, IMEDGE_MSRP__TRANSACTION_TIMEOUT_MS: '700' } });
  const alice = await RawUa.open('alice', s.sipPort);
  const bob = await RawUa.open('bob', s.sipPort);
  bob.noMsrp = true;
  const rs = await alice.invite('bob');
  expect(rs.status).toBe(480);
  await until(() => bob.byes.length === 1);
  await alice.close();
  await bob.close();
  await s.stop();
});
