// Admin HTTP on the admin port: the admin page (/), /healthz, /metrics, /groups and the page's API.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log';
import { AdminConnections, type AdminConnectionStats } from './connections';
import { AdminAuth, type Access } from './auth';
import { sendAsset, type Asset } from './assets';
import { ClientAbortError, dataHeaders, json, readBody } from './respond';
import { ThrottledLog } from '../log/throttled';

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
  /** Connections one source address holds at most (default a quarter of maxConnections, at least 8). */
  readonly maxConnectionsPerAddress?: number;
  /** A /login body (a few bytes of JSON) must be complete within this after its head, else 408. */
  readonly loginBodyTimeoutMs: number;
}

export const DEFAULT_ADMIN_LIMITS: AdminLimits = { maxConnections: 64, headersTimeoutMs: 5_000, requestTimeoutMs: 10_000, loginBodyTimeoutMs: 2_000 };

/** A /login body is {"token": "..."}: anything larger is not a login. */
const MAX_LOGIN_BODY = 4096;

export interface AdminDeps {
  version: string;
  startedAt: number;
  health: () => HealthReport;
  listeners: () => Record<string, unknown>;
  /** Extra routes: path -> methods and handler (metrics, groups); a key ending in "/*" is a prefix. */
  routes?: Map<string, AdminRoute>;
  limits?: Partial<AdminLimits>;
  /** When set, every request must carry `Authorization: Bearer <token>` (bound off loopback) or the page's login cookie. */
  token?: string;
  /** Who may do what (built from token when absent). */
  auth?: AdminAuth;
  /** The admin page's files by name (index.html, login.html, app.js, ...); no page without. */
  assets?: Map<string, Asset>;
  log: Logger;
}

export class PortBusyError extends Error {
  constructor(readonly port: number, readonly address: string, cause: string) {
    super(`admin HTTP port ${port} on ${address} is not available (${cause})`);
  }
}

/** RFC 9110 15.5.6: 405 names the methods the resource does support; an unread body ends the connection. */
function methodNotAllowed(res: http.ServerResponse, methods: readonly string[]): void {
  json(res, 405, { error: 'method not allowed' }, { allow: methods.join(', '), connection: 'close' });
}

const READ_METHODS = ['GET', 'HEAD'] as const;

/** Routes whose key holds "*" segments: each "*" stands for one non-empty path segment. */
function patternRoute(routes: Map<string, AdminRoute>, url: string): AdminRoute | undefined {
  const parts = url.split('/');
  for (const [key, route] of routes) {
    if (!key.includes('*')) continue;
    const want = key.split('/');
    if (want.length !== parts.length) continue;
    if (want.every((w, i) => (w === '*' ? parts[i] !== '' : w === parts[i]))) return route;
  }
  return undefined;
}

/** Reachable without a login off loopback: the login page and what it needs. */
const PUBLIC = new Set(['GET /login', 'HEAD /login', 'POST /login', 'GET /ui/login.js', 'GET /ui/style.css', 'HEAD /ui/style.css', 'HEAD /ui/login.js']);

/** What the request is allowed to do, set before its route runs. */
const accessOf = new WeakMap<http.IncomingMessage, Access>();

export class AdminServer {
  private constructor(
    private readonly server: http.Server,
    private readonly connections: AdminConnections,
    readonly port: number,
    private readonly clientAborts: { count: number },
    private readonly errorLog: ThrottledLog,
  ) {}

  static start(bind: string, port: number, deps: AdminDeps): Promise<AdminServer> {
    const limits = { ...DEFAULT_ADMIN_LIMITS, ...deps.limits };
    const routes = new Map<string, AdminRoute>(deps.routes);
    routes.set('/healthz', { methods: READ_METHODS, handler: (_req, res) => AdminServer.healthz(deps, res) });
    const auth = deps.auth ?? new AdminAuth({ ...(deps.token !== undefined ? { token: deps.token } : {}), loginTtlMs: 8 * 3600_000, maxLogins: 16 });
    AdminServer.pageRoutes(routes, auth, deps.assets, limits.loginBodyTimeoutMs);
    const connections = new AdminConnections(limits.maxConnections, limits.maxConnectionsPerAddress);
    // attack finding F4: at most one admin error line per second
    const errorLog = new ThrottledLog(deps.log, 'error');
    const clientAborts = { count: 0 };
    const server = http.createServer(
      {
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs),
        // the timeouts above are only checked this often (Node's default is 30 s)
        connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
      },
      (req, res) => {
        const socket = req.socket;
        // F2: data, not a document, unless a page file replaces these with the page's policy
        dataHeaders(res);
        const url = (req.url ?? '/').split('?')[0]!;
        if (!auth.hostAllowed(req)) {
          return json(res, 403, { error: 'this admin port is on loopback: use http://127.0.0.1 or http://localhost' }, { connection: 'close' });
        }
        const throttled = auth.bearerThrottled(req);
        if (throttled !== undefined) return json(res, 429, { error: throttled }, { 'retry-after': '60', connection: 'close' });
        const access = auth.identify(req);
        // attack finding F1: only an authenticated request holds its slot; an unauthenticated
        // one (or a /login) whose body trickles in stays evictable like a slow head
        if (access !== undefined && url !== '/login') {
          connections.begin(socket);
          res.once('close', () => connections.done(socket));
        }
        if (access === undefined && !PUBLIC.has(`${req.method} ${url}`)) {
          // a browser asking for the page is sent to the login form; an API client gets the challenge
          if (url === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
            res.writeHead(303, { location: '/login', 'cache-control': 'no-store', 'content-length': 0 });
            return void res.end();
          }
          // RFC 6750 3: the challenge names the scheme; the body says nothing about the token
          return json(res, 401, { error: 'bearer token required' }, { 'www-authenticate': 'Bearer realm="imedge"', connection: 'close' });
        }
        if (access !== undefined) {
          const refused = auth.changeRefusal(req, access);
          if (refused !== undefined) return json(res, 403, { error: refused }, { connection: 'close' });
          accessOf.set(req, access);
        }
        const route = routes.get(url) ?? patternRoute(routes, url);
        if (route === undefined) return json(res, 404, { error: 'not found' });
        if (!route.methods.includes(req.method ?? '')) return methodNotAllowed(res, route.methods);
        Promise.resolve()
          .then(() => route.handler(req, res))
          .catch((err) => {
            // F4: a client gone before its body was complete is its own doing: counted, no stack
            if (err instanceof ClientAbortError) {
              clientAborts.count++;
              deps.log.debug({ url }, 'admin client closed before its request body was complete');
              return void res.destroy();
            }
            errorLog.write({ err, url }, 'admin route failed');
            if (!res.headersSent) json(res, 500, { error: 'internal error' });
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
        server.on('error', (err) => errorLog.write({ err }, 'admin HTTP error'));
        resolve(new AdminServer(server, connections, (server.address() as AddressInfo).port, clientAborts, errorLog));
      });
    });
  }

  /** The page, its files, the login and the session facts the page reads (CSRF token). */
  private static pageRoutes(routes: Map<string, AdminRoute>, auth: AdminAuth, assets: Map<string, Asset> | undefined, loginBodyTimeoutMs: number): void {
    const file = (name: string): AdminHandler => (req, res) => {
      const a = assets?.get(name);
      if (a === undefined) return json(res, 404, { error: 'the admin page is not installed (no ui/ folder)' });
      sendAsset(req, res, a);
    };
    routes.set('/', { methods: READ_METHODS, handler: file('index.html') });
    routes.set('/ui/*', { methods: READ_METHODS, handler: (req, res) => file((req.url ?? '').split('?')[0]!.slice('/ui/'.length))(req, res) });
    routes.set('/login', {
      methods: ['GET', 'HEAD', 'POST'],
      handler: async (req, res) => {
        if (req.method !== 'POST') return file('login.html')(req, res);
        // attack finding F1(c): a login body is tiny and comes at once; a trickled one is cut short
        const deadline = setTimeout(() => {
          if (!res.headersSent) json(res, 408, { error: 'the login body did not arrive in time' }, { connection: 'close' });
          req.destroy();
        }, loginBodyTimeoutMs);
        let body: Buffer | undefined;
        try {
          body = await readBody(req, res, MAX_LOGIN_BODY);
        } finally {
          clearTimeout(deadline);
        }
        if (body === undefined) return;
        let typed = '';
        try {
          const v: unknown = JSON.parse(body.toString('utf8'));
          if (v !== null && typeof v === 'object' && typeof (v as { token?: unknown }).token === 'string') typed = (v as { token: string }).token.trim();
        } catch {
          return json(res, 400, { error: 'send {"token": "..."} as JSON' });
        }
        const r = auth.login(req, typed);
        if ('cookie' in r) return json(res, 200, { result: 'logged in' }, { 'set-cookie': r.cookie });
        json(res, r.status, { error: r.error });
      },
    });
    routes.set('/logout', {
      methods: ['POST'],
      handler: (req, res) => json(res, 200, { result: 'logged out' }, { 'set-cookie': auth.logout(accessOf.get(req) ?? { kind: 'bearer' }, req) }),
    });
    routes.set('/session', {
      methods: READ_METHODS,
      handler: (req, res) => {
        const a = accessOf.get(req);
        json(res, 200, { access: a?.kind ?? 'none', loginRequired: auth.tokenRequired, ...(a !== undefined && a.kind !== 'bearer' ? { csrf: a.csrf } : {}) });
      },
    });
  }

  private static healthz(deps: AdminDeps, res: http.ServerResponse): void {
    const h = deps.health();
    json(res, h.ok ? 200 : 503, {
      status: h.ok ? 'ok' : 'unhealthy',
      uptime: Math.round((Date.now() - deps.startedAt) / 1000),
      version: deps.version,
      listeners: deps.listeners(),
      checks: h.checks,
    });
  }

  /** Live, evicted and refused admin connections, and requests whose client left mid-body (for metrics). */
  get connectionStats(): AdminConnectionStats & { clientAborts: number; errorLinesSuppressed: number } {
    return { ...this.connections.stats, clientAborts: this.clientAborts.count, errorLinesSuppressed: this.errorLog.suppressedTotal };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const s of this.connections.sockets()) s.destroy();
    });
  }
}
