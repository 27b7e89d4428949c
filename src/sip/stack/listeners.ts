// Binds the SIP UDP socket and TCP server on the same port before the library sees them, so
// that port 0 yields one free port for both and "port in use" is an error we can name.
import * as dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { watchKeepalives, type KeepaliveHooks } from './keepalive-watch';
import type { TcpConnectionGate } from './tcp-gate';

export class PortInUseError extends Error {
  constructor(readonly port: number, readonly protocol: 'UDP' | 'TCP' | 'TLS', readonly address: string, cause: string) {
    super(`SIP ${protocol} port ${port} on ${address} is not available (${cause})`);
    this.name = 'PortInUseError';
  }
}

export interface BoundListeners {
  port: number;
  udp?: dgram.Socket;
  tcp?: net.Server;
}

function listenTcp(address: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    // Each SIP message is one write; Nagle would only hold back a response behind another.
    const server = net.createServer({ noDelay: true });
    const onError = (err: NodeJS.ErrnoException) => reject(new PortInUseError(port, 'TCP', address, err.code ?? err.message));
    server.once('error', onError);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

function bindUdp(address: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: net.isIPv6(address) ? 'udp6' : 'udp4' });
    const onError = (err: NodeJS.ErrnoException) => {
      socket.close();
      reject(new PortInUseError(port, 'UDP', address, err.code ?? err.message));
    };
    socket.once('error', onError);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/** Sees every UDP datagram before the library parses it; true = consumed (the library never sees it). */
export type UdpTap = (data: Buffer, from: dgram.RemoteInfo) => boolean;

function tapUdp(udp: dgram.Socket, tap: UdpTap): void {
  const emit = udp.emit.bind(udp);
  udp.emit = ((event: string | symbol, ...args: unknown[]) => {
    if (event === 'message' && Buffer.isBuffer(args[0]) && tap(args[0], args[1] as dgram.RemoteInfo)) return true;
    return emit(event, ...args);
  }) as typeof udp.emit;
}

const closeTcp = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));

/**
 * Port 0: TCP picks a free port and UDP takes the same one; retried a few times if UDP has it.
 * With a gate, accepted TCP connections beyond its cap are closed before anyone sees them.
 */
export async function bindSipListeners(
  address: string,
  port: number,
  udp: boolean,
  tcp: boolean,
  keepalive?: KeepaliveHooks,
  gate?: TcpConnectionGate,
  udpTap?: UdpTap,
): Promise<BoundListeners> {
  const attempts = port === 0 ? 8 : 1;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    let server: net.Server | undefined;
    try {
      if (tcp) server = await listenTcp(address, port);
      const chosen = server ? (server.address() as net.AddressInfo).port : port;
      const socket = udp ? await bindUdp(address, chosen) : undefined;
      const bound = { port: socket ? socket.address().port : chosen, udp: socket, tcp: server };
      if (server && gate) gate.guard(server);
      // installed before the keep-alive watch, which then runs first: pings never reach the tap
      if (socket && udpTap) tapUdp(socket, udpTap);
      if (keepalive) watchKeepalives(socket, server, keepalive);
      return bound;
    } catch (err) {
      lastError = err;
      if (server) await closeTcp(server);
    }
  }
  throw lastError;
}

/**
 * What the library's stream transport takes as its server: it hears 'connection' for every
 * accepted TCP connection and for every TLS connection once its handshake is done (see
 * tls-transport.ts), and close() closes the real listeners behind it.
 */
export class StreamHub extends EventEmitter {
  private readonly servers: net.Server[] = [];

  /** Forwards the server's accepted connections (after its gate and keep-alive watch). */
  forward(server: net.Server): void {
    this.servers.push(server);
    server.on('connection', (socket: net.Socket) => this.emit('connection', socket));
  }

  /** A listener whose connections are handed over by hand (TLS after the handshake). */
  own(server: net.Server): void {
    this.servers.push(server);
  }

  close(): void {
    for (const s of this.servers) s.close();
  }
}
