// TLS end to end on the real `imedge serve` (issue 11 item 1): --tls-cert/--tls-key turn on
// SIP over TLS and MSRP over TLS; a 1-1 session whose caller uses both (sips:, TCP/TLS/MSRP)
// and whose callee uses plain TCP carries messages byte-exact; plain bytes on the TLS ports,
// an msrps: leg reached in clear and a peer certificate that does not verify are refused,
// counted in /metrics, and the server goes on serving.
import * as http from 'node:http';
import * as net from 'node:net';
import { startServer, type ServerHandle } from '../../helpers/server';
import { RawUa, sdpMedia } from '../../helpers/raw-ua';
import { RawMsrpPeer } from '../../helpers/msrp-peer';
import { SipPeer, header, headers, rid } from '../../helpers/sip-peer';
import { sessionFigures } from '../../helpers/figures';
import { certDir, makeCert, type TestCert } from '../../helpers/tls-cert';

let dir: ReturnType<typeof certDir>;
let cert: TestCert;
let stranger: TestCert;
let server: ServerHandle;
const closers: (() => unknown)[] = [];

beforeAll(async () => {
  dir = certDir();
  cert = makeCert(dir.dir, 'imedge');
  stranger = makeCert(dir.dir, 'stranger');
  server = await startServer({
    args: ['--tls-cert', cert.certFile, '--tls-key', cert.keyFile, '--sips-port', '0', '--msrps-port', '0'],
    // peers imedge dials over TLS are verified (tls.verifyPeer defaults to true) against this CA
    env: { IMEDGE_TLS__CA: cert.certFile, IMEDGE_TLS__HANDSHAKE_TIMEOUT_MS: '2000', IMEDGE_MSRP__CONNECT_TIMEOUT_MS: '3000' },
  });
});
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
  dir.cleanup();
});

const until = async (pred: () => boolean | Promise<boolean>, what: string, ms = 8000) => {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

async function ua(name: string, how: 'TLS' | 'TCP'): Promise<RawUa> {
  const u = how === 'TLS'
    ? await RawUa.open(`${name}${rid()}`, server.sipsPort!, 'TLS', { ca: cert.cert, msrp: true })
    : await RawUa.open(`${name}${rid()}`, server.sipPort, 'TCP');
  closers.push(() => u.close());
  return u;
}

function metricsText(): Promise<string> {
  return new Promise((resolve, reject) =>
    http.get({ host: '127.0.0.1', port: server.httpPort, path: '/metrics' }, (res) => {
      let t = '';
      res.on('data', (d) => (t += d));
      res.on('end', () => resolve(t));
    }).on('error', reject),
  );
}

async function tlsFigure(name: 'refused' | 'handshakes', labels: string): Promise<number> {
  const m = new RegExp(`^imedge_tls_${name}_total\\{${labels}\\} (\\d+)`, 'm').exec(await metricsText());
  if (!m) throw new Error(`no imedge_tls_${name}_total{${labels}} in /metrics`);
  return Number(m[1]);
}

/** Bytes in clear to a port; resolves with the first answer (the connection is then dropped). */
function firstAnswer(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('data', (d) => {
      resolve(d.toString('latin1'));
      s.destroy();
    });
    s.on('error', reject);
    s.on('connect', () => s.write(bytes));
    s.on('close', () => resolve(''));
  });
}

/** Bytes in clear to a port; resolves with what came back once the server closed the connection. */
function clearBytes(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('connect', () => s.write(bytes));
    s.on('close', () => resolve(text));
  });
}

const allReleased = () =>
  until(async () => {
    const f = await sessionFigures(server.httpPort);
    return f['1-1'] === 0 && f.livePairs === 0 && f.liveLegs === 0;
  }, 'every session released');

test('the listening line names the TLS ports: "sip":{"udp","tcp","tls"} and "msrps"', () => {
  const line = server.lines.find((l) => l.msg === 'listening')!;
  expect(line.sip).toEqual({ udp: server.sipPort, tcp: server.sipPort, tls: server.sipsPort });
  expect(server.sipsPort).toBeGreaterThan(0);
  expect(server.sipsPort).not.toBe(server.sipPort);
  expect(server.msrpsPort).toBeGreaterThan(0);
  expect(server.msrpsPort).not.toBe(server.msrpPort);
  expect(server.lines.some((l) => l.msg === 'TLS on' && typeof l.validTo === 'string')).toBe(true);
});

test('OPTIONS and REGISTER over SIP TLS: 200 on the connection, Via SIP/2.0/TLS with received and rport', async () => {
  const p = await SipPeer.open('TLS', server.sipsPort!, { ca: cert.cert });
  closers.push(() => p.close());
  const rs = await p.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:a@localhost', to: 'sip:localhost' });
  expect(rs.status).toBe(200);
  expect(headers(rs, 'via')[0]).toMatch(new RegExp(`^SIP/2\\.0/TLS 127\\.0\\.0\\.1:${p.port};.*received=127\\.0\\.0\\.1`));
  expect(headers(rs, 'via')[0]).toContain(`rport=${p.port}`);
  const reg = await p.request({ method: 'REGISTER', uri: 'sip:localhost', from: 'sip:tlsreg@localhost', to: 'sip:tlsreg@localhost', contact: `<${p.contactUri}>`, headers: { Expires: '60' } });
  expect(reg.status).toBe(200);
  expect(header(reg, 'contact')).toContain(p.contactUri);
});

test('1-1 session: caller on SIP TLS + MSRP TLS, callee on SIP TCP + MSRP TCP; messages cross byte-exact both ways; BYE releases it', async () => {
  const alice = await ua('alice', 'TLS');
  const bob = await ua('bob', 'TCP');
  const rs = await alice.invite(bob.user);
  expect(rs.status).toBe(200);
  // the caller's leg: msrps: on the TLS port, TCP/TLS/MSRP; our Contact is sips: on the SIP TLS port
  const ours = sdpMedia(rs.body);
  expect(ours.proto).toBe('TCP/TLS/MSRP');
  expect(ours.port).toBe(server.msrpsPort);
  expect(ours.path[0]).toMatch(new RegExp(`^msrps://127\\.0\\.0\\.1:${server.msrpsPort}/[^;]+;tcp$`));
  expect(header(rs, 'contact')).toMatch(new RegExp(`^<sips:im-[0-9a-f]+@127\\.0\\.0\\.1:${server.sipsPort}>`));
  // the callee's leg: plain TCP/MSRP offered to bob, msrp: on the TCP port
  const offered = sdpMedia(bob.invites[0].body);
  expect(offered.proto).toBe('TCP/MSRP');
  expect(offered.path[0]).toMatch(new RegExp(`^msrp://127\\.0\\.0\\.1:${server.msrpPort}/`));
  expect(header(bob.invites[0], 'contact')).toMatch(/;transport=tcp>?$/);
  await bob.incomingReady;
  expect(bob.msrpError).toBeUndefined();
  expect(alice.endpoint!.connection!.secure).toBe(true);
  expect(bob.endpoint!.connection!.secure).toBe(false);

  const texts = Array.from({ length: 50 }, (_, i) => `msg ${i} — ünïcødé ✓ 🙂`);
  for (const t of texts) await alice.endpoint!.send(Buffer.from(t), { contentType: 'text/plain' });
  const binary = Buffer.alloc(70_000);
  for (let i = 0; i < binary.length; i++) binary[i] = (i * 31 + 7) & 0xff;
  expect((await alice.endpoint!.send(binary, { contentType: 'text/plain' })).status).toBe(200);
  await until(() => bob.messages.length === texts.length + 1, 'messages at the callee');
  expect(bob.messages.slice(0, texts.length).map((m) => m.body.toString('utf8'))).toEqual(texts);
  expect(bob.messages[texts.length].body.equals(binary)).toBe(true);
  const back = Buffer.from('réponse de bob — over TCP, then TLS');
  expect((await bob.endpoint!.send(back, { contentType: 'text/plain' })).status).toBe(200);
  await until(() => alice.messages.length === 1, 'reply at the caller');
  expect(alice.messages[0].body.equals(back)).toBe(true);

  // BYE over the caller's TLS connection
  expect((await alice.requestInDialog('BYE')).status).toBe(200);
  await until(() => bob.byes.length === 1, 'BYE at the callee');
  await allReleased();
});

test('the other way round: a callee registered over SIP TLS is offered TCP/TLS/MSRP and a sips: Contact; a TCP caller reaches it', async () => {
  const alice = await ua('alice', 'TCP');
  const bob = await ua('bob', 'TLS');
  const rs = await alice.invite(bob.user);
  expect(rs.status).toBe(200);
  expect(sdpMedia(rs.body).proto).toBe('TCP/MSRP');
  const offered = sdpMedia(bob.invites[0].body);
  expect(offered.proto).toBe('TCP/TLS/MSRP');
  expect(offered.port).toBe(server.msrpsPort);
  expect(offered.path[0]).toMatch(/^msrps:/);
  expect(header(bob.invites[0], 'contact')).toMatch(new RegExp(`^<sips:im-[0-9a-f]+@127\\.0\\.0\\.1:${server.sipsPort}>`));
  expect(headers(bob.invites[0], 'via')[0]).toMatch(new RegExp(`^SIP/2\\.0/TLS 127\\.0\\.0\\.1:${server.sipsPort};`));
  await bob.incomingReady;
  expect(bob.msrpError).toBeUndefined();
  expect(bob.endpoint!.connection!.secure).toBe(true);
  const text = Buffer.from('tcp → tls ✓');
  expect((await alice.endpoint!.send(text, { contentType: 'text/plain' })).status).toBe(200);
  await until(() => bob.messages.length === 1, 'message at the callee');
  expect(bob.messages[0].body.equals(text)).toBe(true);
  // BYE from imedge to the TLS callee goes over its TLS connection
  expect((await alice.requestInDialog('BYE')).status).toBe(200);
  await until(() => bob.byes.length === 1, 'BYE at the callee');
  expect(headers(bob.byes[0], 'via')[0]).toMatch(/^SIP\/2\.0\/TLS /);
  await allReleased();
});

test('an msrps: leg reached in clear on the TCP MSRP port is refused 481 and counted; the leg still works over TLS', async () => {
  const alice = await ua('alice', 'TLS');
  const bob = await ua('bob', 'TCP');
  const rs = await alice.invite(bob.user, { noConnect: true });
  expect(rs.status).toBe(200);
  const tlsUri = sdpMedia(rs.body).path[0];
  const before = await tlsFigure('refused', 'listener="msrp",reason="clear-text"');
  const tid = rid();
  const answer = await firstAnswer(
    server.msrpPort!,
    `MSRP ${tid} SEND\r\nTo-Path: ${tlsUri}\r\nFrom-Path: msrp://127.0.0.1:9/${rid()};tcp\r\nMessage-ID: ${tid}\r\n-------${tid}$\r\n`,
  );
  expect(answer.startsWith(`MSRP ${tid} 481`)).toBe(true);
  expect(await tlsFigure('refused', 'listener="msrp",reason="clear-text"')).toBe(before + 1);
  await alice.connectTo(sdpMedia(rs.body).path);
  await bob.incomingReady;
  expect((await alice.endpoint!.send(Buffer.from('still fine'), { contentType: 'text/plain' })).status).toBe(200);
  await until(() => bob.messages.length === 1, 'message at the callee');
  expect((await bob.requestInDialog('BYE')).status).toBe(200);
  await until(() => alice.byes.length === 1, 'BYE at the caller');
  await allReleased();
});

test('plain TCP bytes on the SIP and MSRP TLS ports: closed without an answer, counted; TLS and TCP are served on', async () => {
  const sipBefore = await tlsFigure('refused', 'listener="sip",reason="handshake"');
  const msrpBefore = await tlsFigure('refused', 'listener="msrp",reason="handshake"');
  const options = `OPTIONS sip:localhost SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK${rid()}\r\nFrom: <sip:a@localhost>;tag=1\r\nTo: <sip:localhost>\r\nCall-ID: ${rid()}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
  expect(await clearBytes(server.sipsPort!, options)).toBe('');
  const tid = rid();
  expect(await clearBytes(server.msrpsPort!, `MSRP ${tid} SEND\r\nTo-Path: msrps://127.0.0.1:1/x;tcp\r\nFrom-Path: msrp://127.0.0.1:9/y;tcp\r\nMessage-ID: ${tid}\r\n-------${tid}$\r\n`)).toBe('');
  expect(await tlsFigure('refused', 'listener="sip",reason="handshake"')).toBe(sipBefore + 1);
  expect(await tlsFigure('refused', 'listener="msrp",reason="handshake"')).toBe(msrpBefore + 1);
  // served on: SIP over TLS and over TCP
  for (const [t, port] of [['TLS', server.sipsPort!], ['TCP', server.sipPort]] as const) {
    const p = await SipPeer.open(t, port, { ca: cert.cert });
    closers.push(() => p.close());
    expect((await p.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:a@localhost', to: 'sip:localhost' })).status).toBe(200);
  }
});

test('RFC 6135: a TLS caller that offers a=setup:passive is dialled over TLS; its certificate verified against tls.ca', async () => {
  const peer = await RawMsrpPeer.listen({ tls: { cert: cert.cert, key: cert.key } });
  closers.push(() => peer.close());
  const alice = await ua('alice', 'TLS');
  const bob = await ua('bob', 'TCP');
  const rs = await alice.invite(bob.user, { setup: 'passive', msrpUri: peer.uri, noConnect: true });
  expect(rs.status).toBe(200);
  expect(sdpMedia(rs.body).setup).toBe('active');
  await peer.until(() => peer.bindSends.length === 1, 'binding SEND over TLS at the caller');
  await bob.incomingReady;
  const toCallee = Buffer.from('from a passive TLS caller ✓');
  expect(await peer.send(toCallee)).toBe(200);
  await until(() => bob.messages.length === 1, 'message at the callee');
  expect(bob.messages[0].body.equals(toCallee)).toBe(true);
  expect((await alice.requestInDialog('BYE')).status).toBe(200);
  await allReleased();
});

test('tls.verifyPeer: a passive TLS caller whose certificate does not verify is not dialled through: refused, counted, both sides get a BYE', async () => {
  const peer = await RawMsrpPeer.listen({ tls: { cert: stranger.cert, key: stranger.key } });
  closers.push(() => peer.close());
  const before = await tlsFigure('refused', 'listener="msrp",reason="peer-certificate"');
  const alice = await ua('alice', 'TLS');
  const bob = await ua('bob', 'TCP');
  const rs = await alice.invite(bob.user, { setup: 'passive', msrpUri: peer.uri, noConnect: true });
  expect(rs.status).toBe(200);
  await until(() => alice.byes.length === 1 && bob.byes.length === 1, 'BYE to both sides');
  expect(peer.bindSends).toHaveLength(0);
  expect(peer.raw).toHaveLength(0);
  expect(await tlsFigure('refused', 'listener="msrp",reason="peer-certificate"')).toBe(before + 1);
  await allReleased();
});

test('a caller on SIP TLS may offer plain TCP/MSRP: its leg is msrp: on the TCP port (the MSRP transport is per leg)', async () => {
  const alice = await RawUa.open(`mixed${rid()}`, server.sipsPort!, 'TLS', { ca: cert.cert });
  closers.push(() => alice.close());
  const bob = await ua('bob', 'TCP');
  const rs = await alice.invite(bob.user);
  expect(rs.status).toBe(200);
  expect(sdpMedia(rs.body).proto).toBe('TCP/MSRP');
  await bob.incomingReady;
  expect((await alice.endpoint!.send(Buffer.from('tcp msrp, tls sip'), { contentType: 'text/plain' })).status).toBe(200);
  await until(() => bob.messages.length === 1, 'message at the callee');
  expect((await alice.requestInDialog('BYE')).status).toBe(200);
  await allReleased();
});
