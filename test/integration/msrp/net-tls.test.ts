// MSRP over TLS at the network layer (issue 11 item 1, RFC 4975 6 and 14.2): the msrps:
// listener beside the TCP one, dials to msrps: URIs verified (tls.verifyPeer), plain bytes on
// the TLS port and msrps: sessions reached in clear refused and counted, and the connection
// cap holding for connections still in their handshake.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { MsrpNet, MsrpConnectError } from '../../../src/msrp/net';
import { MsrpEndpoint, type ReceivedMessage } from '../../../src/msrp/endpoint';
import { certDir, makeCert, type TestCert } from '../../helpers/tls-cert';
import { until } from './helpers';

let dir: ReturnType<typeof certDir>;
let good: TestCert;
let stranger: TestCert;
const nets: MsrpNet[] = [];
const sockets: net.Socket[] = [];

beforeAll(() => {
  dir = certDir();
  good = makeCert(dir.dir, 'good');
  stranger = makeCert(dir.dir, 'stranger');
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const n of nets.splice(0)) await n.close();
});
afterAll(() => dir.cleanup());

async function server(cert: TestCert, opts: { maxConnections?: number; handshakeTimeoutMs?: number } = {}): Promise<MsrpNet> {
  const n = new MsrpNet({ maxConnections: opts.maxConnections ?? 16, transactionTimeoutMs: 3000 });
  nets.push(n);
  await n.listen('127.0.0.1', 0);
  await n.listenTls('127.0.0.1', 0, { cert: cert.cert, key: cert.key, handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 2000 });
  return n;
}

function client(tlsClient: { ca?: Buffer[]; verifyPeer: boolean }): MsrpNet {
  const n = new MsrpNet({ transactionTimeoutMs: 3000 }, { tlsClient });
  nets.push(n);
  return n;
}

function raw(port: number): net.Socket {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  sockets.push(s);
  return s;
}

test('RFC 4975 6: msrps: URIs name the TLS listener; an active endpoint dials it with TLS and messages cross byte-exact both ways', async () => {
  const srv = await server(good);
  expect(srv.tlsAddress!.port).not.toBe(srv.address!.port);
  const got: ReceivedMessage[] = [];
  const back: ReceivedMessage[] = [];
  const passiveUri = srv.localUri(undefined, undefined, true);
  expect(passiveUri).toMatch(new RegExp(`^msrps://127\\.0\\.0\\.1:${srv.tlsAddress!.port}/[^;]+;tcp$`));
  const cli = client({ ca: [good.cert], verifyPeer: true });
  const activeUri = `msrps://127.0.0.1:9/${cli.newSessionId()};tcp`;
  const passive = new MsrpEndpoint(srv, { localUri: passiveUri, remotePath: [activeUri], setup: 'passive' }, { onMessage: (m) => got.push(m) });
  const active = new MsrpEndpoint(cli, { localUri: activeUri, remotePath: [passiveUri], setup: 'active' }, { onMessage: (m) => back.push(m) });
  await active.connect();
  expect(active.connection!.secure).toBe(true);
  const body = Buffer.from('über TLS ✓ \u0000\u00ff');
  expect((await active.send(body, { contentType: 'text/plain' })).status).toBe(200);
  await until(() => got.length === 1, 'message at the passive side');
  expect(got[0].body.equals(body)).toBe(true);
  expect(passive.connection!.secure).toBe(true);
  expect((await passive.send(Buffer.from('back'), { contentType: 'text/plain' })).status).toBe(200);
  await until(() => back.length === 1, 'message at the active side');
  expect(srv.counters).toMatchObject({ tlsAccepted: 1, tlsHandshakeFailures: 0, tlsRequired: 0 });
  expect(cli.counters).toMatchObject({ connectionsDialled: 1, tlsPeerRejected: 0 });
});

test('RFC 4975 14.2: an msrps: session addressed over the TCP listener is refused 481, never bound, and counted', async () => {
  const srv = await server(good);
  const uri = srv.localUri(undefined, undefined, true);
  const delivered: ReceivedMessage[] = [];
  new MsrpEndpoint(srv, { localUri: uri, remotePath: ['msrp://127.0.0.1:9/peer;tcp'], setup: 'passive' }, { onMessage: (m) => delivered.push(m) });
  const s = raw(srv.address!.port);
  let text = '';
  s.on('data', (d) => (text += d.toString('latin1')));
  await new Promise((r) => s.once('connect', r));
  s.write(`MSRP tx0001 SEND\r\nTo-Path: ${uri}\r\nFrom-Path: msrp://127.0.0.1:9/peer;tcp\r\nMessage-ID: msg0001\r\nByte-Range: 1-2/2\r\nContent-Type: text/plain\r\n\r\nhi\r\n-------tx0001$\r\n`);
  await until(() => text.includes('\r\n-------tx0001$'), `the answer (got ${JSON.stringify(text)})`);
  expect(text).toMatch(/^MSRP tx0001 481 session is reached over TLS only\r\n/);
  expect(srv.counters.tlsRequired).toBe(1);
  expect(delivered).toHaveLength(0);
  expect(srv.findSession(uri.split('/')[3]!.split(';')[0]!)!.connection).toBeUndefined();
});

test('plain MSRP bytes on the TLS port: closed without an answer, counted, the slot given back; TLS still served', async () => {
  const srv = await server(good);
  const s = raw(srv.tlsAddress!.port);
  let text = '';
  s.on('data', (d) => (text += d.toString('latin1')));
  s.on('connect', () => s.write('MSRP a SEND\r\nTo-Path: msrps://127.0.0.1:1/x;tcp\r\nFrom-Path: msrp://127.0.0.1:9/y;tcp\r\nMessage-ID: a\r\n-------a$\r\n'));
  await new Promise((r) => s.once('close', r));
  expect(text).toBe('');
  expect(srv.counters.tlsHandshakeFailures).toBe(1);
  expect(srv.connectionRoom).toBe(16);
  const c = await client({ ca: [good.cert], verifyPeer: true }).dial('127.0.0.1', srv.tlsAddress!.port, { secure: true });
  expect(c.secure).toBe(true);
});

test('msrp.maxConnections holds for TLS connections still in their handshake (the oldest gives way at the cap); a silent one is closed at the handshake bound', async () => {
  const srv = await server(good, { maxConnections: 2, handshakeTimeoutMs: 300 });
  const silent = [raw(srv.tlsAddress!.port), raw(srv.tlsAddress!.port)];
  await until(() => srv.connectionRoom === 0, 'both slots held by handshakes');
  // one more at the cap takes the oldest handshake's slot (F2), never a third slot
  const extra = raw(srv.tlsAddress!.port);
  await until(() => silent[0].destroyed, 'the oldest handshake evicted');
  expect(srv.counters).toMatchObject({ connectionsRejected: 0, connectionsEvicted: 1 });
  expect(srv.connectionRoom).toBe(0);
  await Promise.all([silent[1], extra].map((s) => new Promise((r) => (s.destroyed ? r(undefined) : s.once('close', r)))));
  await until(() => srv.counters.tlsHandshakeFailures >= 2, 'handshake timeouts counted');
  expect(srv.connectionRoom).toBe(2);
});

test('tls.verifyPeer: a dial to a peer whose certificate does not verify fails (refused) before any byte of ours, counted; verifyPeer false connects', async () => {
  const strange = await server(stranger);
  const port = strange.tlsAddress!.port;
  const strict = client({ ca: [good.cert], verifyPeer: true });
  const err = await strict.dialUri(`msrps://127.0.0.1:${port}/x;tcp`).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(MsrpConnectError);
  expect((err as MsrpConnectError).kind).toBe('refused');
  expect((err as Error).message).toContain('peer certificate refused');
  expect(strict.counters.tlsPeerRejected).toBe(1);
  expect(strict.connectionRoom).toBe(1024);
  // a trusted certificate that names another host does not verify either
  const misnamed = makeCert(dir.dir, 'misnamed', { san: 'DNS:elsewhere.invalid' });
  const other = await server(misnamed);
  const trusting = client({ ca: [misnamed.cert], verifyPeer: true });
  await expect(trusting.dial('127.0.0.1', other.tlsAddress!.port, { secure: true })).rejects.toThrow('peer certificate refused');
  expect(trusting.counters.tlsPeerRejected).toBe(1);
  const lax = client({ verifyPeer: false });
  const c = await lax.dial('127.0.0.1', port, { secure: true });
  expect(c.secure).toBe(true);
  expect(lax.counters.tlsPeerRejected).toBe(0);
  // the listener that was refused serves on (its side of a TLS 1.3 handshake ends after ours)
  await until(() => strange.counters.tlsAccepted === 1, 'the lax handshake at the listener');
  const ok = await new Promise<boolean>((resolve) => {
    const t = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => resolve(true));
    t.on('error', () => resolve(false));
    sockets.push(t);
  });
  expect(ok).toBe(true);
});

test('attack finding at msrp.maxConnections with TLS: a TLS connection and an msrps: dial make room by evicting an idle inbound connection; a handshake under way gives way only when no idle connection is left (F2), a finished one with no session is', async () => {
  // bindTimeoutMs and the handshake bound far away: only eviction can free a slot here
  const srv = new MsrpNet({ maxConnections: 2, transactionTimeoutMs: 3000, bindTimeoutMs: 60_000 }, { tlsClient: { ca: [good.cert], verifyPeer: true } });
  nets.push(srv);
  await srv.listen('127.0.0.1', 0);
  await srv.listenTls('127.0.0.1', 0, { cert: good.cert, key: good.key, handshakeTimeoutMs: 30_000 });
  const closed = (s: net.Socket) => () => s.destroyed;
  const handshaking = raw(srv.tlsAddress!.port);
  const idleTcp = raw(srv.address!.port);
  await until(() => srv.connectionCount === 1 && srv.connectionRoom === 1, 'a handshake and an idle TCP connection hold the slots');
  // a TLS client at the cap: its raw connection evicts the idle TCP one, never the handshake
  const c1 = await client({ ca: [good.cert], verifyPeer: true }).dial('127.0.0.1', srv.tlsAddress!.port, { secure: true });
  await until(closed(idleTcp), 'idle TCP connection evicted');
  await until(() => srv.counters.tlsAccepted === 1, 'handshake done at the server');
  expect(c1.secure).toBe(true);
  expect(handshaking.destroyed).toBe(false);
  expect(srv.counters).toMatchObject({ connectionsEvicted: 1, connectionsRejected: 0 });
  // the finished TLS connection binds no session: the next raw TLS connection evicts it
  const handshaking2 = raw(srv.tlsAddress!.port);
  await until(() => c1.closed, 'TLS connection without a session evicted');
  expect(srv.counters).toMatchObject({ connectionsEvicted: 2, connectionsRejected: 0 });
  // two handshakes under way, no idle connection: a TCP connection evicts the oldest handshake (F2)
  const idle2 = raw(srv.address!.port);
  await until(closed(handshaking), 'the oldest handshake evicted');
  expect(srv.counters).toMatchObject({ connectionsEvicted: 3, connectionsRejected: 0 });
  const peer = await server(good);
  // an idle inbound TCP connection and a handshake hold the slots: an msrps: dial evicts the idle one
  await until(() => srv.connectionCount === 1, 'idle TCP connection accepted');
  const out = await srv.dial('127.0.0.1', peer.tlsAddress!.port, { secure: true });
  expect(out.secure).toBe(true);
  await until(closed(idle2), 'idle TCP connection evicted by the dial');
  expect(handshaking2.destroyed).toBe(false);
  expect(srv.counters).toMatchObject({ connectionsEvicted: 4, connectionsRejected: 0, connectionsDialled: 1 });
});
