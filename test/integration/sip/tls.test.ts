// SIP over TLS at the stack (issue 11 item 1): the TLS listener beside UDP/TCP, requests and
// answers over raw node:tls sockets, sips: and transport=tls hops dialled with TLS and the
// right Via, plain TCP on the TLS port and peer certificates that do not verify refused and
// counted, the server serving on throughout.
import * as net from 'node:net';
import { connect as tlsConnect, rootCertificates } from 'node:tls';
import { SipStack, type IncomingRequest } from '../../../src/sip/stack';
import type { SipRequest } from '../../../src/sip/message/types';
import { silentLogger } from '../../../src/log';
import { SipPeer, header, headers, rid } from '../../helpers/sip-peer';
import { certDir, makeCert, type TestCert } from '../../helpers/tls-cert';

let dir: ReturnType<typeof certDir>;
let good: TestCert;
let stranger: TestCert;
const stacks: SipStack[] = [];
const peers: SipPeer[] = [];

beforeAll(() => {
  dir = certDir();
  good = makeCert(dir.dir, 'good');
  // self-signed and trusted by nobody here
  stranger = makeCert(dir.dir, 'stranger');
});
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  for (const s of stacks.splice(0)) await s.close();
});
afterAll(() => dir.cleanup());

interface Started {
  stack: SipStack;
  seen: IncomingRequest[];
}

async function start(
  cert: TestCert,
  opts: { verifyPeer?: boolean; trust?: Buffer[]; tcp?: boolean; maxTcpConnections?: number; handshakeTimeoutMs?: number } = {},
): Promise<Started> {
  const seen: IncomingRequest[] = [];
  const stack = await SipStack.start(
    {
      bind: '127.0.0.1', port: 0, udp: true, tcp: opts.tcp ?? true, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 4096,
      overloadRetryAfterS: 5, logger: silentLogger(), ...(opts.maxTcpConnections ? { maxTcpConnections: opts.maxTcpConnections } : {}),
      tls: {
        port: 0, cert: cert.cert, key: cert.key, ca: [...rootCertificates, ...(opts.trust ?? [good.cert])], verifyPeer: opts.verifyPeer ?? true,
        handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 2000,
      },
    },
    (r) => {
      seen.push(r);
      r.reply(200);
    },
  );
  stacks.push(stack);
  return { stack, seen };
}

const peer = async (port: number, transport: 'UDP' | 'TCP' | 'TLS' = 'TLS') => {
  const p = await SipPeer.open(transport, port, { ca: good.cert });
  peers.push(p);
  return p;
};

const until = async (pred: () => boolean, what: string) => {
  const end = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** A raw socket that sends nothing (on a TLS port: a handshake that never starts); closed() once the server closes it. */
async function silent(port: number): Promise<{ socket: net.Socket; closed: () => boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  let closed = false;
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  return { socket, closed: () => closed };
}

const options = (p: SipPeer) => p.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:a@localhost', to: 'sip:localhost' }, 3000);

function optionsTo(uri: string): SipRequest {
  return {
    method: 'OPTIONS',
    uri,
    headers: { from: { uri: 'sip:srv@localhost', params: { tag: rid() } }, to: { uri, params: {} }, 'call-id': rid(), cseq: { seq: 1, method: 'OPTIONS' }, 'max-forwards': '70' },
    body: Buffer.alloc(0),
  };
}

/** Plain TCP bytes (an OPTIONS in clear) to a TLS port: resolves with what came back once it is closed. */
function plainBytes(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('connect', () => s.write(`OPTIONS sip:localhost SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK${rid()}\r\nFrom: <sip:a@localhost>;tag=1\r\nTo: <sip:localhost>\r\nCall-ID: ${rid()}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`));
    s.on('close', () => resolve(text));
  });
}

test('RFC 3261 26.2: OPTIONS and REGISTER over TLS are answered on the connection, Via SIP/2.0/TLS with received and rport', async () => {
  const { stack, seen } = await start(good);
  expect(stack.transports).toEqual({ udp: true, tcp: true, tls: true });
  expect(stack.tlsPort).toBeGreaterThan(0);
  expect(stack.tlsPort).not.toBe(stack.port);
  const p = await peer(stack.tlsPort!);
  const rs = await options(p);
  expect(rs.status).toBe(200);
  const via = headers(rs, 'via')[0];
  expect(via).toMatch(/^SIP\/2\.0\/TLS 127\.0\.0\.1:\d+;/);
  expect(via).toContain('received=127.0.0.1');
  expect(via).toContain(`rport=${p.port}`);
  // the request's flow above the stack: TCP carried over TLS
  expect(seen[0].flow).toMatchObject({ protocol: 'TCP', address: '127.0.0.1', port: p.port, secure: true });
  const reg = await p.request({ method: 'REGISTER', uri: 'sip:localhost', from: 'sip:a@localhost', to: 'sip:a@localhost', contact: `<${p.contactUri}>`, headers: { Expires: '60' } });
  expect(reg.status).toBe(200);
  expect(stack.stats.tls).toMatchObject({ accepted: 1, handshakeFailures: 0 });
  // TCP and UDP are untouched and their flows are not secure
  const tcp = await peer(stack.port, 'TCP');
  expect((await options(tcp)).status).toBe(200);
  expect(seen[seen.length - 1].flow.secure).toBeUndefined();
});

test('RFC 5626 4.4.1 over TLS: a double CRLF is answered with one CRLF; TLS connections count in sip.maxTcpConnections and give their slot back on close', async () => {
  const { stack } = await start(good);
  const p = await peer(stack.tlsPort!);
  expect((await options(p)).status).toBe(200);
  expect(stack.tcpConnections().live).toBe(1);
  const sock = (p as unknown as { tcp: import('node:tls').TLSSocket }).tcp;
  const pong = new Promise<string>((resolve) => sock.once('data', (d: Buffer) => resolve(d.toString('latin1'))));
  p.sendRaw('\r\n\r\n');
  expect(await pong).toBe('\r\n');
  expect(stack.stats.keepalives.TCP).toBe(1);
  p.close();
  const end = Date.now() + 5000;
  while (stack.tcpConnections().live !== 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  expect(stack.tcpConnections().live).toBe(0);
});

test('a request imedge sends on a TLS flow reuses the connection and says SIP/2.0/TLS with the TLS port', async () => {
  const { stack, seen } = await start(good);
  const p = await peer(stack.tlsPort!);
  expect((await options(p)).status).toBe(200);
  const flow = seen[0].flow;
  const got = new Promise<string>((resolve) => {
    p.onRequest = (m, pp) => {
      resolve(headers(m, 'via')[0] ?? '');
      pp.answer(m, 200);
    };
  });
  const rs = await stack.request(optionsTo(p.contactUri), { targets: [flow] });
  expect(rs.status).toBe(200);
  expect(await got).toMatch(new RegExp(`^SIP/2\\.0/TLS 127\\.0\\.0\\.1:${stack.tlsPort};branch=`));
  expect(stack.stats.tls.dialled).toBe(0);
});

test('RFC 5630: sips: and transport=tls hops (Request-URI or top Route) are dialled with TLS, the connection reused', async () => {
  const near = await start(good);
  const far = await start(good);
  const sips = await near.stack.request(optionsTo(`sips:peer@127.0.0.1:${far.stack.tlsPort}`));
  expect(sips.status).toBe(200);
  const viaIn = far.seen[0].msg.headers.via?.[0];
  expect(viaIn).toMatchObject({ protocol: 'TLS', port: near.stack.tlsPort });
  expect(far.seen[0].flow.secure).toBe(true);
  const tagged = await near.stack.request(optionsTo(`sip:peer@127.0.0.1:${far.stack.tlsPort};transport=tls`));
  expect(tagged.status).toBe(200);
  // a Route names the hop: the Request-URI is only carried
  const routed = optionsTo('sip:someone@example.invalid');
  routed.headers.route = [{ uri: `sips:127.0.0.1:${far.stack.tlsPort};lr`, params: {} }];
  expect((await near.stack.request(routed)).status).toBe(200);
  expect(far.seen).toHaveLength(3);
  expect(near.stack.stats.tls.dialled).toBe(1);
  // a secure flow given as a target is dialled with TLS too
  const other = await start(good);
  const viaFlow = await near.stack.request(optionsTo(`sip:x@127.0.0.1:${other.stack.tlsPort}`), { targets: [{ protocol: 'TCP', address: '127.0.0.1', port: other.stack.tlsPort!, secure: true }] });
  expect(viaFlow.status).toBe(200);
  expect(other.seen[0].flow.secure).toBe(true);
});

test('plain TCP bytes on the TLS port: the connection is closed without an answer, counted, and TLS is still served', async () => {
  const { stack } = await start(good);
  expect(await plainBytes(stack.tlsPort!)).toBe('');
  expect(await plainBytes(stack.tlsPort!)).toBe('');
  expect(stack.stats.tls.handshakeFailures).toBe(2);
  expect(stack.tcpConnections().live).toBe(0);
  const p = await peer(stack.tlsPort!);
  expect((await options(p)).status).toBe(200);
});

test('tls.verifyPeer: a peer whose certificate does not verify is refused (503 for that target) and counted; verifyPeer false encrypts anyway', async () => {
  const near = await start(good);
  const strange = await start(stranger);
  const uri = `sips:peer@127.0.0.1:${strange.stack.tlsPort}`;
  expect((await near.stack.request(optionsTo(uri))).status).toBe(503);
  expect(near.stack.stats.tls.peerRejected).toBe(1);
  expect(strange.seen).toHaveLength(0);
  // a trusted certificate that names another host does not verify either
  const wrongName = makeCert(dir.dir, 'wrong-name', { san: 'DNS:elsewhere.invalid' });
  const misnamed = await start(wrongName);
  const trusting = await start(good, { trust: [wrongName.cert] });
  expect((await trusting.stack.request(optionsTo(`sips:peer@127.0.0.1:${misnamed.stack.tlsPort}`))).status).toBe(503);
  expect(trusting.stack.stats.tls.peerRejected).toBe(1);
  // the refusing side goes on serving
  expect((await near.stack.request(optionsTo(`sips:peer@127.0.0.1:${trusting.stack.tlsPort}`))).status).toBe(200);
  const lax = await start(good, { verifyPeer: false });
  expect((await lax.stack.request(optionsTo(uri))).status).toBe(200);
  expect(lax.stack.stats.tls.peerRejected).toBe(0);
  expect(strange.seen).toHaveLength(1);
});

test('without TLS a sips: hop cannot be reached (503), and a stack without TCP still serves TLS', async () => {
  const plain = await SipStack.start(
    { bind: '127.0.0.1', port: 0, udp: true, tcp: true, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 64, overloadRetryAfterS: 5, logger: silentLogger() },
    (r) => r.reply(200),
  );
  stacks.push(plain);
  expect(plain.tlsPort).toBeUndefined();
  expect((await plain.request(optionsTo('sips:peer@127.0.0.1:5061'))).status).toBe(503);
  const noTcp = await start(good, { tcp: false });
  expect(noTcp.stack.transports).toEqual({ udp: true, tcp: false, tls: true });
  const p = await peer(noTcp.stack.tlsPort!);
  expect((await options(p)).status).toBe(200);
  expect(header(await options(p), 'via')).toMatch(/^SIP\/2\.0\/TLS/);
});

test('attack finding at sip.maxTcpConnections with TLS: a connection still in its TLS handshake holds a slot and gives way after silent connections (F2), before quiet ones; once its handshake is done a silent one gives way like a TCP one, and a sips: dial makes room too', async () => {
  // the handshake bound far away: only eviction could free a handshaking slot here
  const { stack } = await start(good, { maxTcpConnections: 2, handshakeTimeoutMs: 30_000 });
  const far = await start(good);
  const held: net.Socket[] = [];
  try {
    const handshaking = await silent(stack.tlsPort!);
    const idleTcp = await silent(stack.port);
    held.push(handshaking.socket, idleTcp.socket);
    await until(() => stack.tcpConnections().live === 2, 'both slots taken');
    // a TLS client at the cap: its raw connection evicts the idle TCP one, not the handshake
    const p = await peer(stack.tlsPort!);
    expect((await options(p)).status).toBe(200);
    await until(idleTcp.closed, 'idle TCP connection evicted');
    expect(handshaking.closed()).toBe(false);
    expect(stack.tcpConnections()).toMatchObject({ live: 2, evicted: 1, refused: { in: 0, out: 0 } });
    // left: the handshake and a TLS connection that just carried a message: the handshake goes (F2)
    const newcomer = await silent(stack.port);
    held.push(newcomer.socket);
    await until(handshaking.closed, 'the handshake evicted');
    expect(newcomer.closed()).toBe(false);
    expect(stack.tcpConnections()).toMatchObject({ live: 2, evicted: 2, refused: { in: 0 } });
    // a TLS connection that finished its handshake but never carried a SIP message is evictable
    newcomer.socket.destroy();
    await until(() => stack.tcpConnections().live === 1, 'the handshake slot given back');
    const accepted = stack.stats.tls.accepted;
    const quietTls = tlsConnect({ host: '127.0.0.1', port: stack.tlsPort!, ca: [good.cert] });
    let quietClosed = false;
    quietTls.on('error', () => undefined);
    quietTls.on('close', () => (quietClosed = true));
    held.push(quietTls);
    await until(() => stack.stats.tls.accepted === accepted + 1, 'handshake done at the server');
    const tcp = await peer(stack.port, 'TCP');
    expect((await options(tcp)).status).toBe(200);
    await until(() => quietClosed, 'silent TLS connection evicted');
    expect(stack.tcpConnections()).toMatchObject({ live: 2, evicted: 3, refused: { in: 0, out: 0 } });
    // a sips: dial at the cap takes the slot of a quiet inbound connection: here none has been
    // quiet for tcpQuietMs (60 s) and both carried a message, so it is refused (503)
    expect((await stack.request(optionsTo(`sips:peer@127.0.0.1:${far.stack.tlsPort}`))).status).toBe(503);
    expect(stack.tcpConnections()).toMatchObject({ live: 2, refused: { out: 1 } });
    // with a silent inbound one there, the dial evicts it and goes out over TLS
    tcp.close();
    await until(() => stack.tcpConnections().live === 1, 'slot given back');
    const idle2 = await silent(stack.port);
    held.push(idle2.socket);
    await until(() => stack.tcpConnections().live === 2, 'cap full again');
    expect((await stack.request(optionsTo(`sips:peer@127.0.0.1:${far.stack.tlsPort}`))).status).toBe(200);
    await until(idle2.closed, 'silent connection evicted by the dial');
    expect(stack.tcpConnections()).toMatchObject({ live: 2, evicted: 4 });
    expect(stack.stats.tls.dialled).toBe(1);
    expect(far.seen[0].flow.secure).toBe(true);
  } finally {
    for (const s of held) s.destroy();
  }
});
