// Issue 16 item 3, the boundary itself: whatever step of a session set-up throws, the session
// is released in full. The server runs in this process so one step can be made to fail; the
// peers are real (SIPp as the callee, a raw UA with real MSRP as the caller) over loopback.
import { Writable } from 'node:stream';
import * as path from 'node:path';
import { loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/log';
import { startServer, type RunningServer } from '../../../src/app/server';
import { tempDir } from '../../helpers/server';
import { RawUa } from '../../helpers/raw-ua';
import { sipp, sippPort } from '../../helpers/sipp';

// A busy neighbour on the shared test machine must not put the server under pressure (503).
const CALM = { IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' };

const until = async (pred: () => boolean, ms = 8000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

let server: RunningServer;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  const cfg = loadConfig({
    env: { ...CALM, IMEDGE_SESSIONS__MAX_PER_USER: '1' },
    flags: { sipPort: 0, msrpPort: 0, httpPort: 0, dataDir: tempDir() },
    boardDir: path.resolve(__dirname, '../../../board'),
  });
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  server = await startServer(cfg, createLogger({ level: 'info', destination: sink }));
});

afterAll(async () => {
  await server.stop();
});

test('issue 16 item 3, RFC 3261 15: a set-up step that throws after the callee answered releases everything (caller 500, callee ACK + BYE, pair, maps, user limit)', async () => {
  const relay = server.msrp;
  const real = relay.setRemotePath.bind(relay);
  relay.setRemotePath = () => {
    throw new RangeError('injected: cannot use this path');
  };
  const alice = await RawUa.open('alice', server.ports.sip);
  const bobPort = sippPort();
  try {
    expect((await sipp(server.ports.sip, 'register-expect-200.xml', { service: 'bob', localPort: bobPort })).code).toBe(0);
    const callee = sipp(server.ports.sip, 'invite-uas-200-path-expect-bye.xml', {
      service: 'bob', localPort: bobPort, calls: 2, timeoutS: 15, keys: { msrp_path: 'msrp://127.0.0.1:9/good;tcp' },
    });
    await new Promise((r) => setTimeout(r, 300));
    // Twice with one session per user: before the boundary the second attempt met 486.
    expect((await alice.invite('bob')).status).toBe(500);
    expect((await alice.invite('bob')).status).toBe(500);
    const done = await callee;
    expect({ code: done.code, out: done.code === 0 ? '' : done.out }).toEqual({ code: 0, out: '' });
    await until(() => server.participating.size === 0);
    expect(server.participating.stats.setupFailures).toBe(2);
    expect(relay.counters.livePairs).toBe(0);
    expect(server.store.sessions.live()).toHaveLength(0);
    expect(lines.filter((l) => l.msg === 'session set-up failed: releasing the session')).toHaveLength(2);
  } finally {
    relay.setRemotePath = real;
    await alice.close();
  }
  // Nothing of it is left behind: a normal session between the same users works.
  const carol = await RawUa.open('carol', server.ports.sip);
  const alice2 = await RawUa.open('alice', server.ports.sip);
  expect((await alice2.invite('carol')).status).toBe(200);
  await carol.incomingReady;
  expect((await alice2.requestInDialog('BYE')).status).toBe(200);
  await until(() => server.participating.size === 0);
  await alice2.close();
  await carol.close();
});
