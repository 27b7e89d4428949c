// DESIGN.md fixed point: bound off loopback, the admin port requires `Authorization: Bearer
// <token>` (RFC 6750); the token comes from config or is generated once into
// <data-dir>/admin-token with mode 0600, and only its path is logged.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { runCli, startServer, tempDir } from '../../helpers/server';

function get(port: number, p: string, auth?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p, headers: auth ? { authorization: auth } : {} }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      })
      .on('error', reject);
  });
}

test('off loopback: no or a wrong token is 401 with a Bearer challenge; the generated token in <data-dir>/admin-token (0600) is accepted and survives a restart', async () => {
  const dataDir = tempDir();
  const s = await startServer({ dataDir, args: ['--bind', '0.0.0.0'] });
  try {
    const file = path.join(dataDir, 'admin-token');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const token = fs.readFileSync(file, 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(16);
    const none = await get(s.httpPort, '/healthz');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer /);
    expect((await get(s.httpPort, '/metrics', 'Bearer wrong-token-wrong-token')).status).toBe(401);
    expect((await get(s.httpPort, '/metrics', `Basic ${token}`)).status).toBe(401);
    expect((await get(s.httpPort, '/healthz', `Bearer ${token}`)).status).toBe(200);
    expect((await get(s.httpPort, '/metrics', `bearer ${token}`)).status).toBe(200);
    // the path is logged, the token never
    expect(s.lines.some((l) => l.tokenFile === file)).toBe(true);
    expect(JSON.stringify(s.lines)).not.toContain(token);
  } finally {
    expect(await s.stop()).toBe(0);
  }
  const again = await startServer({ dataDir, args: ['--bind', '0.0.0.0'] });
  try {
    expect(fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim().length).toBeGreaterThanOrEqual(16);
    const token = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    expect((await get(again.httpPort, '/healthz', `Bearer ${token}`)).status).toBe(200);
  } finally {
    await again.stop();
  }
});

test('off loopback with http.token from config: that token, and no file is written', async () => {
  const dataDir = tempDir();
  const s = await startServer({ dataDir, args: ['--bind', '0.0.0.0'], env: { IMEDGE_HTTP__TOKEN: 'configured-token-0123456789' } });
  try {
    expect(fs.existsSync(path.join(dataDir, 'admin-token'))).toBe(false);
    expect((await get(s.httpPort, '/healthz', 'Bearer configured-token-0123456789')).status).toBe(200);
    expect((await get(s.httpPort, '/healthz')).status).toBe(401);
  } finally {
    await s.stop();
  }
});

test('on loopback no token is asked', async () => {
  const s = await startServer();
  try {
    expect((await get(s.httpPort, '/healthz')).status).toBe(200);
    expect(fs.existsSync(path.join(s.dataDir, 'admin-token'))).toBe(false);
  } finally {
    await s.stop();
  }
});

test('a token file readable by others is refused at start-up: exit 2 naming http.token', async () => {
  const dataDir = tempDir();
  fs.writeFileSync(path.join(dataDir, 'admin-token'), 'abcdefghijklmnopqrstuvwxyz\n', { mode: 0o644 });
  fs.chmodSync(path.join(dataDir, 'admin-token'), 0o644);
  const r = await runCli(['serve', '--bind', '0.0.0.0', '--sip-port', '0', '--msrp-port', '0', '--http-port', '0', '--data-dir', dataDir]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/admin-token.*chmod 600.*http\.token/);
});

test('a bad http.token value is a configuration error naming the key', async () => {
  const r = await runCli(['serve', '--data-dir', tempDir(), '--http-port', '0'], { env: { IMEDGE_HTTP__TOKEN: 'short' } });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('http.token');
});
