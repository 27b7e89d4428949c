// Who may use the admin port, and which changes a browser may make (issue 12 item 6).
//
// Off loopback (a token is configured) a request is let in by `Authorization: Bearer <token>`
// (API clients, unchanged) or by the login cookie the page got for the same token. On loopback
// the port is open, but a request naming another host is refused (a DNS-rebinding page would
// name its own). A change from a browser (cookie, or an Origin/Sec-Fetch-Site header) must come
// from this origin and carry the CSRF token of its login in `x-csrf-token`; a bearer client
// cannot be driven by another site (browsers never add that header across origins), so it
// needs neither.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type * as http from 'node:http';
import type { TLSSocket } from 'node:tls';
import { isLoopback } from '../config/net';
import { bearerMatches } from './token';

export const LOGIN_COOKIE = 'imedge_admin';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Failed logins allowed per window and source address: guessing stays slow, counted beyond, and a noisy address locks out only itself. */
const LOGIN_FAILURES_PER_WINDOW = 10;
const LOGIN_WINDOW_MS = 60_000;
const TOO_MANY = 'too many wrong tokens from this address: wait a minute and try again';
/** Source addresses whose wrong tokens are remembered at most (a bounded map, never keyed by anything else). */
const MAX_FAILURE_SOURCES = 1024;

export interface AdminAuthOptions {
  /** undefined: bound to loopback, open (the DESIGN fixed point asks a token only off loopback) */
  readonly token?: string;
  readonly loginTtlMs: number;
  readonly maxLogins: number;
  readonly now?: () => number;
}

export type Access = { readonly kind: 'bearer' } | { readonly kind: 'cookie'; readonly id: string; readonly csrf: string } | { readonly kind: 'open'; readonly csrf: string };

interface Login {
  readonly csrf: string;
  readonly expiresAt: number;
}

export interface AdminAuthStats {
  logins: number;
  loginsRefused: number;
  loginsThrottled: number;
  loginsEvicted: number;
  csrfRefused: number;
  hostRefused: number;
  /** wrong `Authorization: Bearer` tokens (F6: counted with wrong logins per source address) */
  bearerRefused: number;
  bearerThrottled: number;
}

const sameSecret = (a: string, b: string): boolean => timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

function cookieValue(req: http.IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The host name of a Host header ("[::1]:8080" -> "::1"), lower-cased. */
function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon > 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

/** Browsers mark every request with Sec-Fetch-Site (and cross-origin ones with Origin); other clients do not. */
const fromBrowser = (req: http.IncomingMessage): boolean => req.headers['sec-fetch-site'] !== undefined || req.headers.origin !== undefined;

const encrypted = (req: http.IncomingMessage): boolean => (req.socket as TLSSocket).encrypted === true;

export class AdminAuth {
  readonly stats: AdminAuthStats = { logins: 0, loginsRefused: 0, loginsThrottled: 0, loginsEvicted: 0, csrfRefused: 0, hostRefused: 0, bearerRefused: 0, bearerThrottled: 0 };
  /** The CSRF token of the open (loopback) mode: one per process, read by the page from /session. */
  private readonly openCsrf = randomBytes(24).toString('base64url');
  private readonly logins = new Map<string, Login>();
  /** Wrong tokens per source address in the last window: one noisy address locks out only itself. */
  private readonly failures = new Map<string, number[]>();
  private readonly now: () => number;

  constructor(private readonly opts: AdminAuthOptions) {
    this.now = opts.now ?? Date.now;
  }

  get tokenRequired(): boolean {
    return this.opts.token !== undefined;
  }

  /**
   * Open mode only (attack finding F3): a request naming a Host other than a loopback address
   * or "localhost" is refused, whoever sends it. A page of another site whose name was
   * re-pointed at 127.0.0.1 (DNS rebinding) names its own host, and Chromium sends neither
   * Origin nor Sec-Fetch-Site on a same-origin GET, so "is it a browser" cannot be told. A
   * request with no Host at all (HTTP/1.0) is no rebinding page (browsers always send one).
   */
  hostAllowed(req: http.IncomingMessage): boolean {
    if (this.opts.token !== undefined || req.headers.host === undefined) return true;
    if (isLoopback(hostName(req.headers.host))) return true;
    this.stats.hostRefused++;
    return false;
  }

  /**
   * Attack finding F6: a request carrying a bearer token from a source address that gave too
   * many wrong tokens (bearer or login) in the window is refused before its token is compared,
   * so guessing stays at LOGIN_FAILURES_PER_WINDOW a minute. The refusal in words, or undefined.
   */
  bearerThrottled(req: http.IncomingMessage): string | undefined {
    if (this.opts.token === undefined || !/^bearer\b/i.test(req.headers.authorization ?? '')) return undefined;
    if (this.recentFailures(req.socket.remoteAddress ?? '', this.now()).length < LOGIN_FAILURES_PER_WINDOW) return undefined;
    this.stats.bearerThrottled++;
    return TOO_MANY;
  }

  private recentFailures(source: string, now: number): number[] {
    return (this.failures.get(source) ?? []).filter((t) => t > now - LOGIN_WINDOW_MS);
  }

  /** The access the request carries, or undefined (token mode, neither bearer nor a live login). */
  identify(req: http.IncomingMessage): Access | undefined {
    const token = this.opts.token;
    if (token === undefined) return { kind: 'open', csrf: this.openCsrf };
    if (bearerMatches(req.headers.authorization, token)) return { kind: 'bearer' };
    if (/^bearer\b/i.test(req.headers.authorization ?? '')) {
      // F6: a wrong bearer token is a guess like a wrong login, counted in the same per-source window
      const now = this.now();
      const source = req.socket.remoteAddress ?? '';
      this.noteFailures(source, [...this.recentFailures(source, now), now], now);
      this.stats.bearerRefused++;
    }
    const id = cookieValue(req, LOGIN_COOKIE);
    if (id === undefined) return undefined;
    const login = this.logins.get(id);
    if (login === undefined) return undefined;
    if (login.expiresAt <= this.now()) {
      this.logins.delete(id);
      return undefined;
    }
    return { kind: 'cookie', id, csrf: login.csrf };
  }

  /**
   * Why a change is refused, or undefined when allowed. Reads (GET, HEAD) are never changes.
   * Bearer and non-browser loopback clients pass; a browser must be same-origin and carry the CSRF token.
   */
  changeRefusal(req: http.IncomingMessage, access: Access): string | undefined {
    if (SAFE_METHODS.has(req.method ?? '') || access.kind === 'bearer') return undefined;
    if (access.kind !== 'cookie' && !fromBrowser(req)) return undefined;
    const why = this.originRefusal(req) ?? this.csrfRefusal(req, access.csrf);
    if (why !== undefined) this.stats.csrfRefused++;
    return why;
  }

  private originRefusal(req: http.IncomingMessage): string | undefined {
    const origin = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    if (origin === undefined) {
      // a browser that sends no Origin still says where the request came from
      return site === undefined || site === 'same-origin' ? undefined : 'a change must come from this page (cross-site request refused)';
    }
    const expected = `${encrypted(req) ? 'https' : 'http'}://${(req.headers.host ?? '').toLowerCase()}`;
    return origin.toLowerCase() === expected ? undefined : 'a change must come from this page (its Origin is another site)';
  }

  private csrfRefusal(req: http.IncomingMessage, csrf: string): string | undefined {
    const given = req.headers[CSRF_HEADER];
    if (typeof given !== 'string' || given === '') return 'the CSRF token is missing: reload the page';
    return sameSecret(given, csrf) ? undefined : 'the CSRF token is not valid: reload the page';
  }

  /**
   * POST /login: the token typed in the page. Returns the Set-Cookie value, or the refusal in words.
   * A login cross-site is refused too (login CSRF).
   */
  login(req: http.IncomingMessage, typed: string): { cookie: string } | { status: number; error: string } {
    const token = this.opts.token;
    if (token === undefined) return { status: 400, error: 'no login needed: this admin port is on loopback' };
    const cross = this.originRefusal(req);
    if (cross !== undefined) {
      this.stats.csrfRefused++;
      return { status: 403, error: cross };
    }
    const now = this.now();
    const source = req.socket.remoteAddress ?? '';
    const recent = this.recentFailures(source, now);
    if (recent.length >= LOGIN_FAILURES_PER_WINDOW) {
      this.stats.loginsThrottled++;
      return { status: 429, error: TOO_MANY };
    }
    if (typed === '' || !sameSecret(typed, token)) {
      recent.push(now);
      this.noteFailures(source, recent, now);
      this.stats.loginsRefused++;
      return { status: 401, error: 'that is not the admin token (see <data-dir>/admin-token or http.token)' };
    }
    this.sweep(now);
    while (this.logins.size >= this.opts.maxLogins) {
      // Map order is insertion order: the oldest login makes room
      const oldest = this.logins.keys().next().value as string;
      this.logins.delete(oldest);
      this.stats.loginsEvicted++;
    }
    const id = randomBytes(32).toString('base64url');
    this.logins.set(id, { csrf: randomBytes(24).toString('base64url'), expiresAt: now + this.opts.loginTtlMs });
    this.stats.logins++;
    const maxAge = Math.floor(this.opts.loginTtlMs / 1000);
    return { cookie: `${LOGIN_COOKIE}=${id}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${encrypted(req) ? '; Secure' : ''}` };
  }

  /** Keeps the map bounded: stale sources go first, then the oldest-inserted (Map order). */
  private noteFailures(source: string, recent: number[], now: number): void {
    this.failures.delete(source);
    if (this.failures.size >= MAX_FAILURE_SOURCES) {
      for (const [k, v] of this.failures) if (v[v.length - 1] <= now - LOGIN_WINDOW_MS) this.failures.delete(k);
      while (this.failures.size >= MAX_FAILURE_SOURCES) this.failures.delete(this.failures.keys().next().value as string);
    }
    this.failures.set(source, recent);
  }

  /** POST /logout: the login ends; the answer clears the cookie. */
  logout(access: Access, req: http.IncomingMessage): string {
    if (access.kind === 'cookie') this.logins.delete(access.id);
    return `${LOGIN_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${encrypted(req) ? '; Secure' : ''}`;
  }

  private sweep(now: number): void {
    for (const [id, l] of this.logins) if (l.expiresAt <= now) this.logins.delete(id);
  }
}
