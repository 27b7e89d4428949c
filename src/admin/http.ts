// Admin HTTP on the admin port: /healthz now; /metrics and /groups join it as they exist.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log';

export interface HealthReport {
  ok: boolean;
  checks: { name: string; ok: boolean; detail?: string }[];
}

export interface AdminDeps {
  version: string;
  startedAt: number;
  health: () => HealthReport;
  listeners: () => Record<string, unknown>;
  /** Extra routes: path -> handler (metrics, groups). */
  routes?: Map<string, (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>>;
  log: Logger;
}

export class PortBusyError extends Error {
  constructor(readonly port: number, readonly address: string, cause: string) {
    super(`admin HTTP port ${port} on ${address} is not available (${cause})`);
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

export class AdminServer {
  private constructor(private readonly server: http.Server, readonly port: number) {}

  static start(bind: string, port: number, deps: AdminDeps): Promise<AdminServer> {
    const server = http.createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0];
      if (url === '/healthz') {
        if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' });
        const h = deps.health();
        return sendJson(res, h.ok ? 200 : 503, {
          status: h.ok ? 'ok' : 'unhealthy',
          uptime: Math.round((Date.now() - deps.startedAt) / 1000),
          version: deps.version,
          listeners: deps.listeners(),
          checks: h.checks,
        });
      }
      const route = deps.routes?.get(url);
      if (route) {
        Promise.resolve()
          .then(() => route(req, res))
          .catch((err) => {
            deps.log.error({ err, url }, 'admin route failed');
            if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
            else res.destroy();
          });
        return;
      }
      sendJson(res, 404, { error: 'not found' });
    });
    // Bounded: a slow or idle admin client cannot hold sockets forever.
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    server.keepAliveTimeout = 5_000;
    server.maxConnections = 64;
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new PortBusyError(port, bind, err.code ?? err.message)));
      server.listen({ host: bind, port, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => deps.log.error({ err }, 'admin HTTP error'));
        resolve(new AdminServer(server, (server.address() as AddressInfo).port));
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
