import { randomBase64url } from '../../util/random-hex';
import { createConnection, createServer, isIP, type Server, type Socket } from 'node:net';
import * as tls from 'node:tls';
import type { Logger } from '../../log';
import { parseMsrpUri, msrpUriPort } from '../wire';
import { MsrpConnection, type ConnectionContext } from './connection';
import { newNetCounters, type MsrpNetCounters } from './counters';
import { MsrpConnectError, MsrpPortInUseError } from './errors';
import { resolveNetOptions, type MsrpNetOptions } from './options';
import { MsrpSession, type MsrpSessionSpec } from './session';

/** How imedge checks the peers it dials over TLS (msrps:). */
export interface MsrpTlsClientOptions {
  /** CAs a peer's certificate must chain to (absent: node's built-in list). */
  readonly ca?: readonly (string | Buffer)[];
  /**
   * The peer's certificate must verify and name the host dialled (node checks both before any
   * byte of ours leaves). false: encrypt without authenticating (self-signed LAN peers).
   */
  readonly verifyPeer: boolean;
}

/** The MSRP over TLS listener's credentials and handshake bound. */
export interface MsrpTlsServerOptions {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** A connection whose handshake has not completed by then is closed (counted). */
  readonly handshakeTimeoutMs: number;
  /** Handshakes under way one remote address may hold at once; beyond, closed at once (counted per source). Default: no separate cap. */
  readonly maxHandshakesPerSource?: number;
}

export interface MsrpNetDeps {
  readonly log?: Logger;
  /** Dials to msrps: URIs; default: verify against node's built-in CAs. */
  readonly tlsClient?: MsrpTlsClientOptions;
}

export interface DialOptions {
  /** The connect (and the TLS handshake) must complete within this long (kind 'timeout' otherwise). */
  readonly timeoutMs?: number;
  /** Dial with TLS (an msrps: URI, RFC 4975 section 6). */
  readonly secure?: boolean;
}

export interface MsrpListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * The MSRP network layer: a TCP listener (and, with TLS on, an MSRP over TLS listener for
 * msrps: URIs), a dialer for both, the session registry (sessions are named by the session-id
 * of their local URI), and the live connections. TLS and TCP connections are the same
 * MsrpConnection once the handshake is done, and share maxConnections.
 */
export class MsrpNet {
  readonly options: MsrpNetOptions;
  readonly counters: MsrpNetCounters = newNetCounters();
  private server: Server | undefined;
  private bound: MsrpListenAddress | undefined;
  private tlsServer: tls.Server | undefined;
  private tlsBound: MsrpListenAddress | undefined;
  /** Accepted TLS connections still in their handshake: they hold a connection slot. */
  private handshaking = 0;
  /** Raw connections in their TLS handshake by remote "address|port": the socket, and what gives its slot back. */
  private readonly handshakeSlots = new Map<string, { readonly raw: Socket; readonly release: () => void }>();
  /** close() has begun: a connection whose accept or handshake completes now is dropped. */
  private closing = false;
  /** Handshake failures since the last log line: one line per second at most (a port scan). */
  private tlsFailureBurst = 0;
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

  /**
   * Binds the MSRP over TLS listener (msrps: URIs); port 0 picks a free one. A raw connection
   * takes a slot of maxConnections before its handshake; one that is not TLS (plain MSRP bytes),
   * or that does not finish its handshake in time, is closed and counted (tlsHandshakeFailures).
   */
  listenTls(host: string, port: number, creds: MsrpTlsServerOptions): Promise<MsrpListenAddress> {
    if (this.tlsServer !== undefined) return Promise.reject(new Error('MSRP TLS listener already started'));
    const server = tls.createServer({ cert: creds.cert, key: creds.key, handshakeTimeout: creds.handshakeTimeoutMs });
    // the connection cap applies before any TLS work: a refused socket never reaches the TLS layer
    const emit = server.emit.bind(server);
    server.emit = ((event: string | symbol, ...args: unknown[]) => {
      if (event === 'connection') {
        const raw = args[0] as Socket;
        if (this.sourceFull(raw) || this.handshakesFull(raw, creds.maxHandshakesPerSource)) return true;
        // a handshake takes a slot like a connection, so it may evict an idle one to get it
        if (!this.makeRoom()) {
          this.counters.connectionsRejected++;
          raw.destroy();
          return true;
        }
        this.handshaking++;
        const key = `${raw.remoteAddress ?? '?'}|${raw.remotePort ?? 0}`;
        let held = true;
        const slot = {
          raw,
          release: (): void => {
            if (held) this.handshaking--;
            held = false;
            if (this.handshakeSlots.get(key) === slot) this.handshakeSlots.delete(key);
          },
        };
        raw.once('close', slot.release);
        this.handshakeSlots.set(key, slot);
      }
      return emit(event, ...args);
    }) as typeof server.emit;
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
      // the slot is free once the failure is counted (the raw socket's close comes later)
      this.handshakeSlots.get(`${socket.remoteAddress ?? '?'}|${socket.remotePort ?? 0}`)?.release();
      this.counters.tlsHandshakeFailures++;
      if (this.tlsFailureBurst++ === 0) {
        this.deps.log?.info({ remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`, code: err.code ?? err.message }, 'MSRP TLS handshake failed; connection closed');
        setTimeout(() => (this.tlsFailureBurst = 0), 1000).unref();
      }
      socket.destroy();
    });
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      // the handshake slot of the socket under it is given back; accept() takes a live one
      this.handshakeSlots.get(`${socket.remoteAddress ?? '?'}|${socket.remotePort ?? 0}`)?.release();
      socket.on('error', () => undefined);
      this.counters.tlsAccepted++;
      this.accept(socket);
    });
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        this.tlsServer = undefined;
        reject(err.code === 'EADDRINUSE' ? new MsrpPortInUseError(host, port, true) : err);
      };
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        server.on('error', (err) => this.deps.log?.warn({ err }, 'MSRP TLS listener error'));
        const addr = server.address();
        const chosen = typeof addr === 'object' && addr !== null ? addr.port : port;
        this.tlsBound = { host, port: chosen };
        resolve(this.tlsBound);
      });
      this.tlsServer = server;
    });
  }

  get address(): MsrpListenAddress | undefined {
    return this.bound;
  }

  /** The MSRP over TLS listener, when started. */
  get tlsAddress(): MsrpListenAddress | undefined {
    return this.tlsBound;
  }

  get connectionCount(): number {
    return this.live.size;
  }

  /**
   * Opens a connection to host:port (RFC 6135 active side), with TLS when opts.secure (an
   * msrps: peer; see MsrpTlsClientOptions for what is checked). A dial in progress holds a slot
   * of maxConnections like a live connection, so concurrent dials cannot overshoot the limit; at
   * the limit the oldest evictable connection makes room (see makeRoom), and only when there is
   * none the dial fails at once with kind 'limit'. With timeoutMs, a connect (and handshake)
   * that has not completed by then fails with kind 'timeout' and its socket is destroyed. A TLS
   * peer whose certificate is refused fails with kind 'refused' and counts in tlsPeerRejected.
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
      const socket = opts.secure ? this.tlsDial(host, port) : createConnection({ host, port, noDelay: true });
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        this.dialling--;
        clearTimeout(timer);
        return true;
      };
      const onError = (err: Error): void => {
        if (!settle()) return;
        const refusedCert = opts.secure === true && Boolean((socket as tls.TLSSocket).authorizationError);
        if (refusedCert) {
          this.counters.tlsPeerRejected++;
          const reason = String((socket as tls.TLSSocket).authorizationError);
          this.deps.log?.warn({ host, port, reason }, 'MSRP TLS peer certificate refused (tls.verifyPeer)');
          reject(new MsrpConnectError(`cannot connect to ${host}:${port}: peer certificate refused (${reason})`, err, 'refused'));
          return;
        }
        reject(new MsrpConnectError(`cannot connect to ${host}:${port}: ${err.message}`, err, 'refused'));
      };
      socket.once('error', onError);
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          if (!settle()) return;
          socket.destroy();
          reject(new MsrpConnectError(`cannot connect to ${host}:${port}: no answer within ${opts.timeoutMs} ms`, undefined, 'timeout'));
        }, opts.timeoutMs);
      }
      socket.once(opts.secure ? 'secureConnect' : 'connect', () => {
        socket.off('error', onError);
        if (!settle()) return;
        this.counters.connectionsDialled++;
        resolve(this.adopt(socket, 'out'));
      });
    });
  }

  private tlsDial(host: string, port: number): tls.TLSSocket {
    const c = this.deps.tlsClient ?? { verifyPeer: true };
    const socket = tls.connect({
      host,
      port,
      ...(c.ca !== undefined ? { ca: [...c.ca] } : {}),
      rejectUnauthorized: c.verifyPeer,
      // RFC 6066 3: no IP literal in SNI; node then checks the address against the IP SANs
      ...(isIP(host) === 0 ? { servername: host } : {}),
    });
    socket.setNoDelay(true);
    return socket;
  }

  /** Dials the host and port of an MSRP URI (first hop of a remote path); msrps: with TLS. */
  dialUri(uri: string, opts: DialOptions = {}): Promise<MsrpConnection> {
    const u = parseMsrpUri(uri);
    if (u === undefined) return Promise.reject(new RangeError(`bad MSRP URI: ${uri}`));
    const host = u.host.startsWith('[') ? u.host.slice(1, -1) : u.host;
    return this.dial(host, msrpUriPort(u), { ...opts, secure: u.scheme === 'msrps' });
  }

  /**
   * Connections that may still be opened (accepted or dialled): free slots under maxConnections
   * plus the evictable ones (inbound, no session bound), which a new connection would replace.
   */
  get connectionRoom(): number {
    const free = Math.max(0, this.options.maxConnections - this.slotsInUse());
    let evictable = 0;
    for (const c of this.live) if (isEvictable(c)) evictable++;
    return free + evictable;
  }

  /** A fresh random session-id (RFC 4975 section 14.1: unguessable, 80+ bits). */
  newSessionId(): string {
    return randomBase64url(12);
  }

  /**
   * msrp://host:port/<sessionId>;tcp on the listening address; with secure,
   * msrps://host:tlsport/<sessionId>;tcp on the TLS one (RFC 4975 section 6).
   */
  localUri(sessionId: string = this.newSessionId(), host?: string, secure = false): string {
    const a = secure ? this.tlsBound : this.bound;
    if (a === undefined) throw new Error(secure ? 'MSRP TLS listener not started' : 'MSRP listener not started');
    const h = host ?? (a.host.includes(':') ? `[${a.host}]` : a.host);
    return `${secure ? 'msrps' : 'msrp'}://${h}:${a.port}/${sessionId};tcp`;
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
    this.closing = true;
    for (const c of [...this.live]) c.close();
    // handshakes under way would otherwise complete into a connection nobody closes
    for (const slot of [...this.handshakeSlots.values()]) {
      slot.release();
      slot.raw.destroy();
    }
    const servers = [this.server, this.tlsServer];
    this.server = undefined;
    this.bound = undefined;
    this.tlsServer = undefined;
    this.tlsBound = undefined;
    for (const server of servers) if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
    // closed: a later listen() starts afresh
    this.closing = false;
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.sourceFull(socket)) return;
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
   * Attack finding (F2, t17): silent TLS handshakes, never evicted, held every slot; with no
   * idle connection left, the oldest handshake under way is closed instead.
   */
  private makeRoom(): boolean {
    if (this.slotsInUse() < this.options.maxConnections) return true;
    // the live set keeps insertion order: the first evictable connection is the oldest
    for (const c of this.live) {
      if (!isEvictable(c)) continue;
      this.counters.connectionsEvicted++;
      this.deps.log?.debug({ remote: c.remoteAddress }, 'MSRP connection without a session closed to make room at the connection limit');
      c.close(); // onClosed takes it out of live at once
      return this.slotsInUse() < this.options.maxConnections;
    }
    // the map keeps insertion order: the first handshake is the oldest
    for (const slot of this.handshakeSlots.values()) {
      this.counters.connectionsEvicted++;
      this.deps.log?.debug({ remote: slot.raw.remoteAddress }, 'MSRP TLS connection still in its handshake closed to make room at the connection limit');
      slot.release();
      slot.raw.destroy();
      return this.slotsInUse() < this.options.maxConnections;
    }
    return false;
  }

  /** True (and the socket destroyed, counted per source) when its address holds max handshakes under way already. */
  private handshakesFull(socket: Socket, max: number | undefined): boolean {
    if (max === undefined) return false;
    const ip = socket.remoteAddress ?? '?';
    let n = 0;
    for (const key of this.handshakeSlots.keys()) if (key.slice(0, key.lastIndexOf('|')) === ip) n++;
    if (n < max) return false;
    this.counters.connectionsRejectedPerSource++;
    socket.destroy();
    return true;
  }

  /**
   * True (and the socket destroyed, counted) when its address already holds
   * maxConnectionsPerSource inbound connections and handshakes. A bounded walk (maxConnections).
   */
  private sourceFull(socket: Socket): boolean {
    const max = this.options.maxConnectionsPerSource;
    if (max === undefined || max >= this.options.maxConnections) return false;
    const ip = socket.remoteAddress ?? '?';
    let n = 0;
    for (const c of this.live) if (c.direction === 'in' && !c.closed && c.remoteIp === ip) n++;
    for (const key of this.handshakeSlots.keys()) if (key.slice(0, key.lastIndexOf('|')) === ip) n++;
    if (n < max) return false;
    this.counters.connectionsRejectedPerSource++;
    socket.destroy();
    return true;
  }

  /** Slots of maxConnections taken: live connections, dials under way, TLS handshakes under way. */
  private slotsInUse(): number {
    return this.live.size + this.dialling + this.handshaking;
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
