// Regression tests for the attack-limits findings on SIP over TCP/TLS (the attacker's scripts
// sent these bytes): each test sends them over real sockets to a real SipStack on port 0, with
// short limits, and asserts what the server does, not how fast.
import { rootCertificates } from 'node:tls';
import { randomBytes } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { SipStack } from '../../../src/sip/stack';
import { silentLogger } from '../../../src/log';
import { SipPeer, rid } from '../../helpers/sip-peer';
import { certDir, makeCert, type TestCert } from '../../helpers/tls-cert';

const OUTPUT = { maxBytes: 16 * 1024, stallMs: 300 };
const MB20 = 20 * 1024 * 1024;

let dir: ReturnType<typeof certDir>;
let cert: TestCert;
const stacks: SipStack[] = [];
const sockets: net.Socket[] = [];
const peers: SipPeer[] = [];

beforeAll(() => {
  dir = certDir();
  cert = makeCert(dir.dir, 'lockout');
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const p of peers.splice(0)) p.close();
  for (const s of stacks.splice(0)) await s.close();
});
afterAll(() => dir.cleanup());

async function start(extra: Partial<Parameters<typeof SipStack.start>[0]> = {}): Promise<SipStack> {
  const stack = await SipStack.start(
    {
      bind: '127.0.0.1', port: 0, udp: true, tcp: true, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 4096,
      overloadRetryAfterS: 5, logger: silentLogger(), tcpOutput: OUTPUT,
      tls: { port: 0, cert: cert.cert, key: cert.key, ca: [...rootCertificates], verifyPeer: false, handshakeTimeoutMs: 2000 },
      ...extra,
    },
    (r) => r.reply(200),
  );
  stacks.push(stack);
  return stack;
}

/** t8/t18: the attacker's OPTIONS (siplib.req), Via with the client's own address and port. */
function options(transport: 'TCP' | 'TLS', port: number, branch = `z9hG4bK${rid()}`): Buffer {
  return Buffer.from(
    `OPTIONS sip:localhost SIP/2.0\r\nVia: SIP/2.0/${transport} 127.0.0.1:${port};branch=${branch};rport\r\nMax-Forwards: 70\r\n` +
      `From: <sip:atk@localhost>;tag=${rid()}\r\nTo: <sip:localhost>\r\nCall-ID: ${rid()}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
    'latin1',
  );
}

const closed = (s: net.Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));

/** A client that never reads: its socket is paused before the first answer can arrive. */
async function nonReader(connect: () => net.Socket, event: 'connect' | 'secureConnect'): Promise<net.Socket> {
  const s = connect();
  sockets.push(s);
  s.on('error', () => undefined);
  await new Promise<void>((r) => s.once(event, () => r()));
  s.pause();
  return s;
}

/** Sends `total` bytes of `chunk` repeated, ignoring backpressure (queued in this process), until the server closes. */
function flood(s: net.Socket, first: Buffer, chunk: Buffer, total: number): void {
  s.write(first);
  for (let sent = 0; sent < total && !s.destroyed; sent += chunk.length) s.write(chunk);
}

async function secondClientServed(stack: SipStack): Promise<void> {
  const p = await SipPeer.open('TCP', stack.port);
  peers.push(p);
  const res = await p.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:b@localhost', to: 'sip:localhost' }, 3000);
  expect(res.status).toBe(200);
}

describe('F1: a SIP TCP/TLS peer that never reads its answers (sip.maxTcpOutputBytes)', () => {
  it('t8: one OPTIONS then 20 MB of CRLF keep-alives, never read: reading stops, the connection is closed and counted; others are served', async () => {
    const stack = await start();
    const s = await nonReader(() => net.connect(stack.port, '127.0.0.1'), 'connect');
    flood(s, options('TCP', s.localPort ?? 0), Buffer.from('\r\n\r\n'.repeat(16384), 'latin1'), MB20);
    await closed(s);
    const st = stack.tcpConnections();
    expect(st.outputPaused).toBeGreaterThanOrEqual(1);
    expect(st.outputClosed).toBe(1);
    // the server stopped reading: it answered fewer pings than were sent
    expect(stack.stats.keepalives.TCP).toBeLessThan(MB20 / 4);
    await secondClientServed(stack);
  });

  it('t18: pipelined OPTIONS (the same request 200 times a chunk), never read: closed and counted; others are served', async () => {
    const stack = await start();
    const s = await nonReader(() => net.connect(stack.port, '127.0.0.1'), 'connect');
    const m = options('TCP', s.localPort ?? 0, 'z9hG4bKpipe1');
    flood(s, m, Buffer.concat(Array(200).fill(m)), MB20);
    await closed(s);
    expect(stack.tcpConnections().outputClosed).toBe(1);
    await secondClientServed(stack);
  });

  it('second attack round: requests still framed after the server closed a non-reading connection open no transaction (one each stayed live for good, until every request got 503)', async () => {
    const stack = await start();
    const s = await nonReader(() => net.connect(stack.port, '127.0.0.1'), 'connect');
    // distinct requests (new branch each): every one would open its own transaction
    const burst = Buffer.concat(Array.from({ length: 2000 }, () => options('TCP', s.localPort ?? 0)));
    flood(s, burst, burst, MB20);
    await closed(s);
    await until(() => stack.transactionCounts().serverLive === 0, 'no live server transaction left');
    expect(stack.stats.orphaned).toBeGreaterThan(0);
    await secondClientServed(stack);
  });

  it('t28: TLS, one OPTIONS then CRLF keep-alives, never read: closed and counted; others are served', async () => {
    const stack = await start();
    const s = await nonReader(() => tls.connect({ port: stack.tlsPort ?? 0, host: '127.0.0.1', rejectUnauthorized: false }), 'secureConnect');
    flood(s, options('TLS', s.localPort ?? 0), Buffer.from('\r\n\r\n'.repeat(16384), 'latin1'), MB20);
    await closed(s);
    expect(stack.tcpConnections().outputClosed).toBe(1);
    await secondClientServed(stack);
  });
});

/** A connection from another loopback address (the attacker's 127.0.x.1 sources). */
async function from(localAddress: string, port: number, first?: Buffer): Promise<{ socket: net.Socket; closed: () => boolean }> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress });
  sockets.push(socket);
  let isClosed = false;
  socket.on('error', () => undefined);
  socket.on('close', () => (isClosed = true));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  if (first) socket.write(first);
  return { socket, closed: () => isClosed };
}

const until = async (pred: () => boolean, what: string): Promise<void> => {
  const end = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** t16 partial mode: the start of a ClientHello, then nothing. */
const PARTIAL_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]);

describe('F2: silent TLS handshakes at sip.maxTcpConnections (tls.maxHandshakesPerSource)', () => {
  it('t16/t23: 4 addresses fill the cap with silent and partial-ClientHello handshakes; a legit TLS and TCP client are still served, the oldest handshakes evicted', async () => {
    // the handshake bound far away: only eviction can free a slot here
    const stack = await start({
      maxTcpConnections: 8, maxTcpConnectionsPerSource: 8, maxTlsHandshakesPerSource: 2,
      tls: { port: 0, cert: cert.cert, key: cert.key, ca: [...rootCertificates], verifyPeer: false, handshakeTimeoutMs: 30_000 },
    });
    const held: { socket: net.Socket; closed: () => boolean }[] = [];
    for (let i = 0; i < 4; i++) {
      held.push(await from(`127.0.${100 + i}.1`, stack.tlsPort ?? 0));
      held.push(await from(`127.0.${100 + i}.1`, stack.tlsPort ?? 0, PARTIAL_HELLO));
    }
    await until(() => stack.tcpConnections().live === 8, 'the cap held by handshakes');
    // a third handshake from one address is closed at once
    const third = await from('127.0.100.1', stack.tlsPort ?? 0);
    await until(third.closed, 'third handshake from one source closed');
    expect(stack.tcpConnections().refusedPerSource).toBe(1);
    const tlsPeer = await SipPeer.open('TLS', stack.tlsPort ?? 0, { ca: cert.cert });
    peers.push(tlsPeer);
    expect((await tlsPeer.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:b@localhost', to: 'sip:localhost' }, 3000)).status).toBe(200);
    await secondClientServed(stack);
    expect(stack.tcpConnections().evicted).toBeGreaterThanOrEqual(2);
    // the oldest went first
    expect(held[0].closed()).toBe(true);
    expect(held[7].closed()).toBe(false);
  });
});

describe('F3: a registered client\'s quiet connection at sip.maxTcpConnections', () => {
  it('t9: 4 addresses cycling OPTIONS connections through the cap evict the quiet ones but never the connection a live registration was made over; a request to the client still reaches it there', async () => {
    // a registrar's 200 lists the binding with its expires (RFC 3261 10.3 step 8)
    const stack = await SipStack.start(
      {
        bind: '127.0.0.1', port: 0, udp: true, tcp: true, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 4096,
        overloadRetryAfterS: 5, logger: silentLogger(), maxTcpConnections: 4, maxTcpConnectionsPerSource: 4, tcpQuietMs: 1,
      },
      (r) => r.reply(200, 'OK', r.msg.method === 'REGISTER' && Array.isArray(r.msg.headers.contact)
        ? { headers: { contact: r.msg.headers.contact.map((c) => ({ uri: c.uri, params: { expires: '600' } })) } } : {}),
    );
    stacks.push(stack);
    const victim = await from('127.0.0.1', stack.port);
    const vp = victim.socket.localPort ?? 0;
    let victimGot = '';
    victim.socket.on('data', (d: Buffer) => (victimGot += d.toString('latin1')));
    victim.socket.write(
      `REGISTER sip:localhost SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:${vp};branch=z9hG4bK${rid()};rport\r\nMax-Forwards: 70\r\n` +
        `From: <sip:vic@localhost>;tag=${rid()}\r\nTo: <sip:vic@localhost>\r\nCall-ID: ${rid()}\r\nCSeq: 1 REGISTER\r\n` +
        `Contact: <sip:vic@127.0.0.1:${vp};transport=tcp>\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n`,
    );
    await until(() => victimGot.startsWith('SIP/2.0 200'), 'the REGISTER answered');
    // the attacker: 3 connections per address from 4 addresses, each carrying one OPTIONS
    const attackers: { socket: net.Socket; closed: () => boolean }[] = [];
    for (let a = 0; a < 4; a++) {
      for (let i = 0; i < 3; i++) {
        const c = await from(`127.0.6.${a + 1}`, stack.port);
        let got = '';
        c.socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
        c.socket.write(options('TCP', c.socket.localPort ?? 0));
        await until(() => got.startsWith('SIP/2.0 200') || c.closed(), 'attacker OPTIONS answered');
        attackers.push(c);
      }
    }
    expect(stack.tcpConnections().evicted).toBeGreaterThanOrEqual(8);
    expect(victim.closed()).toBe(false);
    // a MESSAGE to the client goes back over the connection it registered on
    victimGot = '';
    const uri = `sip:vic@127.0.0.1:${vp};transport=tcp`;
    void stack.request(
      { method: 'MESSAGE', uri, headers: { from: { uri: 'sip:a@localhost', params: { tag: rid() } }, to: { uri, params: {} }, 'call-id': rid(), cseq: { seq: 1, method: 'MESSAGE' }, 'max-forwards': '70' }, body: Buffer.from('hello') },
      { targets: [{ protocol: 'TCP', address: '127.0.0.1', port: vp }] },
    ).catch(() => undefined);
    await until(() => victimGot.startsWith('MESSAGE '), 'the MESSAGE at the registered client');
  });
});

/** A UDP socket bound to one loopback address that collects what comes back. */
async function udpFrom(address: string): Promise<{ sock: dgram.Socket; port: number; got: string[] }> {
  const sock = dgram.createSocket('udp4');
  const got: string[] = [];
  sock.on('message', (m) => got.push(m.toString('latin1').split('\r\n', 1)[0]));
  await new Promise<void>((r) => sock.bind(0, address, () => r()));
  udps.push(sock);
  return { sock, port: sock.address().port, got };
}
const udps: dgram.Socket[] = [];
afterEach(() => {
  for (const u of udps.splice(0)) u.close();
});

/** t2: the attacker's UDP OPTIONS (siplib.req) from ip:port. */
const udpOptions = (ip: string, port: number) =>
  Buffer.from(
    `OPTIONS sip:localhost SIP/2.0\r\nVia: SIP/2.0/UDP ${ip}:${port};branch=z9hG4bK${rid()};rport\r\nMax-Forwards: 70\r\n` +
      `From: <sip:atk@localhost>;tag=${rid()}\r\nTo: <sip:localhost>\r\nCall-ID: ${rid()}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
    'latin1',
  );

describe('F6: rotating more source addresses than sip.maxRateTrackedSources', () => {
  it('t2: each address forgotten and back again gains no burst: once the tracker is full, new and returning sources get 503, counted', async () => {
    // the clock stands still: no source earns a token, only a (wrongly) fresh burst could pass
    const stack = await start({ rateLimit: { perSecond: 1, burst: 5, maxSources: 2, now: () => 0 } });
    const srcs = await Promise.all(['127.0.10.1', '127.0.10.2', '127.0.10.3', '127.0.10.4'].map((a) => udpFrom(a)));
    for (let round = 0; round < 3; round++) {
      for (const [i, s] of srcs.entries()) {
        const before = s.got.length;
        s.sock.send(udpOptions(`127.0.10.${i + 1}`, s.port), stack.port, '127.0.0.1');
        await until(() => s.got.length > before, 'an answer');
      }
    }
    const all = srcs.flatMap((s) => s.got);
    // the first two sources, while the tracker had room, spent their burst: 2 x 200 in round 1
    expect(all.filter((l) => l === 'SIP/2.0 200 OK')).toHaveLength(2);
    expect(all.filter((l) => l.startsWith('SIP/2.0 503'))).toHaveLength(10);
    expect(stack.rateLimited()).toMatchObject({ startedEmpty: 10, tracked: 2 });
  });
});

describe('F8: STUN Binding requests and CRLF pings on the UDP port', () => {
  it('t26: RFC 5626 4.4.2 STUN requests spend the per-source UDP rate; over it they are dropped, never answered (no reflector)', async () => {
    const stack = await start({ rateLimit: { perSecond: 1, burst: 3, maxSources: 16, now: () => 0 } });
    const u = await udpFrom('127.0.19.1');
    let stunAnswers = 0;
    u.sock.on('message', (m) => {
      if (m.length >= 20 && m.readUInt16BE(0) === 0x0101) stunAnswers++;
    });
    // the attacker's datagram: Binding request, length 0, magic cookie, 12 random bytes
    const stun = () => Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), randomBytes(12)]);
    for (let i = 0; i < 20; i++) u.sock.send(stun(), stack.port, '127.0.0.1');
    for (let i = 0; i < 5; i++) u.sock.send(Buffer.from('\r\n\r\n'), stack.port, '127.0.0.1');
    // datagrams from one socket are handled in order: once the OPTIONS is answered, all came in
    u.sock.send(udpOptions('127.0.19.1', u.port), stack.port, '127.0.0.1');
    await until(() => u.got.some((l) => l.startsWith('SIP/2.0 503')), 'the OPTIONS answered 503');
    expect(stunAnswers).toBe(3);
    expect(stack.stats.keepalives.UDP).toBe(3);
    expect(stack.rateLimited().dropped).toBe(22);
  });
});

/** Status codes in what a stream peer received, in order. */
const statusesIn = (buf: string) => [...buf.matchAll(/^SIP\/2\.0 (\d{3}) /gm)].map((m) => Number(m[1]));

describe('F7: pipelined copies of one request over TCP (sip.maxRequestsPerSecondPerSource)', () => {
  it('RFC 3261 17.1.2.2: 200 copies of one MESSAGE (same branch) in one write each spend the source\'s rate; over it they get 503 + Retry-After, counted', async () => {
    // the clock stands still: only the burst (3) can pass
    const stack = await start({ rateLimit: { perSecond: 1, burst: 3, maxSources: 16, now: () => 0 } });
    const c = await from('127.0.20.1', stack.port);
    let got = '';
    c.socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    const p = c.socket.localPort ?? 0;
    const msg = Buffer.from(
      `MESSAGE sip:bob@localhost SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.20.1:${p};branch=z9hG4bKpipe7;rport\r\nMax-Forwards: 70\r\n` +
        `From: <sip:atk@localhost>;tag=f7\r\nTo: <sip:bob@localhost>\r\nCall-ID: f7-${rid()}\r\nCSeq: 1 MESSAGE\r\n` +
        `Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi`,
      'latin1',
    );
    c.socket.write(Buffer.concat(Array(200).fill(msg)));
    await until(() => statusesIn(got).length === 200, 'an answer to every copy');
    const statuses = statusesIn(got);
    // before: the first created the transaction, the 199 others were absorbed as retransmissions and answered 200
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(3);
    expect(statuses.filter((s) => s === 503)).toHaveLength(197);
    expect(got).toMatch(/\r\nRetry-After: 1\r\n/i);
    expect(stack.rateLimited().rejected).toBe(197);
    expect(c.closed()).toBe(false);
  });
});

describe('F9: floods of ACKs and stray responses (sip.maxRequestsPerSecondPerSource)', () => {
  const ack = (ip: string, port: number, transport: 'UDP' | 'TCP') =>
    Buffer.from(
      `ACK sip:bob@localhost SIP/2.0\r\nVia: SIP/2.0/${transport} ${ip}:${port};branch=z9hG4bK${rid()};rport\r\nMax-Forwards: 70\r\n` +
        `From: <sip:atk@localhost>;tag=${rid()}\r\nTo: <sip:bob@localhost>;tag=${rid()}\r\nCall-ID: ${rid()}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n`,
      'latin1',
    );
  const stray = (port: number) =>
    Buffer.from(
      `SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${rid()}\r\nFrom: <sip:a@localhost>;tag=${rid()}\r\n` +
        `To: <sip:b@localhost>;tag=${rid()}\r\nCall-ID: ${rid()}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
      'latin1',
    );

  it('ACKs and stray responses over the rate are dropped unanswered and counted, on UDP and TCP; OPTIONS from another source gets 200; an exempt address is never limited', async () => {
    let acks = 0;
    const stack = await SipStack.start(
      {
        bind: '127.0.0.1', port: 0, udp: true, tcp: true, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 4096,
        overloadRetryAfterS: 5, logger: silentLogger(), rateLimit: { perSecond: 1, burst: 3, maxSources: 16, exempt: ['127.0.21.9'], now: () => 0 },
      },
      (r) => (r.msg.method === 'ACK' ? void acks++ : r.reply(200)),
    );
    stacks.push(stack);
    // UDP: 3 tokens, then 30 datagrams dropped; the OPTIONS after them (same socket, in order) is over the rate too
    const u = await udpFrom('127.0.21.1');
    for (let i = 0; i < 15; i++) u.sock.send(ack('127.0.21.1', u.port, 'UDP'), stack.port, '127.0.0.1');
    for (let i = 0; i < 18; i++) u.sock.send(stray(stack.port), stack.port, '127.0.0.1');
    u.sock.send(udpOptions('127.0.21.1', u.port), stack.port, '127.0.0.1');
    await until(() => u.got.length === 1, 'the OPTIONS after the flood answered');
    expect(u.got[0]).toMatch(/^SIP\/2\.0 503/);
    expect(acks).toBe(3);
    expect(stack.rateLimited()).toMatchObject({ dropped: 30, rejected: 1 });
    // TCP: the same, judged as each message is framed
    const t = await from('127.0.21.2', stack.port);
    let got = '';
    t.socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    const tp = t.socket.localPort ?? 0;
    t.socket.write(Buffer.concat([...Array(10).fill(ack('127.0.21.2', tp, 'TCP')), ...Array(10).fill(stray(stack.port)), options('TCP', tp)]));
    await until(() => statusesIn(got).length === 1, 'the OPTIONS after the TCP flood answered');
    expect(statusesIn(got)).toEqual([503]);
    expect(acks).toBe(6);
    expect(stack.rateLimited()).toMatchObject({ dropped: 30 + 17, rejected: 2 });
    // another source is served
    const o = await udpFrom('127.0.21.3');
    o.sock.send(udpOptions('127.0.21.3', o.port), stack.port, '127.0.0.1');
    await until(() => o.got.length === 1, 'the other source answered');
    expect(o.got[0]).toBe('SIP/2.0 200 OK');
    // an exempt address floods freely: every ACK reaches the core, nothing more is counted
    const x = await udpFrom('127.0.21.9');
    for (let i = 0; i < 20; i++) x.sock.send(ack('127.0.21.9', x.port, 'UDP'), stack.port, '127.0.0.1');
    await until(() => acks === 26, 'the exempt ACKs at the core');
    expect(stack.rateLimited().dropped).toBe(47);
  });
});

describe('second limits attack F4: the TCP cap held by connections that send one OPTIONS a minute (never quiet)', () => {
  it('a newcomer from another address takes the oldest idle connection of the address holding the most; a flooder\'s own new connection takes nobody\'s', async () => {
    const stack = await start({ maxTcpConnections: 8, maxTcpConnectionsPerSource: 8, tcpQuietMs: 600_000 });
    const answered = async (c: { socket: net.Socket; closed: () => boolean }): Promise<boolean> => {
      let got = '';
      c.socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
      c.socket.write(options('TCP', c.socket.localPort ?? 0));
      await until(() => got.startsWith('SIP/2.0 200') || c.closed(), 'OPTIONS answered or connection closed');
      return got.startsWith('SIP/2.0 200');
    };
    // 2 addresses x 4 connections, each has carried a request: the cap is full and nobody is quiet
    const held: { socket: net.Socket; closed: () => boolean }[] = [];
    for (let a = 0; a < 2; a++) {
      for (let i = 0; i < 4; i++) {
        const c = await from(`127.0.41.${a + 1}`, stack.port);
        expect(await answered(c)).toBe(true);
        held.push(c);
      }
    }
    expect(stack.tcpConnections().live).toBe(8);
    // the flooder's own address: refused at once (it would only take its own)
    const more = await from('127.0.41.1', stack.port);
    await until(() => more.closed(), 'the flooder\'s ninth connection closed');
    expect(stack.tcpConnections().evicted).toBe(0);
    // a phone reconnecting from its own address is served: the oldest of 127.0.41.1's gave way
    const phone = await from('127.0.41.9', stack.port);
    expect(await answered(phone)).toBe(true);
    expect(stack.tcpConnections().evicted).toBe(1);
    await until(() => held[0].closed(), 'the oldest crowded connection closed');
    expect(held.slice(1).every((c) => !c.closed())).toBe(true);
  });
});
