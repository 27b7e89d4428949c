// Regression tests for what an outside attack on the conference event package and on group
// sessions across restarts found: names spelt with %-escapes dodging limits and reserved names
// (RFC 3261 19.1.4), refreshes by someone else (F2/F5), watchers whose permission was revoked
// (7.2.2.11), members removed from the group while the box was down (7.2.2.8 2a), and a crash
// loop extending the rejoin window or repeating BYEs.
import { startServer, tempDir, type ServerHandle } from '../../helpers/server';
import { RawUa } from '../../helpers/raw-ua';
import { SipPeer, header } from '../../helpers/sip-peer';
import { FACTORY, factoryBody, focusIdentity, groupXml, putGroup, subscribe, until } from '../../helpers/group';
import { sessionFigures } from '../../helpers/figures';
import { openStore } from '../../../src/store';

describe('one server', () => {
  let s: ServerHandle;
  const uas: RawUa[] = [];
  beforeAll(async () => {
    s = await startServer({ env: { IMEDGE_EVENTS__MAX_PER_USER: '2' } });
  });
  afterAll(async () => {
    for (const u of uas) await u.close();
    expect(await s.stop()).toBe(0);
  });
  const users = async (...names: string[]) => {
    const out = await Promise.all(names.map((n) => RawUa.open(n, s.sipPort)));
    uas.push(...out);
    return out;
  };

  test('RFC 3261 19.1.4: %-escaped spellings of a reserved name are the same name (403)', async () => {
    const p = await SipPeer.open('UDP', s.sipPort);
    try {
      for (const user of ['%63onference-factory', 'conference%2Dfactory', '%63onf-abc']) {
        const r = await p.request({ method: 'REGISTER', uri: 'sip:localhost', from: `sip:${user}@localhost`, to: `sip:${user}@localhost`, contact: `<${p.contactUri}>`, headers: { Expires: '300' } });
        expect({ user, status: r.status }).toEqual({ user, status: 403 });
      }
    } finally {
      p.close();
    }
  });

  test('RFC 3261 19.1.4: events.maxPerUser counts a user however its name is spelt', async () => {
    const [a, b] = await users('sp-a', 'sp-b');
    const rs = await a!.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody(['sip:sp-b@localhost']) });
    expect(rs.status).toBe(200);
    await until(() => b!.incomingReady !== undefined, 'b invited');
    await b!.incomingReady;
    const identity = focusIdentity(rs);
    const spelt = [a!.user, '%73p-a', 's%70-a'];
    const statuses: number[] = [];
    for (const name of spelt) statuses.push((await subscribe({ user: name, peer: a!.peer }, identity, { expires: 600 })).rs.status ?? 0);
    expect(statuses).toEqual([200, 200, 403]);
  });

  test('RFC 6665 4.2.1.2: a refresh or unsubscribe of someone else\'s subscription (same Call-ID and tags, another From) is 403 and changes nothing', async () => {
    const [a, b, x] = await users('hj-a', 'hj-b', 'hj-x');
    const rs = await a!.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody(['sip:hj-b@localhost']) });
    await until(() => b!.incomingReady !== undefined, 'b invited');
    await b!.incomingReady;
    const identity = focusIdentity(rs);
    const sub = await subscribe(b!, identity, { expires: 600 });
    await until(() => b!.notifies.length === 1, 'first NOTIFY');
    const forged = await subscribe({ user: x!.user, peer: x!.peer }, identity, { expires: 0, dialog: { ...sub } });
    expect(forged.rs.status).toBe(403);
    expect((await subscribe(b!, identity, { expires: 600, dialog: sub })).rs.status).toBe(200);
  });

  test('OMA IM 7.2.2.11: a watcher whose allow-conference-state is revoked by a document change loses its subscription (rejected); a refresh then gets 481', async () => {
    const [a, b, w] = await users('rv-a', 'rv-b', 'rv-w');
    expect(await putGroup(s.httpPort, { id: 'rv-team', members: ['rv-a', 'rv-b', 'rv-w'], autoRelease: false })).toBe(201);
    const rs = await a!.invite('rv-team', { requestUri: 'sip:rv-team@localhost' });
    const identity = focusIdentity(rs);
    expect((await b!.invite('rv-team', { requestUri: 'sip:rv-team@localhost' })).status).toBe(200);
    const sub = await subscribe(w!, identity, { expires: 600 });
    expect(sub.rs.status).toBe(200);
    await until(() => w!.notifies.length === 1, 'watcher NOTIFY');
    expect(await putGroup(s.httpPort, { id: 'rv-team', members: ['rv-a', 'rv-b'], autoRelease: false })).toBe(200);
    await until(() => w!.notifies.some((n) => header(n, 'subscription-state') === 'terminated;reason=rejected'), 'rejected NOTIFY');
    expect((await subscribe(w!, identity, { expires: 600, dialog: sub })).rs.status).toBe(481);
  });
});

test('7.2.2.8 rule 2a at a restart, and a crash loop: the document changed while down removes the member; the rejoin window counts from the first restart; each dead dialog gets one BYE', async () => {
  const dataDir = tempDir();
  // long enough that a slow restart on a loaded machine still lands inside it
  const windowMs = 8000;
  const env = { IMEDGE_GROUPS__REJOIN_WINDOW_MS: String(windowMs) };
  let s = await startServer({ dataDir, env });
  const sipPort = s.sipPort;
  const [a, b, c] = await Promise.all(['rl-a', 'rl-b', 'rl-c'].map((n) => RawUa.open(n, sipPort)));
  try {
    expect(await putGroup(s.httpPort, { id: 'rl2-team', members: ['rl-a', 'rl-b', 'rl-c'], inviteMembers: true, autoRelease: false, remaining: 0 })).toBe(201);
    const rs = await a!.invite('rl2-team', { requestUri: 'sip:rl2-team@localhost' });
    const identity = focusIdentity(rs);
    for (const u of [b!, c!]) {
      await until(() => u.incomingReady !== undefined, `${u.user} invited`);
      await u.incomingReady;
    }
    await new Promise((r) => setTimeout(r, 50));
    const kill = async () => {
      s.proc.kill('SIGKILL');
      await new Promise((r) => s.proc.once('exit', r));
    };
    await kill();
    // while the box is down the operator drops rl-c from the group
    const store = openStore({ dataDir, synchronous: 'FULL', cacheSizeKiB: 1024, busyTimeoutMs: 1000 });
    store.groups.put('rl2-team', groupXml({ id: 'rl2-team', members: ['rl-a', 'rl-b'], inviteMembers: true, autoRelease: false, remaining: 0 }), Date.now());
    store.close();
    const firstStart = Date.now();
    s = await startServer({ dataDir, env, args: ['--sip-port', String(sipPort)] });
    await until(() => [a!, b!, c!].every((u) => u.byes.length === 1), 'one BYE each');
    expect((await c!.invite('x', { requestUri: identity })).status).toBe(403);
    expect((await subscribe(c!, identity, { expires: 600 })).rs.status).toBe(403);
    // a second crash inside the window: no second BYE, and the window still counts from the
    // first start: it ends before a window counted from the second start could (no wall-clock bound)
    await new Promise((r) => setTimeout(r, 1500));
    await kill();
    const secondStart = Date.now();
    s = await startServer({ dataDir, env, args: ['--sip-port', String(sipPort)] });
    let figures = await sessionFigures(s.httpPort);
    expect(figures['groups.disconnected']).toBe(2);
    while (figures['groups.disconnected'] !== 0 && Date.now() - firstStart < 30_000) {
      await new Promise((r) => setTimeout(r, 100));
      figures = await sessionFigures(s.httpPort);
    }
    expect(figures['groups.disconnected']).toBe(0);
    expect(Date.now()).toBeLessThan(secondStart + windowMs);
    expect(a!.byes).toHaveLength(1);
  } finally {
    expect(await s.stop()).toBe(0);
    for (const u of [a, b, c]) await u!.close();
  }
}, 60_000);
