// The device side as the running server exposes it: /metrics in Prometheus text format,
// /healthz flipping to 503 when a named check fails, 503 + Retry-After for new work under
// pressure, and the hardware watchdog over a real socat pseudo-terminal (SIGTERM disarms).
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { startServer } from '../../helpers/server';
import { SipPeer, header } from '../../helpers/sip-peer';
import { FakeMcu, PtyPair } from '../device/pty';

function get(port: number, p: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    }).on('error', reject);
  });
}

test('/metrics is valid Prometheus text with SIP, health and process figures', async () => {
  const s = await startServer();
  const p = await SipPeer.open('UDP', s.sipPort);
  await p.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:m@localhost', to: 'sip:localhost' });
  p.sendRaw('garbage\r\n\r\n');
  await new Promise((r) => setTimeout(r, 100));
  const r = await get(s.httpPort, '/metrics');
  expect(r.status).toBe(200);
  const families = parsePrometheusTextFormat(r.text) as { name: string; type: string; metrics: { value?: string; labels?: Record<string, string> }[] }[];
  const fam = (n: string) => families.find((f) => f.name === n);
  expect(fam('imedge_sip_requests_received_total')?.metrics.find((m) => m.labels?.method === 'OPTIONS')?.value).toBe('1');
  expect(Number(fam('imedge_sip_parse_errors_total')?.metrics[0].value)).toBeGreaterThanOrEqual(1);
  expect(fam('imedge_health_check_ok')?.metrics.map((m) => m.labels?.check)).toEqual(expect.arrayContaining(['event-loop', 'memory', 'sqlite-writable', 'sip-listeners']));
  for (const n of ['imedge_process_resident_memory_bytes', 'imedge_nodejs_eventloop_lag_seconds', 'imedge_disk_free_bytes', 'imedge_registrations', 'imedge_under_pressure', 'imedge_sip_transactions', 'imedge_msrp', 'imedge_sessions']) {
    expect(fam(n)).toBeDefined();
  }
  const msrp = fam('imedge_msrp')!.metrics.map((m) => m.labels?.figure);
  expect(msrp).toEqual(expect.arrayContaining(['framesIn', 'bytesIn', 'pauses', 'resumes', 'ringHighWater', 'liveLegs', 'parseErrors', 'errorResponsesSent']));
  p.close();
  await s.stop();
});

test('/healthz turns 503 and names the check when a hard limit fails (memory)', async () => {
  const s = await startServer({ env: { IMEDGE_HEALTH__HARD_MAX_RSS_MIB: '33', IMEDGE_HEALTH__MAX_RSS_MIB: '32' } });
  const r = await get(s.httpPort, '/healthz');
  expect(r.status).toBe(503);
  const body = JSON.parse(r.text);
  expect(body.status).toBe('unhealthy');
  expect(body.checks.find((c: { name: string }) => c.name === 'memory').ok).toBe(false);
  await s.stop();
});

test('under pressure a new INVITE and a REGISTER get 503 with Retry-After; OPTIONS still 200', async () => {
  const s = await startServer({ env: { IMEDGE_HEALTH__MAX_RSS_MIB: '32', IMEDGE_HEALTH__RETRY_AFTER_S: '42' } });
  await s.waitForLog((l) => l.msg === 'under pressure: refusing new sessions');
  const p = await SipPeer.open('UDP', s.sipPort);
  const inv = await p.request({ method: 'INVITE', uri: 'sip:bob@localhost', from: 'sip:alice@localhost', to: 'sip:bob@localhost', contact: `<${p.contactUri}>` });
  expect(inv.status).toBe(503);
  expect(header(inv, 'retry-after')).toBe('42');
  const reg = await p.request({ method: 'REGISTER', uri: 'sip:localhost', from: 'sip:alice@localhost', to: 'sip:alice@localhost', contact: `<${p.contactUri}>` });
  expect(reg.status).toBe(503);
  const opt = await p.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:alice@localhost', to: 'sip:localhost' });
  expect(opt.status).toBe(200);
  p.close();
  await s.stop();
});

test('--watchdog-device: ARM, heartbeats while healthy, DISARM on SIGTERM (socat pty + fake MCU)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imedge-wd-'));
  const pty = await PtyPair.start(dir);
  const mcu = await FakeMcu.start(pty.b);
  try {
    const s = await startServer({
      args: ['--watchdog-device', pty.a],
      env: { IMEDGE_WATCHDOG__PERIOD_MS: '200', IMEDGE_WATCHDOG__ANSWER_TIMEOUT_MS: '150', IMEDGE_WATCHDOG__TIMEOUT_S: '5' },
    });
    const lines = () => mcu.events.filter((e) => e.event === 'line').map((e) => e.line);
    for (let i = 0; i < 100 && lines().filter((l) => l?.startsWith('HB ')).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    expect(lines()[0]).toBe('ARM 5');
    expect(lines().filter((l) => l?.startsWith('HB ')).length).toBeGreaterThanOrEqual(3);
    expect(await s.stop('SIGTERM')).toBe(0);
    expect(lines()[lines().length - 1]).toBe('DISARM');
  } finally {
    await mcu.stop();
    await pty.kill();
  }
});
