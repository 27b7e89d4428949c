// SIP over TLS (RFC 3261 26.2, RFC 5630 for what sips: promises), built here instead of with
// the library's own `tls` option. That path of sip@0.0.6 cannot be used as it stands, and the
// package is shared and patched once (patches/), so it is not changed for this:
//  - it listens on `options.tls_port || 5061` itself: port 0 becomes 5061, the chosen port
//    cannot be read back, and a busy port is an 'error' event nobody listens to (a crash);
//  - every Via it writes carries `options.port` (our UDP/TCP port), not the TLS port;
//  - its connections escape sip.maxTcpConnections, have no handshake time limit, and a refused
//    handshake or a peer certificate that does not verify is neither counted nor logged.
// So imedge owns the TLS sockets (listener and dialer) and hands each one, once the handshake
// is done, to the library's stream transport: the same bounded parser, transactions and flow
// table as TCP. Above this file such a flow is TCP with `secure: true`; the stack rewrites the
// top Via of what it sends on it to SIP/2.0/TLS and the TLS port.
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Logger } from '../../log';
import { PortInUseError } from './listeners';
import type { TcpConnectionGate } from './tcp-gate';

export interface SipTlsOptions {
  /** 0 picks a free port. */
  port: number;
  /** PEM certificate chain and key this side presents. */
  cert: Buffer;
  key: Buffer;
  /** CAs a peer's certificate must chain to when imedge dials it. */
  ca: readonly (string | Buffer)[];
  /** Dialled peers must present a certificate that verifies and names the address dialled. */
  verifyPeer: boolean;
  /** An accepted connection that has not finished its handshake by then is closed (counted). */
  handshakeTimeoutMs: number;
}

export interface SipTlsStats {
  /** Handshakes completed on the TLS port. */
  accepted: number;
  /** Connections on the TLS port closed before a handshake completed: plain TCP, bad hello, timeout. */
  handshakeFailures: number;
  /** TLS connections imedge opened. */
  dialled: number;
  /** Dials abandoned because the peer's certificate did not verify (tls.verifyPeer). */
  peerRejected: number;
}

/** Live TLS sockets by remote address and port: what tells a TLS flow from a TCP one. */
export class TlsFlows {
  private readonly live = new Map<string, tls.TLSSocket>();
  /** Targets to dial with TLS (a sips: hop, a transport=tls Contact), newest last, bounded. */
  private readonly targets = new Map<string, true>();

  constructor(private readonly maxTargets: number) {}

  static key(address: string, port: number): string {
    return `${address}|${port}`;
  }

  track(socket: tls.TLSSocket, address: string, port: number): void {
    const k = TlsFlows.key(address, port);
    this.live.set(k, socket);
    socket.once('close', () => {
      if (this.live.get(k) === socket) this.live.delete(k);
    });
  }

  isLive(address: string, port: number): boolean {
    return this.live.has(TlsFlows.key(address, port));
  }

  /** Remembers that address:port speaks TLS, so the library's dial to it goes through dial(). */
  markTarget(address: string, port: number): void {
    const k = TlsFlows.key(address, port);
    this.targets.delete(k);
    this.targets.set(k, true);
    // bounded: the oldest hint goes (a later request to it names it again)
    if (this.targets.size > this.maxTargets) this.targets.delete(this.targets.keys().next().value as string);
  }

  isTarget(address: string, port: number): boolean {
    return this.targets.has(TlsFlows.key(address, port));
  }

  /** A message to or from address:port travels over TLS. */
  isSecure(address: string, port: number): boolean {
    return this.isLive(address, port) || this.isTarget(address, port);
  }
}

/**
 * Binds the SIP TLS listener. Raw connections pass the SIP TCP gate before their handshake (a
 * refused one costs no TLS work); a completed handshake is handed to onSecure.
 */
export function listenSipTls(
  address: string,
  opts: SipTlsOptions,
  gate: TcpConnectionGate,
  stats: SipTlsStats,
  log: Logger,
  onSecure: (socket: tls.TLSSocket) => void,
): Promise<tls.Server> {
  const server = tls.createServer({ cert: opts.cert, key: opts.key, handshakeTimeout: opts.handshakeTimeoutMs, noDelay: true });
  // a connection in its handshake holds a slot; at the cap it may be evicted like a silent one (tcp-gate.ts)
  gate.guard(server, true);
  // Plain TCP bytes, a broken hello or a silent peer: the connection is closed by node and counted here.
  let burst = 0;
  let burstTimer: NodeJS.Timeout | undefined;
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
    stats.handshakeFailures++;
    // logged once per second at most: a port scan must not flood the journal
    if (burst++ === 0) {
      log.info({ remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`, code: err.code ?? err.message }, 'SIP TLS handshake failed; connection closed');
      burstTimer = setTimeout(() => (burst = 0), 1000);
      burstTimer.unref();
    }
    socket.destroy();
  });
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    stats.accepted++;
    gate.handshakeDone(socket.remoteAddress, socket.remotePort);
    gate.boundOutput(socket);
    socket.on('error', () => undefined);
    try {
      onSecure(socket);
    } catch (err) {
      log.warn({ err }, 'SIP TLS connection could not be handed over; closed');
      socket.destroy();
    }
  });
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(new PortInUseError(opts.port, 'TLS', address, err.code ?? err.message));
    server.once('error', onError);
    server.listen({ host: address, port: opts.port, exclusive: true }, () => {
      server.off('error', onError);
      server.on('error', (err) => log.error({ err }, 'SIP TLS server error'));
      resolve(server);
    });
  });
}

/**
 * Opens a TLS connection for the library (through the gate's cap). With verifyPeer the peer's
 * certificate must chain to opts.ca and name the host dialled (node checks both before any byte
 * of ours is sent); a refusal ends in the socket's 'error', which the library turns into a 503
 * for that target, and is counted and logged here.
 */
export function dialSipTls(host: string, port: number, opts: SipTlsOptions, stats: SipTlsStats, log: Logger): tls.TLSSocket {
  const socket = tls.connect({
    host,
    port,
    ca: [...opts.ca],
    rejectUnauthorized: opts.verifyPeer,
    // RFC 6066 3: no IP literal in SNI; node then checks the address against the IP SANs
    ...(net.isIP(host) === 0 ? { servername: host } : {}),
  });
  socket.setNoDelay(true);
  stats.dialled++;
  socket.once('error', (err: NodeJS.ErrnoException) => {
    if (socket.authorizationError) {
      stats.peerRejected++;
      log.warn({ host, port, reason: String(socket.authorizationError) }, 'SIP TLS peer certificate refused (tls.verifyPeer); target skipped');
    } else {
      log.debug({ host, port, code: err.code ?? err.message }, 'SIP TLS dial failed');
    }
  });
  return socket;
}
