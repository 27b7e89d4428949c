import { BoundedQueue } from '../../util/bounded-queue';
import { ByteRing } from '../../util/ring';

/** What the outbound writes into: a net.Socket in production, anything alike in tests. */
export interface OutboundSink {
  write(chunk: Buffer, cb: (err?: Error | null) => void): boolean;
  cork(): void;
  uncork(): void;
}

export interface OutboundEvents {
  /** The leg crossed the high watermark (true) or came back under the low one (false). */
  onCongestion(congested: boolean): void;
  /** Locally generated frames pile up (true) or drained (false): pause whoever causes them. */
  onControlPressure(high: boolean): void;
  /**
   * The open frame of `writer` has kept other frames (or responses/REPORTs) waiting for frameHoldMs while the leg was
   * not congested: ask it to end the frame (OutboundProducer.onHoldingOthers), inside the
   * owner's error boundary (this runs from a timer).
   */
  onHoldExpired?(writer: OutboundProducer): void;
  /** Bytes the socket took (a write completed). */
  onWritten?(bytes: number): void;
}

/**
 * Who streams frames into a leg (a relay side, an endpoint). Several sessions may share one
 * connection (RFC 4975 5.4), so several producers may want the same leg at once: the leg lets
 * one frame through at a time and holds the others back whole, in arrival order.
 */
export interface OutboundProducer {
  /**
   * The leg holds frames of this producer back (true: stop feeding it, e.g. pause the socket
   * they come from) or has let the last of them through (false). Called from inside
   * beginFrame/endFrame; must not write to the leg.
   */
  onHeld(held: boolean): void;
  /**
   * This producer's open frame has kept frames of others waiting on the leg, while the leg
   * itself was free to write, for frameHoldMs giving it less than one ring of bytes meanwhile,
   * or for half the transaction timeout whatever it gave (RFC 4975 5.4 lets one connection
   * carry one frame at a time): end it now, with '#', and tell its sender (413). A producer
   * that does not keeps the leg; it is asked again every frameHoldMs.
   */
  onHoldingOthers?(): void;
}

/** The producer of callers that never share a leg (tests, single-session tools). */
const SOLE: OutboundProducer = { onHeld: () => undefined };

/** A frame (its pieces so far) held back while another producer's frame is open. */
interface HeldFrame {
  readonly producer: OutboundProducer;
  /** Views of the producer's buffers, never copies (like `pending`). */
  readonly pieces: Buffer[];
  bytes: number;
  ended: boolean;
}

/** Per producer with held frames: its frame still open (more pieces come) and how many it has held. */
interface HeldBy {
  open: HeldFrame | undefined;
  count: number;
}

export interface OutboundLimits {
  readonly ringBytes: number;
  /** See MsrpNetOptions.frameHoldMs; absent: frames are never cut. */
  readonly frameHoldMs?: number;
  /**
   * The held frames' senders time out after this (MsrpNetOptions.transactionTimeoutMs): an open
   * frame that keeps them waiting half of it is cut whatever it brings (see holdCheck).
   */
  readonly transactionTimeoutMs?: number;
  readonly highWatermarkRatio: number;
  readonly lowWatermarkRatio: number;
  readonly maxControlFrames: number;
}

/**
 * First backing store of a leg's ring: enough for the odd response or REPORT of an idle
 * connection; the ring takes its full ringBytes the first time it must hold more.
 */
const IDLE_RING_BYTES = 256;

/** A piece that did not fit in the ring yet: a view of the producer's buffer, never a copy. */
interface Piece {
  readonly buf: Buffer;
  off: number;
  readonly endsFrame: boolean;
}

/**
 * The write side of one connection (one outbound leg). Every byte sent on the socket goes
 * through this object's ring, so frames never interleave:
 * - one producer streams a frame at a time (the writer); a frame another producer begins
 *   meanwhile is held back whole, as views, in arrival order, and the producer is told to stop
 *   feeding (OutboundProducer.onHeld) until the writer's end-line let it through. An open
 *   frame is never cut: its Byte-Range may name its end, so it could not be continued;
 * - streamed frames (beginFrame/body/endFrame) are copied into the ring as they come; what does
 *   not fit waits as views in `pending`, and the leg reports congestion so the producer's socket
 *   gets paused (at most one socket read is held that way);
 * - locally generated whole frames (control: responses, REPORTs) wait in a bounded queue and
 *   enter the ring only at a frame boundary.
 * The socket is written with views of the ring (no copy) and the ring space is released only in
 * the write callback, so user-space memory for the leg stays at ringBytes.
 */
export class Outbound {
  readonly ring: ByteRing;
  private readonly high: number;
  private readonly low: number;
  private readonly controls: BoundedQueue<Buffer>;
  private readonly controlHighMark: number;
  private readonly controlLowMark: number;
  private pending: Piece[] = [];
  /** True when the bytes copied into the ring so far end on a frame boundary. */
  private atBoundary = true;
  private inflight = 0;
  private readonly writeSizes: number[] = [];
  private writeHead = 0;
  private flushScheduled = false;
  private destroyed = false;
  private congestedNow = false;
  private controlHigh = false;
  private drainWaiters: (() => void)[] = [];
  private emptyWaiter: (() => void) | undefined;
  /** The producer whose frame is open in ring/pending; undefined between frames. */
  private writer: OutboundProducer | undefined;
  /** Frames held back while the writer's frame is open, in arrival order (FIFO). */
  private held: HeldFrame[] = [];
  private heldBy: Map<OutboundProducer, HeldBy> | undefined;
  private heldBytes = 0;
  private turnWaiters: (() => void)[] = [];
  private readonly holdMs: number | undefined;
  /** Armed while frames wait behind an open one; holdFrame is the frame it was armed for. */
  private holdTimer: NodeJS.Timeout | undefined;
  /** Body bytes the writer gave this leg since the hold clock started. */
  private holdProgress = 0;
  /** Frames that became the writer so far: the open frame's number, to tell it from a new one. */
  private frameSeq = 0;
  private holdFrame = -1;
  /** Hold periods the writer's frame has kept others waiting without a break. */
  private holdPeriods = 0;
  /** Periods after which a frame that keeps others waiting is cut whatever it brings (undefined: never). */
  private readonly maxHoldPeriods: number | undefined;
  /** A writer that gives less than this per frameHoldMs while others wait is asked to end: one ring. */
  private readonly minHoldProgress: number;
  /** Times an open frame was asked to end because it held others back too long. */
  holdsExpired = 0;
  /** Crossing counts of this leg (also summed by the owner into its counters). */
  pauses = 0;
  resumes = 0;
  bytesOut = 0;
  controlDropped = 0;

  constructor(
    private readonly sink: OutboundSink,
    limits: OutboundLimits,
    private readonly events: OutboundEvents,
  ) {
    this.ring = new ByteRing(limits.ringBytes, { initialBytes: IDLE_RING_BYTES });
    this.high = Math.floor(limits.ringBytes * limits.highWatermarkRatio);
    this.low = Math.floor(limits.ringBytes * limits.lowWatermarkRatio);
    this.controls = new BoundedQueue<Buffer>(limits.maxControlFrames);
    this.controlHighMark = Math.max(1, Math.floor(limits.maxControlFrames / 2));
    this.controlLowMark = Math.floor(limits.maxControlFrames / 4);
    this.holdMs = limits.frameHoldMs;
    this.minHoldProgress = limits.ringBytes;
    const tt = limits.transactionTimeoutMs;
    this.maxHoldPeriods =
      this.holdMs === undefined || tt === undefined ? undefined : Math.max(1, Math.ceil(Math.floor(tt / 2) / this.holdMs));
  }

  get congested(): boolean {
    return this.congestedNow;
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /** Locally generated frames waiting for a frame boundary (an endpoint interrupts its SEND for them). */
  get controlWaiting(): number {
    return this.controls.length;
  }

  /** Bytes not yet handed to the kernel: ring + pending + held frames. */
  get queuedBytes(): number {
    let n = this.ring.length + this.heldBytes;
    for (const p of this.pending) n += p.buf.length - p.off;
    return n;
  }

  /** Frames held back behind another producer's open frame. */
  get heldFrames(): number {
    return this.held.length;
  }

  /** True when this producer's next frame would go straight into the ring (nobody else's frame is open or waiting). */
  isTurnOf(producer: OutboundProducer): boolean {
    return this.writer === producer || (this.writer === undefined && this.held.length === 0);
  }

  /** Resolves once isTurnOf(producer) (at once when it is), or the leg is destroyed: async producers wait here. */
  whenTurn(producer: OutboundProducer): Promise<void> {
    if (this.destroyed || this.isTurnOf(producer)) return Promise.resolve();
    this.watchHold();
    return new Promise((resolve) => this.turnWaiters.push(resolve));
  }

  /** Free ring bytes a producer may fill without creating pending pieces. */
  get writableBytes(): number {
    return this.pending.length > 0 ? 0 : this.ring.free;
  }

  /**
   * The head of a streamed frame, whole or in pieces (a relay's spliced head: no concat).
   * When another producer's frame is open, the frame is held back (see OutboundProducer).
   */
  beginFrame(head: Buffer | readonly Buffer[], producer: OutboundProducer = SOLE): void {
    if (this.destroyed) return;
    if (this.writer !== producer && (this.writer !== undefined || this.held.length > 0)) {
      this.hold(producer, head);
      return;
    }
    this.frameSeq++;
    this.writer = producer;
    if (Buffer.isBuffer(head)) {
      this.put(head, false);
      return;
    }
    for (const piece of head) if (piece.length > 0) this.append(piece, false);
    this.levels();
    this.scheduleFlush();
  }

  body(chunk: Buffer, producer: OutboundProducer = SOLE): void {
    if (chunk.length === 0) return;
    if (producer === this.writer) this.holdProgress += chunk.length;
    else {
      const h = this.heldBy?.get(producer)?.open;
      if (h !== undefined) {
        h.pieces.push(chunk);
        h.bytes += chunk.length;
        this.heldBytes += chunk.length;
        return;
      }
    }
    this.put(chunk, false);
  }

  endFrame(endLine: Buffer, producer: OutboundProducer = SOLE): void {
    if (producer !== this.writer) {
      const by = this.heldBy?.get(producer);
      const h = by?.open;
      if (by !== undefined && h !== undefined) {
        h.pieces.push(endLine);
        h.bytes += endLine.length;
        this.heldBytes += endLine.length;
        h.ended = true;
        by.open = undefined;
        return;
      }
    }
    this.writer = undefined;
    this.put(endLine, true);
    if (this.held.length > 0 || this.turnWaiters.length > 0) this.release();
  }

  /**
   * Queues a whole locally generated frame; it goes out at the next frame boundary.
   * Returns false (and counts a drop) when the control queue is full or the leg is gone.
   */
  control(frame: Buffer): boolean {
    if (this.destroyed) return false;
    if (frame.length > this.ring.capacity) {
      this.controlDropped++;
      return false;
    }
    if (this.atBoundary && this.pending.length === 0 && this.controls.length === 0 && this.ring.free >= frame.length) {
      this.ring.write(frame);
    } else if (!this.controls.push(frame)) {
      this.controlDropped++;
      return false;
    } else {
      // a response or REPORT waits for the open frame's end-line: it too is held back by it
      this.watchHold();
    }
    this.levels();
    this.scheduleFlush();
    return true;
  }

  /** Resolves once the leg is under its low watermark (at once when it is), or destroyed. */
  whenWritable(): Promise<void> {
    if (!this.congestedNow || this.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Calls cb once everything queued has been written (or the leg is destroyed). */
  whenEmpty(cb: () => void): void {
    if (this.destroyed || this.isEmpty()) cb();
    else this.emptyWaiter = cb;
  }

  /** Drops everything; releases whoever waits and lifts congestion. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.ring.clear();
    this.pending = [];
    this.controls.clear();
    this.writer = undefined;
    const heldBy = this.heldBy;
    this.held = [];
    this.heldBy = undefined;
    this.heldBytes = 0;
    if (heldBy !== undefined) for (const p of heldBy.keys()) p.onHeld(false);
    this.releaseTurnWaiters();
    if (this.congestedNow) {
      this.congestedNow = false;
      this.resumes++;
      this.events.onCongestion(false);
    }
    if (this.controlHigh) {
      this.controlHigh = false;
      this.events.onControlPressure(false);
    }
    this.releaseWaiters();
    const w = this.emptyWaiter;
    this.emptyWaiter = undefined;
    if (w !== undefined) w();
  }

  private isEmpty(): boolean {
    return this.ring.length === 0 && this.pending.length === 0 && this.controls.length === 0 && this.held.length === 0;
  }

  /** Holds a frame back behind the open one; the producer hears of it with its first held frame. */
  private hold(producer: OutboundProducer, head: Buffer | readonly Buffer[]): void {
    const pieces = Buffer.isBuffer(head) ? [head] : [...head];
    let bytes = 0;
    for (const p of pieces) bytes += p.length;
    const frame: HeldFrame = { producer, pieces, bytes, ended: false };
    this.held.push(frame);
    this.watchHold();
    this.heldBytes += bytes;
    const heldBy = (this.heldBy ??= new Map());
    const by = heldBy.get(producer);
    if (by !== undefined) {
      by.open = frame;
      by.count++;
      return;
    }
    heldBy.set(producer, { open: frame, count: 1 });
    producer.onHeld(true);
  }

  /**
   * The writer's frame ended: held frames go into the ring/pending in arrival order, whole
   * ones one after another, until one that is still open makes its producer the writer.
   */
  private release(): void {
    while (this.writer === undefined && this.held.length > 0 && !this.destroyed) {
      const f = this.held.shift() as HeldFrame;
      this.heldBytes -= f.bytes;
      const last = f.pieces.length - 1;
      for (let i = 0; i <= last; i++) this.append(f.pieces[i], f.ended && i === last);
      const heldBy = this.heldBy as Map<OutboundProducer, HeldBy>;
      const by = heldBy.get(f.producer) as HeldBy;
      if (!f.ended) {
        // its next pieces go straight to the ring
        this.writer = f.producer;
        this.frameSeq++;
        by.open = undefined;
      }
      if (--by.count === 0) {
        heldBy.delete(f.producer);
        f.producer.onHeld(false);
      }
    }
    if (this.writer === undefined && this.held.length === 0) this.releaseTurnWaiters();
    this.levels();
    this.scheduleFlush();
  }

  /**
   * Starts the hold clock for the open frame, unless it runs already (one timer per leg, not
   * per frame). `goesOn`: the clock ran out and others still wait, so the same frame's periods
   * add up; otherwise (first waiter, or a new frame) they count from zero.
   */
  private watchHold(goesOn = false): void {
    if (this.holdMs === undefined || this.holdTimer !== undefined || this.writer === undefined) return;
    if (!goesOn || this.holdFrame !== this.frameSeq) {
      this.holdFrame = this.frameSeq;
      this.holdPeriods = 0;
    }
    this.holdProgress = 0;
    this.holdTimer = setTimeout(checkHold, this.holdMs, this);
    this.holdTimer.unref();
  }

  /** The hold clock ran out (called by checkHold). */
  holdCheck(): void {
    this.holdTimer = undefined;
    const w = this.writer;
    if (this.destroyed || w === undefined || !this.othersWait()) return;
    // a new frame gets its own full period; a congested leg waits for its reader, not the
    // writer (such a period does not count); a writer that streamed a ring's worth meanwhile is slow, not stalling (a sender
    // paced by another slow leg, or on a slow link: attack findings F1, F3), until the frames
    // it holds have waited half their senders' transaction timeout: past that they would fail
    // (408), so no rate buys more (third attack F1: an endless chunk a little over a ring per
    // period held a shared leg for good)
    if (this.holdFrame === this.frameSeq && !this.congestedNow) {
      this.holdPeriods++;
      const tooLong = this.maxHoldPeriods !== undefined && this.holdPeriods >= this.maxHoldPeriods;
      if (this.holdProgress < this.minHoldProgress || tooLong) {
        this.holdsExpired++;
        this.events.onHoldExpired?.(w);
      }
    }
    if (!this.destroyed && this.writer !== undefined && this.othersWait()) this.watchHold(true);
  }

  /**
   * Something waits for the open frame's end-line: another producer's frame, or a response or
   * REPORT (their own transactions time out at the peer just the same: outside attack t12, a
   * sender stalled mid-frame kept the other peer's hop-by-hop 200s from it for good).
   */
  private othersWait(): boolean {
    return this.held.length > 0 || this.turnWaiters.length > 0 || this.controls.length > 0;
  }

  private releaseTurnWaiters(): void {
    if (this.turnWaiters.length === 0) return;
    const ws = this.turnWaiters;
    this.turnWaiters = [];
    for (const w of ws) w();
  }

  private put(buf: Buffer, endsFrame: boolean): void {
    if (this.destroyed) return;
    this.append(buf, endsFrame);
    this.levels();
    this.scheduleFlush();
  }

  /** Copies into the ring what fits; the rest waits as a view in `pending`. */
  private append(buf: Buffer, endsFrame: boolean): void {
    if (this.destroyed) return;
    if (this.pending.length === 0) {
      const n = this.ring.write(buf);
      if (n === buf.length) {
        this.atBoundary = endsFrame;
        if (endsFrame && this.controls.length > 0) this.pump();
      } else {
        if (n > 0) this.atBoundary = false;
        this.pending.push({ buf, off: n, endsFrame });
      }
    } else {
      this.pending.push({ buf, off: 0, endsFrame });
    }
  }

  /** Moves waiting pieces and control frames into the ring, in order, as space allows. */
  private pump(): void {
    for (;;) {
      if (this.atBoundary && this.controls.length > 0) {
        const c = this.controls.peek() as Buffer;
        if (this.ring.free < c.length) return;
        this.ring.write(c);
        this.controls.shift();
        continue;
      }
      if (this.pending.length === 0) return;
      const p = this.pending[0];
      const n = this.ring.write(p.buf, p.off);
      p.off += n;
      if (p.off < p.buf.length) {
        if (n > 0) this.atBoundary = false;
        return;
      }
      this.pending.shift();
      this.atBoundary = p.endsFrame;
    }
  }

  /** Watermark crossings, each counted once (STYLE habit 3). */
  private levels(): void {
    const len = this.ring.length;
    if (!this.congestedNow) {
      if (len >= this.high || this.pending.length > 0) {
        this.congestedNow = true;
        this.pauses++;
        this.events.onCongestion(true);
      }
    } else if (len <= this.low && this.pending.length === 0) {
      this.congestedNow = false;
      this.resumes++;
      this.events.onCongestion(false);
      this.releaseWaiters();
    }
    const queued = this.controls.length;
    if (!this.controlHigh && queued >= this.controlHighMark) {
      this.controlHigh = true;
      this.events.onControlPressure(true);
    } else if (this.controlHigh && queued <= this.controlLowMark) {
      this.controlHigh = false;
      this.events.onControlPressure(false);
    }
  }

  private releaseWaiters(): void {
    if (this.drainWaiters.length === 0) return;
    const ws = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of ws) w();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.destroyed) return;
    this.flushScheduled = true;
    // one flush per turn of the event loop: every frame queued while handling one socket read
    // leaves in one or two writes
    queueMicrotask(this.flush);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.destroyed) return;
    const unsent = this.ring.length - this.inflight;
    if (unsent <= 0) return;
    const first = this.ring.segment(this.inflight) as Buffer;
    const second = first.length < unsent ? this.ring.segment(this.inflight + first.length) : undefined;
    if (second !== undefined) this.sink.cork();
    this.send(first);
    if (second !== undefined) {
      this.send(second);
      this.sink.uncork();
    }
  };

  private send(view: Buffer): void {
    this.inflight += view.length;
    this.writeSizes.push(view.length);
    this.sink.write(view, this.onWritten);
  }

  private readonly onWritten = (err?: Error | null): void => {
    if (this.destroyed || err) return;
    const n = this.writeSizes[this.writeHead++];
    if (this.writeHead === this.writeSizes.length) {
      this.writeSizes.length = 0;
      this.writeHead = 0;
    }
    this.inflight -= n;
    this.ring.consume(n);
    this.bytesOut += n;
    this.events.onWritten?.(n);
    this.pump();
    this.levels();
    if (this.ring.length > this.inflight) this.scheduleFlush();
    else if (this.emptyWaiter !== undefined && this.isEmpty()) {
      const w = this.emptyWaiter;
      this.emptyWaiter = undefined;
      w();
    }
  };
}

/** Timer callback with the leg as its argument: no closure per leg. */
function checkHold(out: Outbound): void {
  out.holdCheck();
}
