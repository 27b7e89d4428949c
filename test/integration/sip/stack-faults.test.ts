// One regression test per reproduced fault of sip@0.0.6 (ECOSYSTEM.md), each failing
// without its fix (patches/sip+0.0.6.patch or src/sip/stack).
import * as net from 'node:net';
import * as dgram from 'node:dgram';
import { Writable } from 'node:stream';
import { SipStack, type IncomingRequest } from '../../../src/sip/stack';
import { createLogger, type Logger } from '../../../src/log';
import { SipPeer, header, rid } from '../../helpers/sip-peer';

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

async function startStack(over: Partial<Parameters<typeof SipStack.start>[0]> = {}, handler?: (r: IncomingRequest) => void) {
  const { log, lines } = capturingLogger();
  const stack = await SipStack.start(
    { bind: '127.0.0.1', port: 0, udp: true, tcp: true, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 4096, overloadRetryAfterS: 7, logger: log, ...over },
    handler ?? ((r) => r.reply(200)),
  );
  return { stack, lines };
}

const until = async (pred: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

const options = (port: number, transport: 'UDP' | 'TCP', branch = rid()) =>
  [
    `OPTIONS sip:localhost SIP/2.0`,
    `Via: SIP/2.0/${transport} 127.0.0.1:${port};branch=z9hG4bK${branch}`,
    'Max-Forwards: 70',
    'From: <sip:a@localhost>;tag=1',
    'To: <sip:localhost>',
    `Call-ID: ${rid()}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');

function tcpExchange(port: number, data: string | Buffer[], waitMs = 1500): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    let closed = false;
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve({ text, closed });
    });
    s.on('connect', async () => {
      if (typeof data === 'string') s.write(data);
      else for (const b of data) s.write(b);
    });
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ text, closed });
    }, waitMs);
  });
}

test('fault 1: TCP "Content-Length: abc" is answered 400 and the connection closed, not buffered forever', async () => {
  const { stack } = await startStack();
  const bad = options(stack.port, 'TCP').replace('Content-Length: 0', 'Content-Length: abc') + 'x'.repeat(70000);
  const r = await tcpExchange(stack.port, bad);
  expect(r.text).toMatch(/^SIP\/2\.0 400 /);
  expect(r.closed).toBe(true);
  expect(stack.stats.invalid).toBeGreaterThan(0);
  await stack.close();
});

test('fault 1: a header block beyond maxBytesHeaders closes the connection', async () => {
  const { stack } = await startStack({ maxBytesHeaders: 2048 });
  const r = await tcpExchange(stack.port, 'OPTIONS sip:localhost SIP/2.0\r\nX-Flood: ' + 'a'.repeat(10000));
  expect(r.closed).toBe(true);
  await stack.close();
});

test('fault 2: the header terminator search is linear when a header arrives a byte at a time', async () => {
  // Count the characters the stream parser examines while a 20 KB header drips in byte by
  // byte. The unpatched parser re-ran a regex over the whole buffer per chunk (~n^2/2).
  const sip = require('sip') as { makeStreamParser: (...a: unknown[]) => (d: string) => void };
  let examined = 0;
  const origIndexOf = String.prototype.indexOf;
  const origMatch = String.prototype.match;
  String.prototype.indexOf = function (this: string, s: string, from?: number) {
    examined += this.length - (from ?? 0);
    return origIndexOf.call(this, s, from);
  } as typeof String.prototype.indexOf;
  String.prototype.match = function (this: string, re: RegExp) {
    examined += this.length;
    return origMatch.call(this, re);
  } as typeof String.prototype.match;
  let got = 0;
  try {
    const head = 'OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nX-Long: ' + 'a'.repeat(20000) + '\r\nContent-Length: 0\r\n\r\n';
    const feed = sip.makeStreamParser(() => got++, () => undefined, 65536, 65536);
    for (const ch of head) feed(ch);
  } finally {
    String.prototype.indexOf = origIndexOf;
    String.prototype.match = origMatch;
  }
  expect(got).toBe(1);
  expect(examined).toBeLessThan(20 * 20100);
});

test.each(['UDP', 'TCP'] as const)('fault 3: a body in any language goes out and comes back byte-exact (%s)', async (transport) => {
  const text = 'Grüße, 你好, مرحبا, 🙂';
  const { stack } = await startStack({}, (r) => r.reply(200, 'OK', { headers: { 'content-type': 'text/plain;charset=utf-8' }, body: r.msg.body }));
  const peer = await SipPeer.open(transport, stack.port);
  const rs = await peer.request({ method: 'MESSAGE', uri: 'sip:x@localhost', from: 'sip:a@localhost', to: 'sip:x@localhost', body: text, headers: { 'Content-Type': 'text/plain;charset=utf-8' } });
  expect(rs.body.toString('utf8')).toBe(text);
  expect(Number(header(rs, 'content-length'))).toBe(Buffer.byteLength(text, 'utf8'));
  peer.close();
  await stack.close();
});

test('fault 4: a header that fails to parse is answered 400, not dropped silently', async () => {
  const { stack } = await startStack();
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const got = new Promise<string>((r) => sock.once('message', (d) => r(d.toString('latin1'))));
  const port = sock.address().port;
  sock.send(options(port, 'UDP').replace('CSeq: 1 OPTIONS', 'CSeq: one OPTIONS'), stack.port, '127.0.0.1');
  expect(await got).toMatch(/^SIP\/2\.0 400 /);
  expect(stack.stats.rejected).toBe(1);
  sock.close();
  await stack.close();
});

test('fault 5: RFC 4475 3.1.2.7 <> around the Request-URI is refused with 400', async () => {
  const { stack } = await startStack();
  const peer = await SipPeer.open('UDP', stack.port);
  const raw = Buffer.from(options(peer.port, 'UDP').replace('OPTIONS sip:localhost SIP/2.0', 'OPTIONS <sip:localhost> SIP/2.0'));
  const callId = /Call-ID: (\S+)/.exec(raw.toString())![1];
  const rs = await peer.requestRaw(raw, `${callId}|1 OPTIONS`, 3000);
  expect(rs.status).toBe(400);
  peer.close();
  await stack.close();
});

test('fault 6: errors inside the library reach our logger', async () => {
  const { stack, lines } = await startStack();
  stack.sendAck({ method: 'ACK', uri: 'sip:nobody@no-such-host.invalid', headers: { from: { uri: 'sip:a@localhost', params: { tag: '1' } }, to: { uri: 'sip:b@localhost', params: {} }, 'call-id': rid(), cseq: { seq: 1, method: 'ACK' } }, body: Buffer.alloc(0) });
  for (let i = 0; i < 50 && !lines.some((l) => l.msg === 'sip library error'); i++) await new Promise((r) => setTimeout(r, 100));
  expect(lines.some((l) => l.msg === 'sip library error')).toBe(true);
  await stack.close();
});

test('fault 7: a request to another process on the bind address 127.0.0.1 is sent, not answered 404 locally', async () => {
  const { stack } = await startStack();
  const peer = await SipPeer.open('UDP', stack.port);
  peer.onRequest = (m, p) => p.answer(m, 202, 'Accepted');
  const rs = await stack.request({
    method: 'MESSAGE',
    uri: `sip:peer@127.0.0.1:${peer.port}`,
    headers: { from: { uri: 'sip:srv@localhost', params: { tag: 'x' } }, to: { uri: `sip:peer@127.0.0.1:${peer.port}`, params: {} }, 'call-id': rid(), cseq: { seq: 1, method: 'MESSAGE' }, 'max-forwards': '70' },
    body: Buffer.from('hi'),
  });
  expect(rs.status).toBe(202);
  peer.close();
  await stack.close();
});

test('fault 8: live server transactions are capped (503 + Retry-After) and end at once on TCP', async () => {
  // Requests the handler holds stay live; 40 from one peer against a cap of 16 (no per-source share here).
  const held: IncomingRequest[] = [];
  const { stack } = await startStack({ maxTransactions: 16, maxTransactionsPerSource: 1000 }, (r) => {
    held.push(r);
  });
  const peer = await SipPeer.open('UDP', stack.port);
  const pending = Array.from({ length: 40 }, () => peer.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:a@localhost', to: 'sip:localhost' }));
  await until(() => held.length + stack.stats.overload >= 40);
  expect(held).toHaveLength(16);
  expect(stack.transactionCounts().serverLive).toBe(16);
  for (const r of held) r.reply(200);
  const results = await Promise.all(pending);
  const overloaded = results.filter((r) => r.status === 503);
  expect(overloaded).toHaveLength(24);
  expect(header(overloaded[0], 'retry-after')).toBe('7');
  expect(stack.stats.overload).toBe(24);
  peer.close();
  // RFC 3261 17.2.2: Timer J is zero on TCP, so nothing lingers for 32 s.
  const tcp = await SipPeer.open('TCP', stack.port);
  const before = stack.transactionCounts().server;
  const answered = tcp.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:a@localhost', to: 'sip:localhost' });
  await until(() => held.length === 17);
  held[16].reply(200);
  await answered;
  await until(() => stack.transactionCounts().server <= before);
  tcp.close();
  await stack.close();
});

test('a handler that rejects becomes a 500, never an unhandled rejection', async () => {
  const { stack } = await startStack({}, () => {
    throw new Error('boom');
  });
  const peer = await SipPeer.open('TCP', stack.port);
  const rs = await peer.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:a@localhost', to: 'sip:localhost' });
  expect(rs.status).toBe(500);
  expect(stack.stats.handlerErrors).toBe(1);
  peer.close();
  await stack.close();
});

test('issue 8 item 3: the per-method request counter keys only known methods, one "other" label for the rest', async () => {
  const { stack } = await startStack({}, (r) => r.reply(501));
  const peer = await SipPeer.open('UDP', stack.port);
  const methods = Array.from({ length: 30 }, (_, i) => `X${rid().toUpperCase()}${i}`);
  for (const method of methods) expect((await peer.request({ method, uri: 'sip:localhost', from: 'sip:a@localhost', to: 'sip:localhost' })).status).toBe(501);
  expect((await peer.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:a@localhost', to: 'sip:localhost' })).status).toBe(501);
  expect(stack.stats.requestsIn).toEqual({ other: 30, OPTIONS: 1 });
  peer.close();
  await stack.close();
});
