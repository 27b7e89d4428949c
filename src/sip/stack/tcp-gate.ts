// The SIP TCP connection cap (issue 8 item 3), like msrp.maxConnections and the admin HTTP
// slots: connections the server accepts and connections the library dials share one bound.
// At the cap a new connection takes the slot of a quiet inbound one (below) if there is one;
// otherwise an accepted connection is closed before anything (keep-alive watch, library) sees
// it, and a dial fails at once, which the library turns into a 503 for that target.
import * as net from 'node:net';
import type { Logger } from '../../log';
import { boundOutput, type OutputBoundOptions } from './output-bound';

export type TcpDirection = 'in' | 'out';

export interface TcpConnectionStats {
  /** Open SIP TCP connections now, accepted and dialed. */
  live: number;
  limit: number;
  /** Connections closed (in) or dials refused (out) because the cap was reached. */
  refused: Record<TcpDirection, number>;
  /** Quiet inbound connections closed at the cap to make room for a new one. */
  evicted: number;
  /** Inbound connections closed at once because their address held maxPerSource already (also in refused.in). */
  refusedPerSource: number;
  /** Connections no longer read because their peer left too much of our output unread (output-bound.ts). */
  outputPaused: number;
  /** Connections closed because their unread output stayed over the bound too long or grew past its hard limit. */
  outputClosed: number;
}

export interface TcpGateOptions {
  /**
   * An inbound connection with no transaction under way that carried no SIP message for this
   * long (or never carried one) may be closed at the cap to make room.
   */
  quietMs: number;
  /**
   * Inbound connections one remote address may hold at once (beyond: closed at once, counted):
   * one host cannot take every slot, nor evict everyone else's quiet connections.
   */
  maxPerSource: number;
  /**
   * TLS connections still in their handshake one remote address may hold at once (beyond:
   * closed at once, counted in refusedPerSource): silent handshakes are cheap to open.
   */
  maxHandshakesPerSource?: number;
  /** The bound on output queued for one peer (output-bound.ts); absent: none. */
  output?: OutputBoundOptions;
  /** The clock (tests). */
  now?: () => number;
}

/** One admitted connection. Held by the stack while a transaction runs over it. */
export interface TcpSlot {
  readonly direction: TcpDirection;
  /** When the last complete SIP message went either way; undefined: none yet. */
  lastMessageAt: number | undefined;
  /** Transactions under way over this connection (a request waiting for its final response). */
  busy: number;
  released: boolean;
  /** Until when a registration made over this connection lives (never evicted before); undefined: none. */
  pinnedUntil?: number;
}

interface Admitted extends TcpSlot {
  readonly socket: net.Socket;
  readonly key: string | undefined;
  /** A TLS connection still in its handshake: evictable at the cap like one that never carried a message. */
  handshaking: boolean;
}

export const DEFAULT_TCP_QUIET_MS = 60_000;

export class TcpConnectionGate {
  private liveCount = 0;
  private readonly refusedBy: Record<TcpDirection, number> = { in: 0, out: 0 };
  private evictedCount = 0;
  private refusedPerSourceCount = 0;
  private outputPausedCount = 0;
  private outputClosedCount = 0;
  private readonly output: OutputBoundOptions | undefined;
  private readonly maxPerSource: number;
  private readonly maxHandshakesPerSource: number;
  /** Refusals since the cap was last reached: one warning per burst, one summary when it ends. */
  private burst = 0;
  /** Evictions since the cap was last left: one warning per burst. */
  private evictBurst = 0;
  /** Inbound connections by remote address and port (the library's flow), oldest first. */
  private readonly inbound = new Map<string, Admitted>();
  private readonly quietMs: number;
  private readonly now: () => number;

  constructor(readonly limit: number, private readonly log: Logger, opts: Partial<TcpGateOptions> = {}) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('SIP TCP connection limit must be a positive integer');
    this.quietMs = opts.quietMs ?? DEFAULT_TCP_QUIET_MS;
    if (!(this.quietMs >= 0)) throw new RangeError('SIP TCP quiet time must be a non-negative number of ms');
    this.now = opts.now ?? Date.now;
    this.output = opts.output;
    this.maxPerSource = opts.maxPerSource ?? limit;
    if (!Number.isInteger(this.maxPerSource) || this.maxPerSource < 1) throw new RangeError('SIP TCP connections per source must be a positive integer');
    this.maxHandshakesPerSource = opts.maxHandshakesPerSource ?? this.maxPerSource;
    if (!Number.isInteger(this.maxHandshakesPerSource) || this.maxHandshakesPerSource < 1) throw new RangeError('SIP TLS handshakes per source must be a positive integer');
  }

  stats(): TcpConnectionStats {
    return { live: this.liveCount, limit: this.limit, refused: { ...this.refusedBy }, evicted: this.evictedCount, refusedPerSource: this.refusedPerSourceCount, outputPaused: this.outputPausedCount, outputClosed: this.outputClosedCount };
  }

  /**
   * Takes a slot for the socket, given back when it closes; at the cap a quiet inbound
   * connection may give up its slot (evictQuiet), else false (and counted).
   * A socket that is already gone takes no slot: its 'close' may have fired already.
   */
  admit(socket: net.Socket, direction: TcpDirection, handshaking = false): boolean {
    if (direction === 'in' && this.sourceFull(socket.remoteAddress, handshaking)) {
      this.refusedPerSourceCount++;
      this.refuse(direction);
      return false;
    }
    if (this.liveCount >= this.limit && !this.evictQuiet(direction === 'in' ? socket.remoteAddress : undefined)) {
      this.refuse(direction);
      return false;
    }
    if (socket.destroyed) return true;
    this.liveCount++;
    const key = direction === 'in' ? flowKey(socket.remoteAddress, socket.remotePort) : undefined;
    const slot: Admitted = { socket, key, direction, lastMessageAt: undefined, busy: 0, released: false, handshaking };
    // a stale entry under the same key (its close not seen yet) is no longer that flow
    if (key !== undefined) this.inbound.set(key, slot);
    socket.once('close', () => this.release(slot));
    // a TLS connection in its handshake is bounded once it is handed over (handshakeDone)
    if (!handshaking) this.boundOutput(socket);
    return true;
  }

  /** Puts the output bound on the socket the library writes to (TCP: the accepted one; TLS: the secure one). */
  boundOutput(socket: net.Socket): void {
    if (this.output === undefined) return;
    boundOutput(socket, this.output, {
      onPaused: () => {
        this.outputPausedCount++;
        this.log.debug({ remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}` }, 'SIP TCP peer leaves its answers unread; no longer read until they go out');
      },
      onClosed: (reason) => {
        this.outputClosedCount++;
        // debug: a flood of such peers must not flood the journal; the counter shows them
        this.log.debug({ remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`, reason, maxBytes: this.output?.maxBytes }, 'SIP TCP peer left too much output unread (sip.maxTcpOutputBytes); connection closed');
      },
    });
  }

  /**
   * True when this address holds maxPerSource inbound connections already or, for a TLS one,
   * maxHandshakesPerSource handshakes under way (bounded walk: at most `limit` entries).
   */
  private sourceFull(address: string | undefined, handshaking: boolean): boolean {
    let all = 0;
    let pending = 0;
    for (const slot of this.inbound.values()) {
      if (slot.released || slot.socket.remoteAddress !== address) continue;
      all++;
      if (slot.handshaking) pending++;
    }
    return (this.maxPerSource < this.limit && all >= this.maxPerSource) || (handshaking && pending >= this.maxHandshakesPerSource);
  }

  /** The inbound connection of a flow, if the gate admitted one (outbound ones are never evicted). */
  slotOf(address: string, port: number): TcpSlot | undefined {
    return this.inbound.get(flowKey(address, port) as string);
  }

  /**
   * The TLS handshake of an inbound connection completed: from now on it is judged like a TCP
   * one (first while it has carried no SIP message, then once quiet for quietMs).
   */
  handshakeDone(address: string | undefined, port: number | undefined): void {
    const slot = this.inbound.get(flowKey(address, port) as string);
    if (slot !== undefined) slot.handshaking = false;
  }

  /** A complete SIP message went over the connection. */
  noteMessage(slot: TcpSlot): void {
    slot.lastMessageAt = this.now();
  }

  /**
   * A REGISTER over this connection was answered 2xx: its binding lives for `forMs` (0: none
   * left, e.g. a removal). Until then the connection is never evicted as quiet (F3): requests
   * to that client are routed back over it. Bounded by maxPerSource like any connection.
   */
  pin(slot: TcpSlot, forMs: number): void {
    slot.pinnedUntil = forMs > 0 ? this.now() + forMs : undefined;
  }

  /** A transaction runs over the connection: it is not evicted until unhold(). */
  hold(slot: TcpSlot): void {
    slot.busy++;
  }

  /** The transaction ended (its final response went or came): that was a message too. */
  unhold(slot: TcpSlot): void {
    if (slot.busy > 0) slot.busy--;
    slot.lastMessageAt = this.now();
  }

  /**
   * Accepted connections pass the gate before any 'connection' listener runs (the library's
   * and the keep-alive watch's): a refused one is destroyed unseen, so it holds no parser,
   * no flow entry and no timer. With tls, an admitted connection is still in its handshake
   * until handshakeDone() (at most maxHandshakesPerSource per address; evictable meanwhile).
   */
  guard(server: net.Server, tls = false): void {
    const emit = server.emit.bind(server);
    server.emit = ((event: string | symbol, ...args: unknown[]) => {
      if (event === 'connection') {
        const socket = args[0] as net.Socket;
        if (!this.admit(socket, 'in', tls)) {
          socket.destroy();
          return true;
        }
      }
      return emit(event, ...args);
    }) as typeof server.emit;
  }

  /**
   * The library's TCP dialer: a connection counts from the moment it is dialed. At the cap
   * (nothing to evict) the returned socket fails on the next tick (after the library has
   * attached its handlers), so the request to that target ends in a 503 instead of a hidden,
   * unbounded connection.
   */
  dial(port: number, host: string, onConnect?: () => void, connect?: () => net.Socket): net.Socket {
    if (this.liveCount >= this.limit && !this.evictQuiet()) {
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

  /**
   * Attack finding: idle sockets (no SIP message at all, or CRLF pings only) held every slot
   * and locked SIP over TCP out. At the cap, the oldest inbound connection that never carried
   * a message goes first, else the oldest one quiet for quietMs; never one with a transaction
   * under way, never one we dialed. Attack finding (F2): silent TLS handshakes, never evicted,
   * filled the cap and locked SIP TCP and TLS out; a TLS one still in its handshake now goes
   * next (oldest first), before the quiet ones. Attack finding (F3): a connection over
   * which a live registration was made (pin()) is never taken as quiet.
   */
  private evictQuiet(newcomer?: string): boolean {
    const victim = this.quietest(newcomer);
    if (victim === undefined) return false;
    this.evictedCount++;
    if (this.evictBurst++ === 0) {
      this.log.warn({ limit: this.limit }, 'SIP TCP connection limit reached; quiet inbound connections are closed to make room');
    }
    this.log.debug({ remote: victim.key, carriedMessages: victim.lastMessageAt !== undefined }, 'quiet SIP TCP connection closed to make room');
    // its slot goes to the newcomer at once (the socket's 'close' comes later and finds it released)
    this.release(victim, true);
    victim.socket.destroy();
    return true;
  }

  private quietest(newcomer: string | undefined): Admitted | undefined {
    const now = this.now();
    const quietBefore = now - this.quietMs;
    let quiet: Admitted | undefined;
    let handshake: Admitted | undefined;
    // Map iteration follows insertion order: the first match is the oldest connection
    for (const slot of this.inbound.values()) {
      if (slot.busy > 0 || slot.released) continue;
      if (slot.pinnedUntil !== undefined && slot.pinnedUntil > now) continue;
      if (slot.handshaking) handshake ??= slot;
      else if (slot.lastMessageAt === undefined) return slot;
      else if (quiet === undefined && slot.lastMessageAt <= quietBefore) quiet = slot;
    }
    // a handshake has its own time bound, so a connection that is done and silent goes first
    return handshake ?? quiet ?? (newcomer === undefined ? undefined : this.crowdedOldest(now, newcomer));
  }

  /**
   * Second limits attack (F4): 4 addresses kept every slot with one OPTIONS per connection a
   * minute (never quiet), and a phone that reconnected after a NAT rebinding could not reach
   * the server to register again. Last resort at the cap, for an inbound newcomer: the oldest
   * connection, neither pinned by a registration nor carrying a transaction, of the address
   * that holds the most slots, when that is at least two more than the newcomer's address
   * holds. A flooder's new connection takes nobody's; a phone from another address takes one
   * of the flooder's; at the cap among equals a newcomer is still refused at once.
   */
  private crowdedOldest(now: number, newcomer: string): Admitted | undefined {
    const held = new Map<string, { count: number; oldest: Admitted }>();
    let top: { count: number; oldest: Admitted } | undefined;
    for (const slot of this.inbound.values()) {
      if (slot.busy > 0 || slot.released || slot.key === undefined) continue;
      if (slot.pinnedUntil !== undefined && slot.pinnedUntil > now) continue;
      const address = slot.key.slice(0, slot.key.lastIndexOf('|'));
      const entry = held.get(address) ?? { count: 0, oldest: slot };
      entry.count++;
      held.set(address, entry);
      if (top === undefined || entry.count > top.count) top = entry;
    }
    const own = held.get(newcomer)?.count ?? 0;
    return top !== undefined && top.count >= own + 2 ? top.oldest : undefined;
  }

  private refuse(direction: TcpDirection): void {
    this.refusedBy[direction]++;
    if (this.burst++ === 0) {
      this.log.warn({ limit: this.limit, direction }, 'SIP TCP connection limit reached; further connections are closed at once');
    }
  }

  /** Gives the slot back once, whether the socket closed or was evicted (the cap is not left then). */
  private release(slot: Admitted, evicted = false): void {
    if (slot.released) return;
    slot.released = true;
    if (slot.key !== undefined && this.inbound.get(slot.key) === slot) this.inbound.delete(slot.key);
    this.liveCount--;
    if (!evicted && this.liveCount < this.limit) {
      if (this.burst > 0) {
        this.log.info({ limit: this.limit, refused: this.burst }, 'SIP TCP connections below the limit again');
        this.burst = 0;
      }
      this.evictBurst = 0;
    }
  }
}

function flowKey(address: string | undefined, port: number | undefined): string | undefined {
  return address === undefined || port === undefined ? undefined : `${address}|${port}`;
}
