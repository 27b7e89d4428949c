// Issue 16 item 4 "SIP lockout by a transaction burst": 4,096 UDP OPTIONS with distinct
// branches filled the transaction table with completed transactions, and every request from
// anyone got 503 for 32 s. Completed transactions now have their own bound (oldest dropped)
// and one source may hold only its share of the live ones.
import * as dgram from 'node:dgram';
import { SipStack, type IncomingRequest } from '../../../src/sip/stack';
import { silentLogger } from '../../../src/log';
import { until } from '../../helpers/group';
import { SipPeer, header, rid } from '../../helpers/sip-peer';
import { startServer } from '../../helpers/server';
import { scaled } from '../../helpers/node-exe';

async function startStack(over: Partial<Parameters<typeof SipStack.start>[0]>, handler: (r: IncomingRequest) => void) {
  return SipStack.start(
    { bind: '127.0.0.1', port: 0, udp: true, tcp: true, maxBytesHeaders: 16384, maxContentLength: 65536, maxTransactions: 4096, overloadRetryAfterS: 7, logger: silentLogger(), ...over },
    handler,
  );
}

/** The report's burst: 4,096 OPTIONS, each with its own branch, from one UDP socket. */
async function optionsBurst(serverPort: number, count = 4096, pauseMs = 10): Promise<{ sock: dgram.Socket; ok: () => number }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  let ok = 0;
  sock.on('message', (d) => {
    if (d.subarray(0, 12).toString('latin1') === 'SIP/2.0 200 ') ok++;
  });
  const port = sock.address().port;
  const callId = rid();
  for (let i = 0; i < count; i++) {
    const msg = [
      'OPTIONS sip:localhost SIP/2.0',
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${rid()}${i}`,
      'Max-Forwards: 70',
      'From: <sip:flood@localhost>;tag=1',
      'To: <sip:localhost>',
      `Call-ID: ${callId}`,
      `CSeq: ${i + 1} OPTIONS`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    sock.send(msg, serverPort, '127.0.0.1');
    // The report's pace: 4,096 in about 0.6 s (64 every 10 ms).
    if (i % 64 === 63) await new Promise((r) => setTimeout(r, pauseMs));
  }
  return { sock, ok: () => ok };
}

const register = (p: SipPeer, user: string) =>
  p.request({ method: 'REGISTER', uri: 'sip:localhost', from: `sip:${user}@localhost`, to: `sip:${user}@localhost`, contact: `<${p.contactUri}>`, headers: { Expires: '300' } });

test('issue 16 item 4, RFC 3261 17.2.2: completed non-INVITE transactions do not hold the live cap; they are bounded apart, oldest dropped', async () => {
  const stack = await startStack({ maxTransactions: 16 }, (r) => r.reply(200));
  const burst = await optionsBurst(stack.port);
  // Far more answered with 200 than the cap: before the fix the 17th got 503 (16 completed
  // OPTIONS waiting out Timer J, 32 s) and so did everyone else.
  await until(() => burst.ok() >= 4 * 16, 'burst.ok() >= 4 * 16');
  const other = await SipPeer.open('UDP', stack.port);
  const rs = await other.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:b@localhost', to: 'sip:localhost' });
  expect(rs.status).toBe(200);
  expect(stack.stats.overload).toBe(0);
  const t = stack.transactionCounts();
  expect(t.serverCompleted).toBeLessThanOrEqual(16);
  expect(t.server).toBeLessThanOrEqual(16 + t.serverLive);
  expect(stack.stats.completedEvicted).toBeGreaterThan(0);
  burst.sock.close();
  other.close();
  await stack.close();
});

test('issue 16 item 4, RFC 3261 17.2.2: a retransmission of a request whose completed transaction is kept gets the same final response', async () => {
  let calls = 0;
  const stack = await startStack({ maxTransactions: 16 }, (r) => {
    calls++;
    r.reply(200);
  });
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const got: string[] = [];
  sock.on('message', (d) => got.push(d.toString('latin1')));
  const req = `OPTIONS sip:localhost SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${sock.address().port};branch=z9hG4bK${rid()}\r\nMax-Forwards: 70\r\nFrom: <sip:a@localhost>;tag=1\r\nTo: <sip:localhost>\r\nCall-ID: ${rid()}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
  sock.send(req, stack.port, '127.0.0.1');
  await until(() => got.length === 1, 'got.length === 1');
  sock.send(req, stack.port, '127.0.0.1');
  await until(() => got.length === 2, 'got.length === 2');
  expect(got[1]).toBe(got[0]);
  expect(calls).toBe(1);
  sock.close();
  await stack.close();
});

test('issue 16 item 4: a source over its share of live transactions gets 503 + Retry-After while another source is served', async () => {
  const held: IncomingRequest[] = [];
  // Cap 16, share 4: the handler holds every MESSAGE (a callee that never answers).
  const stack = await startStack({ maxTransactions: 16 }, (r) => {
    if (r.msg.method === 'MESSAGE') held.push(r);
    else r.reply(200);
  });
  const greedy = await SipPeer.open('UDP', stack.port);
  const sent = Array.from({ length: 20 }, () => greedy.request({ method: 'MESSAGE', uri: 'sip:x@localhost', from: 'sip:a@localhost', to: 'sip:x@localhost', body: 'hi' }, 15000));
  await until(() => held.length + stack.stats.overloadPerSource >= 20, 'held.length + stack.stats.overloadPerSource >= 20');
  expect(held).toHaveLength(4);
  expect(stack.stats.overloadPerSource).toBe(16);
  // Another source (its own address) is still served.
  const otherSock = dgram.createSocket('udp4');
  await new Promise<void>((r) => otherSock.bind(0, '127.0.0.2', () => r()));
  const reply = new Promise<string>((r) => otherSock.once('message', (d) => r(d.toString('latin1'))));
  otherSock.send(
    `OPTIONS sip:localhost SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:${otherSock.address().port};branch=z9hG4bK${rid()}\r\nMax-Forwards: 70\r\nFrom: <sip:b@localhost>;tag=1\r\nTo: <sip:localhost>\r\nCall-ID: ${rid()}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
    stack.port,
    '127.0.0.1',
  );
  expect(await reply).toMatch(/^SIP\/2\.0 200 /);
  for (const r of held) r.reply(200);
  const results = await Promise.all(sent);
  const refused = results.filter((r) => r.status === 503);
  expect(refused).toHaveLength(16);
  expect(header(refused[0], 'retry-after')).toBe('7');
  // Its share is free again once answered.
  const again = greedy.request({ method: 'MESSAGE', uri: 'sip:x@localhost', from: 'sip:a@localhost', to: 'sip:x@localhost', body: 'hi' });
  await until(() => held.length === 5, 'held.length === 5');
  held[4].reply(200);
  expect((await again).status).toBe(200);
  otherSock.close();
  greedy.close();
  await stack.close();
});

test('issue 16 item 4, RFC 3261 17.2.2: after the 4,096-OPTIONS burst `imedge serve` still registers another user (no 503 lockout)', async () => {
  const s = await startServer({ env: { IMEDGE_SIP__MAX_TRANSACTIONS: '256' } });
  try {
    // A slower pace than the report's: a server child starved by a loaded test machine drops
    // datagrams from its socket buffer, which says nothing about lockout (completed
    // transactions held their slots for 32 s before the fix, whatever the pace).
    // (the pace scaled under emulation, where the server child is several times slower)
    const burst = await optionsBurst(s.sipPort, 4096, scaled(40));
    // Before the fix no more than 256 got 200; the rest of the burst and everyone else got 503.
    await until(() => burst.ok() >= 2 * 256, 'burst.ok() >= 2 * 256', 30_000);
    const bob = await SipPeer.open('UDP', s.sipPort);
    const rs = await register(bob, 'bob');
    expect(rs.status).toBe(200);
    // The flooding source itself is served too: its completed transactions hold nothing.
    const fromFlooder = await SipPeer.open('UDP', s.sipPort);
    expect((await fromFlooder.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:flood@localhost', to: 'sip:localhost' })).status).toBe(200);
    burst.sock.close();
    bob.close();
    fromFlooder.close();
  } finally {
    expect(await s.stop()).toBe(0);
  }
});
