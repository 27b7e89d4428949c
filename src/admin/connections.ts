// Admin HTTP connection slots. A fixed cap alone lets 64 slow clients (a request head trickled
// a byte at a time) lock out health probes until the head timeout fires; here a new connection
// at the cap takes the slot of the oldest one that is not serving a request, so a probe always
// gets in while slow or idle clients are the ones dropped (issue 16 item 6).
import type { Socket } from 'node:net';

interface Slot {
  /** Requests being served on this connection (HTTP/1.1 pipelining can make it more than one). */
  busy: number;
}

export interface AdminConnectionStats {
  live: number;
  evicted: number;
  refused: number;
}

export class AdminConnections {
  private readonly slots = new Map<Socket, Slot>();
  readonly stats: AdminConnectionStats = { live: 0, evicted: 0, refused: 0 };

  constructor(private readonly max: number) {}

  /** A new connection: admitted, possibly in place of the oldest idle one; false when every slot is serving. */
  admit(socket: Socket): boolean {
    if (this.slots.size >= this.max && !this.evictOldestIdle()) {
      this.stats.refused++;
      socket.destroy();
      return false;
    }
    this.slots.set(socket, { busy: 0 });
    this.stats.live = this.slots.size;
    socket.once('close', () => {
      this.slots.delete(socket);
      this.stats.live = this.slots.size;
    });
    return true;
  }

  /** A whole request head arrived on this connection: it is serving until done() is called. */
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

  private evictOldestIdle(): boolean {
    // Map iteration follows insertion order: the first idle slot is the oldest one
    for (const [socket, slot] of this.slots) {
      if (slot.busy > 0) continue;
      this.slots.delete(socket);
      this.stats.evicted++;
      socket.destroy();
      return true;
    }
    return false;
  }
}
