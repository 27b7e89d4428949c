// Issue 11 item 7 (load: the synchronous SQLite commit of every REGISTER refresh ran on the
// event loop, ~1 fsync each) and issue 13 item 3 (SD-card wear per registration refresh): the
// registrar's binding updates ride in the store's group commit. RFC 3261 10.3 step 8: the 200
// lists the bindings as stored, so it is sent only after that commit; a burst of REGISTERs
// shares commits. The server runs in this process so the store can be watched.
import * as path from 'node:path';
import { loadConfig } from '../../../src/config';
import { silentLogger } from '../../../src/log';
import { startServer, type RunningServer } from '../../../src/app/server';
import { tempDir } from '../../helpers/server';
import { SipPeer, type WireMessage } from '../../helpers/sip-peer';

let server: RunningServer;

beforeAll(async () => {
  const cfg = loadConfig({
    env: { IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' },
    flags: { sipPort: 0, msrpPort: 0, httpPort: 0, dataDir: tempDir() },
    boardDir: path.resolve(__dirname, '../../../board'),
  });
  server = await startServer(cfg, silentLogger());
});

afterAll(async () => {
  await server.stop();
});

const register = (p: SipPeer, user: string): Promise<WireMessage> =>
  p.request({ method: 'REGISTER', uri: 'sip:localhost', from: `sip:${user}@localhost`, to: `sip:${user}@localhost`, contact: `<${p.contactUri}>`, headers: { Expires: '300' } });

test('RFC 3261 10.3 step 8: the 200 to a REGISTER is sent only after its bindings are committed', async () => {
  const store = server.store;
  const realGrouped = store.grouped.bind(store);
  let release: (() => void) | undefined;
  store.grouped = (fn, opts) => new Promise<void>((r) => (release = r)).then(() => realGrouped(fn, opts));
  const peer = await SipPeer.open('UDP', server.ports.sip);
  try {
    let answered = false;
    const rs = register(peer, 'carol').then((m) => {
      answered = true;
      return m;
    });
    for (let i = 0; i < 100 && release === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    expect(release).toBeDefined();
    await new Promise((r) => setTimeout(r, 100));
    // held at the commit: no answer yet, nothing stored
    expect(answered).toBe(false);
    expect(store.registrations.listFor('carol', Date.now())).toHaveLength(0);
    store.grouped = realGrouped;
    release?.();
    const m = await rs;
    expect(m.status).toBe(200);
    expect(store.registrations.listFor('carol', Date.now()).map((b) => b.contact)).toEqual([peer.contactUri]);
  } finally {
    store.grouped = realGrouped;
    peer.close();
  }
});

test('issue 11 item 7: a burst of REGISTERs from many users shares group commits (fewer commits than REGISTERs), each answered 200', async () => {
  const users = Array.from({ length: 24 }, (_, i) => `burst${i}`);
  const peers = await Promise.all(users.map(() => SipPeer.open('UDP', server.ports.sip)));
  try {
    const before = server.store.groupCommitStats.commits;
    const answers = await Promise.all(peers.map((p, i) => register(p, users[i])));
    expect(answers.map((a) => a.status)).toEqual(users.map(() => 200));
    const commits = server.store.groupCommitStats.commits - before;
    expect(commits).toBeGreaterThanOrEqual(1);
    expect(commits).toBeLessThan(users.length);
    for (const [i, u] of users.entries()) expect(server.store.registrations.listFor(u, Date.now()).map((b) => b.contact)).toEqual([peers[i].contactUri]);
  } finally {
    for (const p of peers) p.close();
  }
});
