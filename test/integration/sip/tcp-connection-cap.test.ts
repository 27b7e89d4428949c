// Issue 8 item 3: SIP TCP connections are capped like MSRP and admin HTTP ones
// (sip.maxTcpConnections). Accepted and dialed connections share the cap; beyond it a new
// connection is closed at once, a dial fails (503 for that target), each refusal is counted
// and the limit is logged once per burst; UDP is served throughout.
// Attack finding: silent sockets held every slot; at the cap a new connection now takes the
// slot of a quiet inbound one (no message ever, or none for sip.tcpQuietMs, and no
// transaction under way), counted as evicted.
import * as net from 'node:net';
import { Writable } from 'node:stream';
import { SipStack, type IncomingRequest } from '../../../src/sip/stack';
import type { SipRequest } from '../../../src/sip/message/types';
import { createLogger, silentLogger, type Logger } from '../../../src/log';
import { SipPeer, rid } from '../../helpers/sip-peer';

const CAP = 3;

function capturingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: createLogger({ level: 'debug', destination: dest }), lines };
}

const startStack = (logger: Logger, maxTcpConnections?: number, extra: { tcpQuietMs?: number; handler?: (r: IncomingRequest) => void } = {}) =>
  SipStack.start(
    {
      bind: '127.0.0.1', port: 0, udp: true, tcp: true, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 4096, overloadRetryAfterS: 5, logger,
      ...(maxTcpConnections ? { maxTcpConnections } : {}), ...(extra.tcpQuietMs ? { tcpQuietMs: extra.tcpQuietMs } : {}),
    },
    extra.handler ?? ((r) => r.reply(200)),
  );

const until = async (pred: () => boolean, what: string) => {
  const end = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

const options = (p: SipPeer) => p.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:a@localhost', to: 'sip:localhost' }, 3000);

/** A raw connection: resolves once the server has closed it, with whatever it sent first. */
function refusedConnection(port: number): Promise<{ text: string }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('error', () => undefined);
    // something to answer if the connection were (wrongly) served
    s.on('connect', () => s.write(`OPTIONS sip:localhost SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK${rid()}\r\nFrom: <sip:a@localhost>;tag=1\r\nTo: <sip:localhost>\r\nCall-ID: ${rid()}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`));
    s.on('close', () => resolve({ text }));
  });
}

/** An OPTIONS the stack sends itself over TCP to another stack (the library dials it). */
function dialOptions(from: SipStack, to: SipStack) {
  const uri = `sip:peer@127.0.0.1:${to.port};transport=tcp`;
  const rq: SipRequest = {
    method: 'OPTIONS',
    uri,
    headers: { from: { uri: 'sip:srv@localhost', params: { tag: rid() } }, to: { uri, params: {} }, 'call-id': rid(), cseq: { seq: 1, method: 'OPTIONS' }, 'max-forwards': '70' },
    body: Buffer.alloc(0),
  };
  return from.request(rq, { targets: [{ protocol: 'TCP', address: '127.0.0.1', port: to.port }] });
}

test('sip.maxTcpConnections: accepted and dialed connections share the cap; beyond it a connection is closed at once, UDP is served throughout', async () => {
  const { log, lines } = capturingLogger();
  const stack = await startStack(log, CAP);
  const far1 = await startStack(silentLogger());
  const far2 = await startStack(silentLogger());
  const udp = await SipPeer.open('UDP', stack.port);
  const peers: SipPeer[] = [];
  try {
    // One dialed and two accepted connections fill the cap of 3.
    expect((await dialOptions(stack, far1)).status).toBe(200);
    for (let i = 0; i < CAP - 1; i++) {
      const p = await SipPeer.open('TCP', stack.port);
      peers.push(p);
      expect((await options(p)).status).toBe(200);
    }
    expect(stack.tcpConnections()).toMatchObject({ live: CAP, limit: CAP, refused: { in: 0, out: 0 } });

    // The next connections are closed without a byte; each one is counted, the limit logged once.
    expect(await refusedConnection(stack.port)).toEqual({ text: '' });
    expect(await refusedConnection(stack.port)).toEqual({ text: '' });
    expect(stack.tcpConnections()).toMatchObject({ live: CAP, refused: { in: 2, out: 0 } });
    // A dial beyond the cap fails at once: 503 for that target, counted as refused out.
    expect((await dialOptions(stack, far2)).status).toBe(503);
    expect(stack.tcpConnections()).toMatchObject({ live: CAP, refused: { in: 2, out: 1 } });
    expect(lines.filter((l) => l.msg === 'SIP TCP connection limit reached; further connections are closed at once')).toHaveLength(1);

    // UDP is not touched by the TCP cap; the connections inside the cap still work.
    expect((await options(udp)).status).toBe(200);
    expect((await options(peers[0])).status).toBe(200);

    // Closing one lets a new one in.
    peers.shift()!.close();
    await until(() => stack.tcpConnections().live === CAP - 1, 'the slot given back');
    const next = await SipPeer.open('TCP', stack.port);
    peers.push(next);
    expect((await options(next)).status).toBe(200);
    expect(stack.tcpConnections()).toMatchObject({ live: CAP, refused: { in: 2, out: 1 } });
    expect(lines.some((l) => l.msg === 'SIP TCP connections below the limit again' && l.refused === 3)).toBe(true);

    // A new burst is logged again, once.
    expect(await refusedConnection(stack.port)).toEqual({ text: '' });
    expect(lines.filter((l) => l.msg === 'SIP TCP connection limit reached; further connections are closed at once')).toHaveLength(2);
    expect((await options(udp)).status).toBe(200);
  } finally {
    udp.close();
    for (const p of peers) p.close();
    await stack.close();
    await far1.close();
    await far2.close();
  }
});

test('without maxTcpConnections the stack keeps its default cap', async () => {
  const stack = await startStack(silentLogger());
  expect(stack.tcpConnections()).toEqual({ live: 0, limit: 1024, refused: { in: 0, out: 0 }, evicted: 0, refusedPerSource: 0, outputPaused: 0, outputClosed: 0 });
  await stack.close();
});

/** A raw connection that sends no SIP message; with ping, a CRLF keep-alive every few ms (RFC 5626 4.4.1). */
async function silentConnection(port: number, ping = false): Promise<{ socket: net.Socket; closed: () => boolean; stop: () => void }> {
  const socket = net.connect(port, '127.0.0.1');
  let closed = false;
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const t = ping ? setInterval(() => !closed && socket.write('\r\n\r\n'), 20) : undefined;
  return { socket, closed: () => closed, stop: () => (clearInterval(t), socket.destroy()) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('attack finding: a cap full of silent connections (none, or CRLF pings only) does not lock SIP over TCP out: each new connection evicts the oldest silent one (counted) and is answered', async () => {
  const { log, lines } = capturingLogger();
  const stack = await startStack(log, CAP);
  const far = await startStack(silentLogger());
  const silent: Awaited<ReturnType<typeof silentConnection>>[] = [];
  const peers: SipPeer[] = [];
  try {
    for (const ping of [false, true, false, false]) {
      // one at a time, so the order the stack saw them in is known
      silent.push(await silentConnection(stack.port, ping));
      if (silent.length <= CAP) await until(() => stack.tcpConnections().live === silent.length, 'connection admitted');
    }
    // the fourth found the cap full of silent connections: the oldest made room for it
    await until(() => silent[0]!.closed(), 'oldest silent connection evicted');
    expect(stack.tcpConnections()).toMatchObject({ live: CAP, refused: { in: 0, out: 0 }, evicted: 1 });
    // a REGISTER over a new connection is answered: the oldest silent one (the CRLF pinger:
    // keep-alives are no SIP message) gives way
    const reg = await SipPeer.open('TCP', stack.port);
    peers.push(reg);
    expect((await reg.request({ method: 'REGISTER', uri: 'sip:localhost', from: 'sip:a@localhost', to: 'sip:a@localhost', contact: `<${reg.contactUri}>` }, 3000)).status).toBe(200);
    await until(() => silent[1]!.closed(), 'CRLF-only connection evicted');
    // a dial at the cap evicts too
    expect((await dialOptions(stack, far)).status).toBe(200);
    await until(() => silent[2]!.closed(), 'next silent connection evicted');
    const opt = await SipPeer.open('TCP', stack.port);
    peers.push(opt);
    expect((await options(opt)).status).toBe(200);
    expect(silent.map((c) => c.closed())).toEqual([true, true, true, true]);
    expect(stack.tcpConnections()).toMatchObject({ live: CAP, refused: { in: 0, out: 0 }, evicted: 4 });
    expect(lines.filter((l) => l.msg === 'SIP TCP connection limit reached; quiet inbound connections are closed to make room')).toHaveLength(1);

    // now every slot carried a message just now (or is ours): a new connection is refused
    expect(await refusedConnection(stack.port)).toEqual({ text: '' });
    expect(stack.tcpConnections()).toMatchObject({ live: CAP, refused: { in: 1, out: 0 }, evicted: 4 });
    expect((await options(reg)).status).toBe(200);
    expect((await options(opt)).status).toBe(200);
  } finally {
    for (const c of silent) c.stop();
    for (const p of peers) p.close();
    await stack.close();
    await far.close();
  }
});

test('attack finding: a connection quiet for sip.tcpQuietMs gives way at the cap, one with a transaction under way never does', async () => {
  const QUIET = 300;
  const held: IncomingRequest[] = [];
  const stack = await startStack(silentLogger(), 2, {
    tcpQuietMs: QUIET,
    handler: (r) => (r.msg.method === 'INVITE' ? void held.push(r) : r.reply(200)),
  });
  const peers: SipPeer[] = [];
  try {
    const busy = await SipPeer.open('TCP', stack.port);
    const idle = await SipPeer.open('TCP', stack.port);
    peers.push(busy, idle);
    // busy: an INVITE the stack has not answered yet; idle: an OPTIONS answered at once
    const invite = busy.request({ method: 'INVITE', uri: 'sip:b@localhost', from: 'sip:a@localhost', to: 'sip:b@localhost' }, 10_000);
    await until(() => held.length === 1, 'INVITE held');
    expect((await options(idle)).status).toBe(200);
    // both carried a message within tcpQuietMs: nothing gives way
    expect(await refusedConnection(stack.port)).toEqual({ text: '' });
    expect(stack.tcpConnections()).toMatchObject({ live: 2, refused: { in: 1, out: 0 }, evicted: 0 });

    await sleep(QUIET + 100);
    // both are quiet now; the older one has a transaction under way, so the other gives way
    const next = await SipPeer.open('TCP', stack.port);
    peers.push(next);
    expect((await options(next)).status).toBe(200);
    expect(stack.tcpConnections()).toMatchObject({ live: 2, refused: { in: 1, out: 0 }, evicted: 1 });
    expect((await options(busy)).status).toBe(200);
    held[0]!.reply(486);
    expect((await invite).status).toBe(486);
  } finally {
    for (const p of peers) p.close();
    await stack.close();
  }
});

test('issue 11 item 5: one address may hold at most sip.maxTcpConnectionsPerSource inbound TCP connections; beyond, closed at once and counted (also under refused.in)', async () => {
  const stack = await SipStack.start(
    { bind: '127.0.0.1', port: 0, udp: true, tcp: true, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 4096, overloadRetryAfterS: 5, logger: silentLogger(), maxTcpConnections: 10, maxTcpConnectionsPerSource: 2 },
    (r) => r.reply(200),
  );
  const sockets: net.Socket[] = [];
  const closed: boolean[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const s = net.connect(stack.port, '127.0.0.1');
      const idx = i;
      closed.push(false);
      s.on('close', () => (closed[idx] = true));
      s.on('error', () => undefined);
      await new Promise<void>((r) => s.once('connect', () => r()));
      sockets.push(s);
    }
    await until(() => stack.tcpConnections().refusedPerSource === 2, 'two refused for their source');
    await until(() => closed.filter(Boolean).length === 2, 'two closed');
    expect(stack.tcpConnections().live).toBe(2);
    expect(stack.tcpConnections().evicted).toBe(0);
  } finally {
    for (const s of sockets) s.destroy();
    await stack.close();
  }
});
