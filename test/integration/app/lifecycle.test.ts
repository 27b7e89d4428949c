// The serving process as a user meets it: the start-up line, /healthz, clean stop on
// SIGTERM, registrations surviving a restart on the same data dir, expiry on the timer,
// and configuration errors ending with exit code 2 and the bad key named.
import * as http from 'node:http';
import * as net from 'node:net';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { runCli, startServer, tempDir } from '../../helpers/server';
import { SipPeer, header } from '../../helpers/sip-peer';

function getJson(port: number, p: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) }));
    }).on('error', reject);
  });
}

const register = (p: SipPeer, user: string, expires: number) =>
  p.request({ method: 'REGISTER', uri: 'sip:localhost', from: `sip:${user}@localhost`, to: `sip:${user}@localhost`, contact: `<${p.contactUri}>`, headers: { Expires: String(expires) } });

test('start-up line names bind, domain and every chosen port; /healthz answers; SIGTERM exits 0', async () => {
  const s = await startServer();
  const line = s.lines.find((l) => l.msg === 'listening')!;
  expect(line.bind).toBe('127.0.0.1');
  expect(line.domain).toBe('localhost');
  expect(line.sip).toEqual({ udp: s.sipPort, tcp: s.sipPort });
  // without tls.cert/tls.key there is no TLS port to name
  expect(line).not.toHaveProperty('msrps');
  expect(typeof line.http).toBe('number');
  expect(typeof line.msrp).toBe('number');
  expect(line.msrp).toBeGreaterThan(0);
  const h = await getJson(s.httpPort, '/healthz');
  expect(h.status).toBe(200);
  expect(h.body.status).toBe('ok');
  expect(typeof h.body.version).toBe('string');
  expect(typeof h.body.uptime).toBe('number');
  expect(h.body.listeners).toMatchObject({ sip: { udp: s.sipPort, tcp: s.sipPort } });
  expect(await s.stop('SIGTERM')).toBe(0);
  expect(s.lines.some((l) => l.msg === 'stopped')).toBe(true);
});

test('SIGINT also stops cleanly with exit 0', async () => {
  const s = await startServer();
  expect(await s.stop('SIGINT')).toBe(0);
});

test('registrations persist across a restart on the same data dir', async () => {
  const dataDir = tempDir();
  const s1 = await startServer({ dataDir });
  const p = await SipPeer.open('UDP', s1.sipPort);
  expect((await register(p, 'persist', 600)).status).toBe(200);
  p.close();
  expect(await s1.stop()).toBe(0);

  const s2 = await startServer({ dataDir });
  const bob = await SipPeer.open('UDP', s2.sipPort);
  // The stored binding points at the old peer's port; a MESSAGE is routed there (no answer
  // from a closed port = 408/503), proving the binding came back rather than a 404/480.
  const q = await bob.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:x@localhost', to: 'sip:localhost' });
  expect(q.status).toBe(200);
  const r = await bob.request({ method: 'REGISTER', uri: 'sip:localhost', from: 'sip:persist@localhost', to: 'sip:persist@localhost', headers: {} });
  expect(r.status).toBe(200);
  expect(header(r, 'contact')).toMatch(/expires=\d+/);
  bob.close();
  expect(await s2.stop()).toBe(0);
});

test('bindings expire on the sweep timer: the expired row leaves the table, not only the lookups', async () => {
  const s = await startServer({ env: { IMEDGE_REGISTRAR__MIN_EXPIRES: '1', IMEDGE_REGISTRAR__SWEEP_INTERVAL_MS: '200' } });
  const p = await SipPeer.open('UDP', s.sipPort);
  // Lookups already skip expired rows, so a REGISTER fetch alone cannot tell whether the sweep
  // ran: read the table itself over a second connection.
  const db = new Database(path.join(s.dataDir, 'imedge.db'), { readonly: true, fileMustExist: true });
  const stored = () => (db.prepare("SELECT count(*) AS n FROM registrations WHERE user = 'brief'").get() as { n: number }).n;
  try {
    expect((await register(p, 'brief', 1)).status).toBe(200);
    expect(stored()).toBe(1);
    const swept = await s.waitForLog((l) => l.msg === 'expired registrations removed', 5000);
    expect(swept.removed).toBe(1);
    expect(stored()).toBe(0);
    const fetch = await p.request({ method: 'REGISTER', uri: 'sip:localhost', from: 'sip:brief@localhost', to: 'sip:brief@localhost' });
    expect(fetch.status).toBe(200);
    expect(header(fetch, 'contact')).toBeUndefined();
  } finally {
    db.close();
    p.close();
    await s.stop();
  }
});

describe('configuration errors end with exit code 2 and name the key', () => {
  test('unknown key in a config file', async () => {
    const dir = tempDir();
    const f = path.join(dir, 'c.yaml');
    fs.writeFileSync(f, 'sip:\n  prot: 5060\n');
    const r = await runCli(['serve', '--config', f, '--data-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('sip.prot');
    expect(r.stderr).toContain('sip.port');
  });

  test('bad flag value', async () => {
    const r = await runCli(['serve', '--sip-port', '70000', '--data-dir', tempDir()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sip-port|sip\.port/);
  });

  test('bad environment value', async () => {
    const r = await runCli(['serve', '--data-dir', tempDir()], { env: { IMEDGE_SIP__MAX_TRANSACTIONS: 'lots' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('IMEDGE_SIP__MAX_TRANSACTIONS');
  });

  test('a SIP port in use is named', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    const r = await runCli(['serve', '--sip-port', String(port), '--msrp-port', '0', '--http-port', '0', '--data-dir', tempDir()]);
    blocker.close();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(String(port));
  });

  test('an MSRP port in use is named', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    const r = await runCli(['serve', '--sip-port', '0', '--msrp-port', String(port), '--http-port', '0', '--data-dir', tempDir()]);
    blocker.close();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(String(port));
  });

  test('an admin HTTP port in use is named', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    const r = await runCli(['serve', '--sip-port', '0', '--msrp-port', '0', '--http-port', String(port), '--data-dir', tempDir()]);
    blocker.close();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(String(port));
  });
});
