// Regression tests for the attack-limits findings on MSRP over TLS (the attacker's scripts sent
// these bytes): real sockets to a real MsrpNet on port 0, short limits, behaviour asserted.
import * as net from 'node:net';
import { MsrpNet } from '../../../src/msrp/net';
import { certDir, makeCert, type TestCert } from '../../helpers/tls-cert';
import { until } from './helpers';

let dir: ReturnType<typeof certDir>;
let cert: TestCert;
const nets: MsrpNet[] = [];
const sockets: net.Socket[] = [];

beforeAll(() => {
  dir = certDir();
  cert = makeCert(dir.dir, 'lockout');
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const n of nets.splice(0)) await n.close();
});
afterAll(() => dir.cleanup());

async function from(localAddress: string, port: number): Promise<net.Socket> {
  const s = net.connect({ port, host: '127.0.0.1', localAddress });
  sockets.push(s);
  s.on('error', () => undefined);
  await new Promise<void>((r) => s.once('connect', () => r()));
  return s;
}

test('F2 (t17): silent TLS connections from 4 addresses fill msrp.maxConnections; one more per address is closed at once, and a legit MSRP connection takes the oldest handshake\'s slot', async () => {
  // bindTimeoutMs and the handshake bound far away: only eviction can free a slot here
  const srv = new MsrpNet({ maxConnections: 4, transactionTimeoutMs: 3000, bindTimeoutMs: 60_000 });
  nets.push(srv);
  await srv.listen('127.0.0.1', 0);
  await srv.listenTls('127.0.0.1', 0, { cert: cert.cert, key: cert.key, handshakeTimeoutMs: 30_000, maxHandshakesPerSource: 1 });
  const tlsPort = srv.tlsAddress!.port;
  const silent: net.Socket[] = [];
  for (let i = 0; i < 4; i++) silent.push(await from(`127.0.${110 + i}.1`, tlsPort));
  await until(() => srv.connectionRoom === 0, 'every slot held by a handshake');
  const second = await from('127.0.110.1', tlsPort);
  await until(() => second.destroyed, 'second handshake from one address closed');
  expect(srv.counters.connectionsRejectedPerSource).toBe(1);
  // the legit plain MSRP connection is accepted: the oldest handshake gives way
  const legit = await from('127.0.0.1', srv.address!.port);
  await until(() => silent[0].destroyed, 'the oldest handshake evicted');
  await until(() => srv.connectionCount === 1, 'the legit connection accepted');
  expect(legit.destroyed).toBe(false);
  expect(srv.counters).toMatchObject({ connectionsEvicted: 1, connectionsRejected: 0 });
  expect(silent.slice(1).map((s) => s.destroyed)).toEqual([false, false, false]);
});
