// Second limits re-attack (F2, high, with auth on): one user registered `;transport=tcp`
// contacts at listeners that accept and never answer; each MESSAGE to it made the server dial
// them, and those dialed connections (kept by the library for 120 s, never evictable) filled
// sip.maxTcpConnections: every inbound TCP client was refused. At the cap, the oldest dialed
// connection that got no byte back for 64*T1 (32 s), or none for sip.tcpQuietMs, now gives way.
// Real sockets on loopback; the gate's clock is the test's.
import * as net from 'node:net';
import { DIALED_SILENT_MS, TcpConnectionGate } from '../../../src/sip/stack/tcp-gate';
import { silentLogger } from '../../../src/log';

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

async function listen(onConn: (s: net.Socket) => void): Promise<number> {
  const srv = net.createServer((s) => {
    sockets.push(s);
    onConn(s);
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return (srv.address() as net.AddressInfo).port;
}

/** An accepted socket at the gate's own listener, as the server would see a new client. */
async function inbound(port: number): Promise<void> {
  const c = net.connect(port, '127.0.0.1');
  sockets.push(c);
  await new Promise<void>((r) => c.once('connect', () => r()));
}

test('F2: at sip.maxTcpConnections a dialed connection that never got a byte back for 64*T1 gives way to an inbound client; before that the client is refused', async () => {
  let clock = 1_000_000;
  const gate = new TcpConnectionGate(2, silentLogger(), { quietMs: 60_000, maxPerSource: 16, now: () => clock });
  // the attacker's contacts: they accept and never answer
  const sink = await listen(() => undefined);
  const admitted: boolean[] = [];
  const own = await listen((s) => admitted.push(gate.admit(s, 'in')));
  const d1 = gate.dial(sink, '127.0.0.1');
  const d2 = gate.dial(sink, '127.0.0.1');
  sockets.push(d1, d2);
  await Promise.all([d1, d2].map((d) => new Promise<void>((r) => d.once('connect', () => r()))));
  expect(gate.stats().live).toBe(2);

  // a client arrives while the dialed ones may still be answered: refused, nothing evicted
  await inbound(own);
  await new Promise((r) => setTimeout(r, 50));
  expect(admitted).toEqual([false]);
  expect(gate.stats().evicted).toBe(0);

  // 64*T1 later without a byte back: the oldest dialed one gives way
  clock += DIALED_SILENT_MS + 1;
  await inbound(own);
  await new Promise((r) => setTimeout(r, 50));
  expect(admitted).toEqual([false, true]);
  expect(gate.stats().evicted).toBe(1);
  expect(d1.destroyed).toBe(true);
  expect(d2.destroyed).toBe(false);
});

test('F2: a dialed connection that carries answers is kept until it has been quiet for sip.tcpQuietMs', async () => {
  let clock = 1_000_000;
  const gate = new TcpConnectionGate(1, silentLogger(), { quietMs: 60_000, maxPerSource: 16, now: () => clock });
  // a peer that answers something at once
  const peer = await listen((s) => s.write('SIP/2.0 200 OK\r\n\r\n'));
  const admitted: boolean[] = [];
  const own = await listen((s) => admitted.push(gate.admit(s, 'in')));
  const d = gate.dial(peer, '127.0.0.1');
  sockets.push(d);
  await new Promise<void>((r) => d.once('data', () => r()));
  clock += DIALED_SILENT_MS + 1;
  await inbound(own);
  await new Promise((r) => setTimeout(r, 50));
  expect(admitted).toEqual([false]);
  clock += 60_000;
  await inbound(own);
  await new Promise((r) => setTimeout(r, 50));
  expect(admitted).toEqual([false, true]);
  expect(d.destroyed).toBe(true);
});
