// Issue 16 items 6 and 8 over real sockets: slow request heads cannot lock out /healthz, and
// every admin route checks its method (405 + Allow, RFC 9110 15.5.6).
import * as net from 'node:net';
import type { AdminLimits, AdminServer } from '../../../src/admin/http';
import { startTestAdmin } from '../../helpers/admin';

const startAdmin = (limits: Partial<AdminLimits> = {}): Promise<AdminServer> => startTestAdmin({ limits });

/** One raw request; resolves with the status line and headers (lower-cased names). */
function raw(port: number, bytes: string | Buffer): Promise<{ status: number; headers: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    sock.on('data', (d) => {
      data += d.toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [start, ...lines] = data.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      sock.destroy();
      resolve({ status: Number(start.split(' ')[1]), headers });
    });
    sock.on('error', reject);
    sock.write(bytes);
  });
}

const get = (port: number, p: string) => raw(port, `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);

describe('admin HTTP', () => {
  let admin: AdminServer;
  afterEach(() => admin?.close());

  test('issue 16 item 6: 64 request heads trickled a byte at a time do not keep /healthz out', async () => {
    // one address here: the per-address cap (attack finding F1) is lifted so the slot policy alone is tested
    admin = await startAdmin({ maxConnections: 64, maxConnectionsPerAddress: 1024, headersTimeoutMs: 20_000 });
    const slow: net.Socket[] = [];
    for (let i = 0; i < 64; i++) {
      const s = net.connect(admin.port, '127.0.0.1');
      s.on('error', () => undefined);
      await new Promise((r) => s.once('connect', r));
      s.write('G');
      slow.push(s);
    }
    const timer = setInterval(() => {
      for (const s of slow) if (!s.destroyed) s.write('E');
    }, 50);
    try {
      // the head timeout is far away (20 s): only the slot policy can let the probe in
      const h = await get(admin.port, '/healthz');
      expect(h.status).toBe(200);
      expect(admin.connectionStats.evicted).toBeGreaterThanOrEqual(1);
      // and again, while the trickle goes on
      expect((await get(admin.port, '/healthz')).status).toBe(200);
    } finally {
      clearInterval(timer);
      for (const s of slow) s.destroy();
    }
  });

  test('issue 16 item 6: an incomplete request head is closed after the head timeout', async () => {
    admin = await startAdmin({ headersTimeoutMs: 300 });
    const s = net.connect(admin.port, '127.0.0.1');
    s.on('error', () => undefined);
    await new Promise((r) => s.once('connect', r));
    s.write('GET /healthz HTTP/1.1\r\nHost');
    const reply = await new Promise<string>((resolve) => {
      let d = '';
      s.on('data', (c) => (d += c.toString()));
      s.on('close', () => resolve(d));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
  });

  test('issue 16 item 8: TRACE /metrics is 405 with Allow', async () => {
    admin = await startAdmin();
    const r = await raw(admin.port, 'TRACE /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, HEAD');
  });

  test('issue 16 item 8: POST /metrics with a 1 MB body is 405 and the connection is closed', async () => {
    admin = await startAdmin();
    const body = Buffer.alloc(1024 * 1024, 0x61);
    const r = await raw(admin.port, Buffer.concat([Buffer.from(`POST /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, HEAD');
    expect(r.headers.connection).toBe('close');
  });

  test('issue 16 item 8: DELETE /healthz is 405; GET and HEAD are served; unknown paths 404', async () => {
    admin = await startAdmin();
    expect((await raw(admin.port, 'DELETE /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')).status).toBe(405);
    expect((await get(admin.port, '/healthz')).status).toBe(200);
    expect((await raw(admin.port, 'HEAD /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')).status).toBe(200);
    expect((await get(admin.port, '/nope')).status).toBe(404);
  });
});
