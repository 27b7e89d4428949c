import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../log';
import { parseMsrpUri, msrpUriPort } from '../wire';
import { MsrpConnection, type ConnectionContext } from './connection';
import { newNetCounters, type MsrpNetCounters } from './counters';
import { MsrpConnectError, MsrpPortInUseError } from './errors';
import { resolveNetOptions, type MsrpNetOptions } from './options';
import { MsrpSession, type MsrpSessionSpec } from './session';

export interface MsrpNetDeps {
  readonly log?: Logger;
}

export interface DialOptions {
  /** The TCP connect must complete within this long (kind 'timeout' otherwise). */
  readonly timeoutMs?: number;
}

export interface MsrpListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * The MSRP network layer: a TCP listener and dialer, the session registry (sessions are named
 * by the session-id of their local URI), and the live connections.
 */
export class MsrpNet {
  readonly options: MsrpNetOptions;
  readonly counters: MsrpNetCounters = newNetCounters();
  private server: Server | undefined;
  private bound: MsrpListenAddress | undefined;
  private readonly sessions = new Map<string, MsrpSession>();
  private readonly live = new Set<MsrpConnection>();
  /** Outbound connects under way: they hold a connection slot until they settle. */
  private dialling = 0;
  private readonly ctx: ConnectionContext;

  constructor(options: Partial<MsrpNetOptions> = {}, private readonly deps: MsrpNetDeps = {}) {
    this.options = resolveNetOptions(options);
    this.ctx = {
      options: this.options,
      counters: this.counters,
      findSession: (id) => this.sessions.get(id),
      onClosed: (c) => {
        if (this.live.delete(c)) this.counters.connectionsLive--;
      },
      log: deps.log,
    };
  }

  /** Binds the listener; port 0 picks a free port. Rejects MsrpPortInUseError naming the port. */
  listen(host = '127.0.0.1', port = 0): Promise<MsrpListenAddress> {
    if (this.server !== undefined) return Promise.reject(new Error('MSRP listener already started'));
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        this.server = undefined;
        reject(err.code === 'EADDRINUSE' ? new MsrpPortInUseError(host, port) : err);
      };
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        server.on('error', (err) => this.deps.log?.warn({ err }, 'MSRP listener error'));
        const addr = server.address();
        const chosen = typeof addr === 'object' && addr !== null ? addr.port : port;
        this.bound = { host, port: chosen };
        resolve(this.bound);
      });
      this.server = server;
    });
  }

  get address(): MsrpListenAddress | undefined {
    return this.bound;
  }

  get connectionCount(): number {
    return this.live.size;
  }

  /**
   * Opens a connection to host:port (RFC 6135 active side). A dial in progress holds a slot of
   * maxConnections like a live connection, so concurrent dials cannot overshoot the limit; at
   * the limit the oldest evictable connection makes room (see makeRoom), and only when there is
   * none the dial fails at once with kind 'limit'. With timeoutMs, a connect that has not
   * completed by then fails with kind 'timeout' and its socket is destroyed.
   */
  dial(host: string, port: number, opts: DialOptions = {}): Promise<MsrpConnection> {
    if (!this.makeRoom()) {
      this.counters.connectionsRejected++;
      return Promise.reject(new MsrpConnectError(`MSRP connection limit (${this.options.maxConnections}) reached`, undefined, 'limit'));
    }
    this.dialling++;
    return new Promise((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const socket = createConnection({ host, port, noDelay: true });
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        this.dialling--;
        clearTimeout(timer);
        return true;
      };
      const onError = (err: Error): void => {
        if (settle()) reject(new MsrpConnectError(`cannot connect to ${host}:${port}: ${err.message}`, err, 'refused'));
      };
      socket.once('error', onError);
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          if (!settle()) return;
          socket.destroy();
          reject(new MsrpConnectError(`cannot connect to ${host}:${port}: no answer within ${opts.timeoutMs} ms`, undefined, 'timeout'));
        }, opts.timeoutMs);
      }
      socket.once('connect', () => {
        socket.off('error', onError);
        if (!settle()) return;
        this.counters.connectionsDialled++;
        resolve(this.adopt(socket, 'out'));
      });
    });
  }

  /** Dials the host and port of an MSRP URI (first hop of a remote path). */
  dialUri(uri: string, opts: DialOptions = {}): Promise<MsrpConnection> {
    const u = parseMsrpUri(uri);
    if (u === undefined) return Promise.reject(new RangeError(`bad MSRP URI: ${uri}`));
    const host = u.host.startsWith('[') ? u.host.slice(1, -1) : u.host;
    return this.dial(host, msrpUriPort(u), opts);
  }

  /**
   * Connections that may still be opened (accepted or dialled): free slots under maxConnections
   * plus the evictable ones (inbound, no session bound), which a new connection would replace.
   */
  get connectionRoom(): number {
    const free = Math.max(0, this.options.maxConnections - this.live.size - this.dialling);
    let evictable = 0;
    for (const c of this.live) if (isEvictable(c)) evictable++;
    return free + evictable;
  }

  /** A fresh random session-id (RFC 4975 section 14.1: unguessable, 80+ bits). */
  newSessionId(): string {
    return randomBytes(12).toString('base64url');
  }

  /** msrp://host:port/<sessionId>;tcp on the listening address. */
  localUri(sessionId: string = this.newSessionId(), host?: string): string {
    const a = this.bound;
    if (a === undefined) throw new Error('MSRP listener not started');
    const h = host ?? (a.host.includes(':') ? `[${a.host}]` : a.host);
    return `msrp://${h}:${a.port}/${sessionId};tcp`;
  }

  openSession(spec: MsrpSessionSpec): MsrpSession {
    const session = new MsrpSession(spec);
    if (this.sessions.has(session.id)) throw new RangeError(`MSRP session ${session.id} exists`);
    this.sessions.set(session.id, session);
    return session;
  }

  findSession(id: string): MsrpSession | undefined {
    return this.sessions.get(id);
  }

  /** Forgets the session; its connection is closed when no other session uses it. */
  closeSession(session: MsrpSession): void {
    session.closed = true;
    this.sessions.delete(session.id);
    const c = session.connection;
    if (c !== undefined) {
      c.unbind(session);
      if (c.sessions.size === 0) c.closeAfterFlush();
    }
  }

  /** Attaches an active-side session to a connection it dialled (RFC 6135). */
  attach(session: MsrpSession, connection: MsrpConnection): boolean {
    return connection.bind(session);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    for (const c of [...this.live]) c.close();
    const server = this.server;
    this.server = undefined;
    this.bound = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    if (!this.makeRoom()) {
      this.counters.connectionsRejected++;
      socket.destroy();
      return;
    }
    this.counters.connectionsAccepted++;
    try {
      this.adopt(socket, 'in');
    } catch (err) {
      // the listener's callback is a network handler too: drop this socket, keep serving
      this.counters.handlerErrors++;
      this.deps.log?.warn({ err }, 'MSRP accept failed; connection closed');
      socket.destroy();
    }
  }

  /**
   * True when a slot is free for one more connection. At maxConnections the oldest inbound
   * connection that carries no session is closed to make one (counted in connectionsEvicted):
   * idle connections re-opened every bindTimeoutMs could otherwise hold every slot and lock
   * real sessions out. A connection carrying a session, or one we dialled, is never evicted.
   */
  private makeRoom(): boolean {
    if (this.live.size + this.dialling < this.options.maxConnections) return true;
    // the live set keeps insertion order: the first evictable connection is the oldest
    for (const c of this.live) {
      if (!isEvictable(c)) continue;
      this.counters.connectionsEvicted++;
      this.deps.log?.debug({ remote: c.remoteAddress }, 'MSRP connection without a session closed to make room at the connection limit');
      c.close(); // onClosed takes it out of live at once
      return this.live.size + this.dialling < this.options.maxConnections;
    }
    return false;
  }

  private adopt(socket: Socket, direction: 'in' | 'out'): MsrpConnection {
    const c = new MsrpConnection(socket, this.ctx, direction);
    this.live.add(c);
    this.counters.connectionsLive++;
    return c;
  }
}

/** An inbound connection with no session bound (never bound yet, or its sessions are gone). */
function isEvictable(c: MsrpConnection): boolean {
  return c.direction === 'in' && c.sessions.size === 0 && !c.closed;
}
