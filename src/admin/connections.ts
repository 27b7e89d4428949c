// Admin HTTP connection slots. A fixed cap alone lets 64 slow clients (a request head trickled
// a byte at a time) lock out health probes until the head timeout fires; here a new connection
// at the cap takes the slot of the oldest one that is not serving an authenticated request, so
// a probe always gets in while slow or idle clients are the ones dropped (issue 16 item 6).
// An unauthenticated request (no valid bearer or cookie, or a /login) whose body trickles in is
// as evictable as a slow head (attack finding F1), and one source address holds at most
// perSource slots: beyond them a new connection takes the place of that address's own oldest
// idle one, or is closed at once and counted when all of them are serving.
import type { Socket } from 'node:net';

interface Slot {
  /** Authenticated requests being served on this connection (pipelining can make it more than one). */
  busy: number;
  readonly source: string;
}

export interface AdminConnectionStats {
  live: number;
  evicted: number;
  refused: number;
  /** closed at once: their source address already held perSource connections */
  perSourceRefused: number;
}

/** http.maxConnectionsPerAddress 0: a quarter of the cap, at least 8. */
export function defaultPerSource(max: number): number {
  return Math.max(8, Math.floor(max / 4));
}

export class AdminConnections {
  private readonly slots = new Map<Socket, Slot>();
  /** Slots per source address: bounded by the cap (an entry exists only while a slot does). */
  private readonly bySource = new Map<string, number>();
  readonly stats: AdminConnectionStats = { live: 0, evicted: 0, refused: 0, perSourceRefused: 0 };

  constructor(
    private readonly max: number,
    private readonly perSource: number = defaultPerSource(max),
  ) {}

  /** A new connection: admitted, possibly in place of the oldest evictable one; false when refused. */
  admit(socket: Socket): boolean {
    const source = socket.remoteAddress ?? '';
    // at its share an address first gives up its own oldest idle connection (a browser keeps
    // idle keep-alive connections open); refused only when all of its slots are serving
    if ((this.bySource.get(source) ?? 0) >= this.perSource && !this.evictOldestIdle(source)) {
      this.stats.perSourceRefused++;
      socket.destroy();
      return false;
    }
    if (this.slots.size >= this.max && !this.evictOldestIdle()) {
      this.stats.refused++;
      socket.destroy();
      return false;
    }
    this.slots.set(socket, { busy: 0, source });
    this.bySource.set(source, (this.bySource.get(source) ?? 0) + 1);
    this.stats.live = this.slots.size;
    socket.once('close', () => this.forget(socket));
    return true;
  }

  /** An authenticated request is being served on this connection until done() is called. */
  begin(socket: Socket): void {
    const s = this.slots.get(socket);
    if (s !== undefined) s.busy++;
  }

  done(socket: Socket): void {
    const s = this.slots.get(socket);
    if (s !== undefined && s.busy > 0) s.busy--;
  }

  /** Sockets still admitted (for close()). */
  sockets(): Socket[] {
    return [...this.slots.keys()];
  }

  private forget(socket: Socket): void {
    const s = this.slots.get(socket);
    if (s === undefined) return;
    this.slots.delete(socket);
    const n = (this.bySource.get(s.source) ?? 1) - 1;
    if (n <= 0) this.bySource.delete(s.source);
    else this.bySource.set(s.source, n);
    this.stats.live = this.slots.size;
  }

  /** The oldest connection not serving an authenticated request (of `source` when given) is closed. */
  private evictOldestIdle(source?: string): boolean {
    // Map iteration follows insertion order: the first idle slot is the oldest one
    for (const [socket, slot] of this.slots) {
      if (slot.busy > 0 || (source !== undefined && slot.source !== source)) continue;
      this.forget(socket);
      this.stats.evicted++;
      socket.destroy();
      return true;
    }
    return false;
  }
}
