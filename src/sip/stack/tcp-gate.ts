// The SIP TCP connection cap (issue 8 item 3), like msrp.maxConnections and the admin HTTP
// slots: connections the server accepts and connections the library dials share one bound.
// An accepted connection beyond it is closed before anything (keep-alive watch, library) sees
// it; a dial beyond it fails at once, which the library turns into a 503 for that target.
import * as net from 'node:net';
import type { Logger } from '../../log';

export type TcpDirection = 'in' | 'out';

export interface TcpConnectionStats {
  /** Open SIP TCP connections now, accepted and dialed. */
  live: number;
  limit: number;
  /** Connections closed (in) or dials refused (out) because the cap was reached. */
  refused: Record<TcpDirection, number>;
}

export class TcpConnectionGate {
  private liveCount = 0;
  private readonly refusedBy: Record<TcpDirection, number> = { in: 0, out: 0 };
  /** Refusals since the cap was last reached: one warning per burst, one summary when it ends. */
  private burst = 0;

  constructor(readonly limit: number, private readonly log: Logger) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('SIP TCP connection limit must be a positive integer');
  }

  stats(): TcpConnectionStats {
    return { live: this.liveCount, limit: this.limit, refused: { ...this.refusedBy } };
  }

  /**
   * Takes a slot for the socket, given back when it closes; false (and counted) at the cap.
   * A socket that is already gone takes no slot: its 'close' may have fired already.
   */
  admit(socket: net.Socket, direction: TcpDirection): boolean {
    if (this.liveCount >= this.limit) {
      this.refuse(direction);
      return false;
    }
    if (socket.destroyed) return true;
    this.liveCount++;
    socket.once('close', () => this.release());
    return true;
  }

  /**
   * Accepted connections pass the gate before any 'connection' listener runs (the library's
   * and the keep-alive watch's): a refused one is destroyed unseen, so it holds no parser,
   * no flow entry and no timer.
   */
  guard(server: net.Server): void {
    const emit = server.emit.bind(server);
    server.emit = ((event: string | symbol, ...args: unknown[]) => {
      if (event === 'connection') {
        const socket = args[0] as net.Socket;
        if (!this.admit(socket, 'in')) {
          socket.destroy();
          return true;
        }
      }
      return emit(event, ...args);
    }) as typeof server.emit;
  }

  /**
   * The library's TCP dialer: a connection counts from the moment it is dialed. At the cap the
   * returned socket fails on the next tick (after the library has attached its handlers), so
   * the request to that target ends in a 503 instead of a hidden, unbounded connection.
   */
  dial(port: number, host: string, onConnect?: () => void, connect?: () => net.Socket): net.Socket {
    if (this.liveCount >= this.limit) {
      this.refuse('out');
      const dead = new net.Socket();
      process.nextTick(() => dead.destroy(new Error(`SIP TCP connection limit (${this.limit}) reached`)));
      return dead;
    }
    // Each SIP message is one write; Nagle would only hold back a response behind another.
    // `connect` dials another way (TLS) under the same cap.
    const socket = connect !== undefined ? connect() : net.connect({ port, host, noDelay: true }, onConnect);
    this.admit(socket, 'out');
    return socket;
  }

  private refuse(direction: TcpDirection): void {
    this.refusedBy[direction]++;
    if (this.burst++ === 0) {
      this.log.warn({ limit: this.limit, direction }, 'SIP TCP connection limit reached; further connections are closed at once');
    }
  }

  private release(): void {
    this.liveCount--;
    if (this.burst > 0 && this.liveCount < this.limit) {
      this.log.info({ limit: this.limit, refused: this.burst }, 'SIP TCP connections below the limit again');
      this.burst = 0;
    }
  }
}
