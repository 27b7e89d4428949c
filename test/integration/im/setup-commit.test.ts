// Issue 8 item 5: the B2BUA's set-up writes its session row by group commit and answers the
// caller only after COMMIT (at most one transaction, so one fsync, per set-up); the caller's 2xx
// is resent with sip.t1Ms/t2Ms from the configuration until its ACK (RFC 3261 13.3.1.4). The
// server runs in this process so the store can be watched; peers are real, over loopback.
import { Writable } from 'node:stream';
import * as dgram from 'node:dgram';
import * as path from 'node:path';
import { loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/log';
import { startServer, type RunningServer } from '../../../src/app/server';
import { tempDir } from '../../helpers/server';
import { RawUa, msrpOffer } from '../../helpers/raw-ua';
import { parseWire, rid, type WireMessage } from '../../helpers/sip-peer';

// A busy neighbour on the shared test machine must not put the server under pressure (503).
const CALM = { IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' };

const until = async (pred: () => boolean, what: string, ms = 8000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`condition not met in time: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

let server: RunningServer;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  const cfg = loadConfig({
    // a short T1 so the no-ACK case ends in 64*T1 = 1.28 s
    env: { ...CALM, IMEDGE_SIP__T1_MS: '20', IMEDGE_SIP__T2_MS: '80' },
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
  if (process.env.DUMP) console.log(lines.map((l) => JSON.stringify(l)).join('\n'));
  await server.stop();
});

test('issue 8 item 5: the session row is group-committed before the caller gets its 200, one commit per set-up', async () => {
  const store = server.store;
  const realGrouped = store.grouped.bind(store);
  const realSave = store.sessions.save.bind(store.sessions);
  let saves = 0;
  let inBatch = false;
  store.sessions.save = (rec) => {
    saves++;
    // the row is written inside a group commit, never as a transaction of its own
    expect(inBatch).toBe(true);
    return realSave(rec);
  };
  let release: (() => void) | undefined;
  const held: Promise<void>[] = [];
  const batched = (fn: () => void) =>
    realGrouped(() => {
      inBatch = true;
      try {
        fn();
      } finally {
        inBatch = false;
      }
    });
  // registered first (their REGISTERs ride in the group commit too)
  const alice = await RawUa.open('alice', server.ports.sip);
  const bob = await RawUa.open('bob', server.ports.sip);
  // the first write from now on (the set-up's row) waits for the test; later ones (the removal) go through
  store.grouped = (fn) => {
    if (held.length > 0) return batched(fn);
    const p = new Promise<void>((r) => (release = r)).then(() => batched(fn));
    held.push(p);
    return p;
  };
  try {
    const commitsBefore = store.groupCommitStats.commits;
    let final: WireMessage | undefined;
    const pending = alice.invite('bob').then((rs) => (final = rs));
    // both legs are up and the row is waiting for its commit: no 200 may have gone out
    await until(() => held.length === 1, 'the set-up queued its row');
    await bob.incomingReady;
    expect(final).toBeUndefined();
    expect(store.sessions.live()).toHaveLength(0);
    release!();
    expect((await pending).status).toBe(200);
    expect(store.sessions.live()).toHaveLength(1);
    expect(saves).toBe(1);
    expect(store.groupCommitStats.commits - commitsBefore).toBe(1);
    expect((await alice.requestInDialog('BYE')).status).toBe(200);
    await until(() => server.participating.size === 0, 'session released');
    await Promise.all(held);
  } finally {
    store.grouped = realGrouped;
    store.sessions.save = realSave;
    await alice.close();
    await bob.close();
  }
  await until(() => store.sessions.live().length === 0, 'row removed');
});

test('RFC 3261 9.2: a CANCEL while the row waits for its commit: 487, and the row is never written', async () => {
  const store = server.store;
  const realGrouped = store.grouped.bind(store);
  const held: (() => void)[] = [];
  const alice = await RawUa.open('alice2', server.ports.sip);
  const bob = await RawUa.open('bob2', server.ports.sip);
  store.grouped = (fn) => (held.length > 0 ? realGrouped(fn) : new Promise<void>((r) => held.push(r)).then(() => realGrouped(fn)));
  try {
    const pending = alice.invite('bob2', { cancelAfterMs: 1500 });
    await until(() => held.length === 1, 'the set-up queued its row');
    const rs = await pending;
    expect(rs.status).toBe(487);
    expect((await alice.cancelResponse!).status).toBe(200);
    await until(() => server.participating.size === 0, 'released');
    // the commit runs after the release: it must write nothing
    const writes = store.groupCommitStats.writes;
    held[0]();
    await until(() => store.groupCommitStats.writes > writes, 'batch committed');
    expect(store.sessions.live()).toHaveLength(0);
    await until(() => bob.byes.length === 1, 'BYE at the callee');
  } finally {
    store.grouped = realGrouped;
    await alice.close();
    await bob.close();
  }
});

test('RFC 3261 13.3.1.4 with sip.t1Ms from config: a caller that never ACKs gets the 2xx resent at T1, 2T1... and the session ends after 64*T1 (BYE to both)', async () => {
  const bob = await RawUa.open('bob3', server.ports.sip);
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  const got: WireMessage[] = [];
  sock.on('message', (d) => {
    const m = parseWire(d);
    if (!m) return;
    got.push(m);
    // answer the BYE that ends the session
    if (m.method === 'BYE') {
      const h = (n: string) => m.headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => `${k(n)}: ${v}`);
      const k = (n: string) => n.replace(/(^|-)(\w)/g, (x) => x.toUpperCase());
      sock.send(['SIP/2.0 200 OK', ...h('via'), ...h('from'), ...h('to'), ...h('call-id'), ...h('cseq'), 'Content-Length: 0', '', ''].join('\r\n'), server.ports.sip, '127.0.0.1');
    }
  });
  try {
    const body = Buffer.from(msrpOffer(`msrp://127.0.0.1:9/${rid()};tcp`));
    const callId = rid();
    const invite = Buffer.concat([
      Buffer.from(
        [
          'INVITE sip:bob3@localhost SIP/2.0',
          `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${rid()};rport`,
          'Max-Forwards: 70', `From: <sip:noack@localhost>;tag=${rid()}`, 'To: <sip:bob3@localhost>', `Call-ID: ${callId}`,
          'CSeq: 1 INVITE', `Contact: <sip:noack@127.0.0.1:${port}>`, 'Content-Type: application/sdp', `Content-Length: ${body.length}`, '', '',
        ].join('\r\n'),
      ),
      body,
    ]);
    sock.send(invite, server.ports.sip, '127.0.0.1');
    await until(() => got.some((m) => m.method === 'BYE'), 'BYE after 64*T1 without ACK');
    const oks = got.filter((m) => m.status === 200 && m.headers.some(([k, v]) => k.toLowerCase() === 'cseq' && v.includes('INVITE')));
    // the first 200 and its resends, never more often than T1 apart at first, T2 at most later
    expect(oks.length).toBeGreaterThanOrEqual(4);
    await until(() => bob.byes.length === 1, 'BYE at the callee');
    await until(() => server.participating.size === 0, 'released');
    expect(lines.some((l) => l.msg === 'no ACK for our 2xx: releasing the session')).toBe(true);
  } finally {
    sock.close();
    await bob.close();
  }
});
