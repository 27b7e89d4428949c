// Admin HTTP on the admin port: /healthz, /metrics, and later /groups.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log';
import { AdminConnections, type AdminConnectionStats } from './connections';
import { bearerMatches } from './token';

export interface HealthReport {
  ok: boolean;
  checks: { name: string; ok: boolean; detail?: string }[];
}

export type AdminHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

/** One path of the admin port and the methods it answers (anything else: 405 + Allow). */
export interface AdminRoute {
  readonly methods: readonly string[];
  readonly handler: AdminHandler;
}

export interface AdminLimits {
  /** Connections held at once; a new one at the cap replaces the oldest idle or slow one. */
  readonly maxConnections: number;
  /** A request head must be complete within this (slowloris). */
  readonly headersTimeoutMs: number;
  /** A whole request must be complete within this. */
  readonly requestTimeoutMs: number;
}

export const DEFAULT_ADMIN_LIMITS: AdminLimits = { maxConnections: 64, headersTimeoutMs: 5_000, requestTimeoutMs: 10_000 };

export interface AdminDeps {
  version: string;
  startedAt: number;
  health: () => HealthReport;
  listeners: () => Record<string, unknown>;
  /** Extra routes: path -> methods and handler (metrics, groups); a key ending in "/*" is a prefix. */
  routes?: Map<string, AdminRoute>;
  limits?: Partial<AdminLimits>;
  /** When set, every request must carry `Authorization: Bearer <token>` (bound off loopback). */
  token?: string;
  log: Logger;
}

export class PortBusyError extends Error {
  constructor(readonly port: number, readonly address: string, cause: string) {
    super(`admin HTTP port ${port} on ${address} is not available (${cause})`);
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** RFC 9110 15.5.6: 405 names the methods the resource does support; an unread body ends the connection. */
function methodNotAllowed(res: http.ServerResponse, methods: readonly string[]): void {
  sendJson(res, 405, { error: 'method not allowed' }, { allow: methods.join(', '), connection: 'close' });
}

const READ_METHODS = ['GET', 'HEAD'] as const;

/** The "/x/*" route for "/x/<something>" (one level, nothing empty). */
function prefixRoute(routes: Map<string, AdminRoute>, url: string): AdminRoute | undefined {
  const slash = url.lastIndexOf('/');
  if (slash <= 0 || slash === url.length - 1) return undefined;
  return routes.get(`${url.slice(0, slash)}/*`);
}

export class AdminServer {
  private constructor(
    private readonly server: http.Server,
    private readonly connections: AdminConnections,
    readonly port: number,
  ) {}

  static start(bind: string, port: number, deps: AdminDeps): Promise<AdminServer> {
    const limits = { ...DEFAULT_ADMIN_LIMITS, ...deps.limits };
    const routes = new Map<string, AdminRoute>(deps.routes);
    routes.set('/healthz', { methods: READ_METHODS, handler: (_req, res) => AdminServer.healthz(deps, res) });
    const connections = new AdminConnections(limits.maxConnections);
    const server = http.createServer(
      {
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs),
        // the timeouts above are only checked this often (Node's default is 30 s)
        connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
      },
      (req, res) => {
        const socket = req.socket;
        connections.begin(socket);
        res.once('close', () => connections.done(socket));
        if (deps.token !== undefined && !bearerMatches(req.headers.authorization, deps.token)) {
          // RFC 6750 3: the challenge names the scheme; the body says nothing about the token
          return sendJson(res, 401, { error: 'bearer token required' }, { 'www-authenticate': 'Bearer realm="imedge"', connection: 'close' });
        }
        const url = (req.url ?? '/').split('?')[0];
        const route = routes.get(url) ?? prefixRoute(routes, url);
        if (route === undefined) return sendJson(res, 404, { error: 'not found' });
        if (!route.methods.includes(req.method ?? '')) return methodNotAllowed(res, route.methods);
        Promise.resolve()
          .then(() => route.handler(req, res))
          .catch((err) => {
            deps.log.error({ err, url }, 'admin route failed');
            if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
            else res.destroy();
          });
      },
    );
    server.keepAliveTimeout = 5_000;
    server.on('connection', (socket) => connections.admit(socket));
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return socket.destroy();
      const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    });
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new PortBusyError(port, bind, err.code ?? err.message)));
      server.listen({ host: bind, port, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => deps.log.error({ err }, 'admin HTTP error'));
        resolve(new AdminServer(server, connections, (server.address() as AddressInfo).port));
      });
    });
  }

  private static healthz(deps: AdminDeps, res: http.ServerResponse): void {
    const h = deps.health();
    sendJson(res, h.ok ? 200 : 503, {
      status: h.ok ? 'ok' : 'unhealthy',
      uptime: Math.round((Date.now() - deps.startedAt) / 1000),
      version: deps.version,
      listeners: deps.listeners(),
      checks: h.checks,
    });
  }

  /** Live, evicted and refused admin connections (for metrics). */
  get connectionStats(): AdminConnectionStats {
    return this.connections.stats;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const s of this.connections.sockets()) s.destroy();
    });
  }
}
