// Issue 11 item 5: SIP requests per second per source address (src/sip/stack/rate-limit.ts),
// over real loopback sockets. The stack-level tests drive the bucket with a fixed clock, so
// what is asserted is the rule (burst, one 503 per window on UDP, 503 each on TCP), not timing.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { SipStack, type IncomingRequest } from '../../../src/sip/stack';
import type { RateLimitOptions } from '../../../src/sip/stack/rate-limit';
import { silentLogger } from '../../../src/log';
import { until } from '../../helpers/group';
import { rid } from '../../helpers/sip-peer';
import { startServer } from '../../helpers/server';

/** A clock the test moves by hand. */
function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

async function startStack(rateLimit: RateLimitOptions, handler: (r: IncomingRequest) => void = (r) => r.reply(200)) {
  return SipStack.start(
    { bind: '127.0.0.1', port: 0, udp: true, tcp: true, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 4096, maxTransactionsPerSource: 4096, overloadRetryAfterS: 7, rateLimit, logger: silentLogger() },
    handler,
  );
}

function options(transport: 'UDP' | 'TCP', host: string, port: number, method = 'OPTIONS'): string {
  return [
    `${method} sip:localhost SIP/2.0`,
    `Via: SIP/2.0/${transport} ${host}:${port};branch=z9hG4bK${rid()};rport`,
    'Max-Forwards: 70',
    'From: <sip:a@localhost>;tag=1',
    'To: <sip:localhost>',
    `Call-ID: ${rid()}`,
    `CSeq: 1 ${method}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

async function udpSocket(host = '127.0.0.1') {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, host, () => r()));
  const got: string[] = [];
  sock.on('message', (d) => got.push(d.toString('latin1')));
  return { sock, got, port: sock.address().port };
}

const statusOf = (m: string) => Number(m.slice(8, 11));

test('issue 11 item 5: a UDP source over its rate gets one 503 + Retry-After per second, the rest of its flood is dropped unparsed', async () => {
  const c = clock();
  let handled = 0;
  const stack = await startStack({ perSecond: 5, burst: 10, maxSources: 16, now: c.now }, (r) => {
    handled++;
    r.reply(200);
  });
  const u = await udpSocket();
  for (let i = 0; i < 30; i++) u.sock.send(options('UDP', '127.0.0.1', u.port), stack.port, '127.0.0.1');
  await until(() => handled + stack.rateLimited().rejected + stack.rateLimited().dropped === 30, 'handled + stack.rateLimited().rejected + stack.rateLimited().dropped === 30');
  await until(() => u.got.length === 11, 'u.got.length === 11');
  expect(handled).toBe(10);
  expect(u.got.filter((m) => statusOf(m) === 200)).toHaveLength(10);
  const refused = u.got.filter((m) => statusOf(m) === 503);
  expect(refused).toHaveLength(1);
  expect(refused[0]).toMatch(/\r\nRetry-After: 1\r\n/i);
  expect(stack.rateLimited()).toMatchObject({ rejected: 1, dropped: 19, tracked: 1 });
  // nothing was kept for the dropped ones: no live transaction, none completed beyond the 10 answered
  expect(stack.transactionCounts().serverLive).toBe(0);
  expect(stack.transactionCounts().serverCompleted).toBeLessThanOrEqual(10);

  // a second later the bucket has 5 tokens: 5 served, a new window's 503, the rest dropped
  c.advance(1000);
  for (let i = 0; i < 8; i++) u.sock.send(options('UDP', '127.0.0.1', u.port), stack.port, '127.0.0.1');
  await until(() => u.got.length === 17, 'u.got.length === 17');
  expect(handled).toBe(15);
  expect(stack.rateLimited()).toMatchObject({ rejected: 2, dropped: 21 });
  u.sock.close();
  await stack.close();
});

test('F9: ACKs and responses spend their source\'s bucket: within it an ACK reaches the core, over it they are dropped unanswered and counted; another source keeps its own bucket', async () => {
  const c = clock();
  let handled = 0;
  let acks = 0;
  const stack = await startStack({ perSecond: 1, burst: 4, maxSources: 16, now: c.now }, (r) => {
    if (r.msg.method === 'ACK') acks++;
    else {
      handled++;
      r.reply(200);
    }
  });
  const u = await udpSocket();
  for (let i = 0; i < 2; i++) u.sock.send(options('UDP', '127.0.0.1', u.port), stack.port, '127.0.0.1');
  await until(() => u.got.length === 2, 'u.got.length === 2');
  // within the rate: the ACK (of a 2xx, outside any transaction) reaches the core
  u.sock.send(options('UDP', '127.0.0.1', u.port, 'ACK'), stack.port, '127.0.0.1');
  u.sock.send(options('UDP', '127.0.0.1', u.port), stack.port, '127.0.0.1');
  await until(() => u.got.length === 3, 'u.got.length === 3');
  expect(acks).toBe(1);
  // the source is out of tokens: ACKs and stray responses are dropped before the library parses them
  for (let i = 0; i < 5; i++) u.sock.send(options('UDP', '127.0.0.1', u.port, 'ACK'), stack.port, '127.0.0.1');
  const stray = `SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:${stack.port};branch=z9hG4bK${rid()}\r\nFrom: <sip:a@localhost>;tag=1\r\nTo: <sip:b@localhost>;tag=2\r\nCall-ID: ${rid()}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
  for (let i = 0; i < 5; i++) u.sock.send(stray, stack.port, '127.0.0.1');
  // datagrams from one socket are handled in order: once this OPTIONS is answered all came in
  u.sock.send(options('UDP', '127.0.0.1', u.port), stack.port, '127.0.0.1');
  await until(() => u.got.length === 4, 'u.got.length === 4');
  expect(statusOf(u.got[3]!)).toBe(503);
  expect(acks).toBe(1);
  expect(handled).toBe(3);
  expect(stack.rateLimited()).toMatchObject({ rejected: 1, dropped: 10 });
  // 127.0.0.2 is another source: its own full bucket
  const other = await udpSocket('127.0.0.2');
  other.sock.send(options('UDP', '127.0.0.2', other.port), stack.port, '127.0.0.1');
  await until(() => other.got.length === 1, 'other.got.length === 1');
  expect(statusOf(other.got[0]!)).toBe(200);
  expect(stack.rateLimited().tracked).toBe(2);
  u.sock.close();
  other.sock.close();
  await stack.close();
});

test('issue 11 item 5: over TCP every request over the rate gets 503 + Retry-After and the connection stays usable', async () => {
  const c = clock();
  const stack = await startStack({ perSecond: 2, burst: 4, maxSources: 16, now: c.now });
  const sock = net.connect(stack.port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  let buf = '';
  sock.on('data', (d) => (buf += d.toString('latin1')));
  const statuses = () => [...buf.matchAll(/^SIP\/2\.0 (\d{3}) /gm)].map((m) => Number(m[1]));
  for (let i = 0; i < 10; i++) sock.write(options('TCP', '127.0.0.1', sock.localPort!));
  await until(() => statuses().length === 10, 'statuses().length === 10');
  expect(statuses().filter((s) => s === 200)).toHaveLength(4);
  expect(statuses().filter((s) => s === 503)).toHaveLength(6);
  expect(buf).toMatch(/\r\nRetry-After: 1\r\n/i);
  expect(stack.rateLimited()).toMatchObject({ rejected: 6, dropped: 0 });
  // the 503s kept nothing: no live transaction, and on TCP no completed one either (Timer J = 0)
  await until(() => stack.transactionCounts().server === 0, 'stack.transactionCounts().server === 0');
  c.advance(1000);
  sock.write(options('TCP', '127.0.0.1', sock.localPort!));
  await until(() => statuses().length === 11, 'statuses().length === 11');
  expect(statuses()[10]).toBe(200);
  sock.destroy();
  await stack.close();
});

test('issue 11 item 5: an address on the exempt list is never limited; the tracked map is bounded (least recently seen forgotten)', async () => {
  const c = clock();
  const stack = await startStack({ perSecond: 1, burst: 1, maxSources: 2, exempt: ['127.0.0.1'], now: c.now });
  const u = await udpSocket();
  for (let i = 0; i < 20; i++) u.sock.send(options('UDP', '127.0.0.1', u.port), stack.port, '127.0.0.1');
  await until(() => u.got.length === 20, 'u.got.length === 20');
  expect(u.got.every((m) => statusOf(m) === 200)).toBe(true);
  expect(stack.rateLimited()).toMatchObject({ rejected: 0, tracked: 0 });
  const socks = await Promise.all(['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((h) => udpSocket(h)));
  for (const [i, s] of socks.entries()) {
    s.sock.send(options('UDP', `127.0.0.${i + 2}`, s.port), stack.port, '127.0.0.1');
    await until(() => s.got.length === 1, 's.got.length === 1');
  }
  expect(stack.rateLimited()).toMatchObject({ tracked: 2, evicted: 1 });
  for (const s of [u, ...socks]) s.sock.close();
  await stack.close();
});

test('issue 11 item 5: `imedge serve` limits a flooding UDP source by config, counts it in /metrics without a per-source label, and still serves others', async () => {
  const s = await startServer({
    env: { IMEDGE_SIP__MAX_REQUESTS_PER_SECOND_PER_SOURCE: '1', IMEDGE_SIP__REQUEST_BURST_PER_SOURCE: '3' },
  });
  try {
    const u = await udpSocket();
    for (let i = 0; i < 40; i++) u.sock.send(options('UDP', '127.0.0.1', u.port), s.sipPort, '127.0.0.1');
    await until(() => u.got.some((m) => statusOf(m) === 503), 'u.got.some((m) => statusOf(m) === 503)');
    const line = await s.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('SIP source over its request rate'));
    expect(line.source).toBe('127.0.0.1');
    const metrics = await (await fetch(`http://127.0.0.1:${s.httpPort}/metrics`)).text();
    const rejected = /^imedge_sip_rate_limited_total\{action="rejected"\} (\d+)$/m.exec(metrics);
    const dropped = /^imedge_sip_rate_limited_total\{action="dropped"\} (\d+)$/m.exec(metrics);
    expect(Number(rejected?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(dropped?.[1])).toBeGreaterThanOrEqual(1);
    expect(metrics).not.toMatch(/imedge_sip_rate_limited_total\{[^}]*source/);
    // another address is another bucket
    const other = await udpSocket('127.0.0.2');
    other.sock.send(options('UDP', '127.0.0.2', other.port), s.sipPort, '127.0.0.1');
    await until(() => other.got.length === 1, 'other.got.length === 1');
    expect(statusOf(other.got[0]!)).toBe(200);
    u.sock.close();
    other.sock.close();
  } finally {
    expect(await s.stop()).toBe(0);
  }
});
