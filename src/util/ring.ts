export interface ByteRingOptions {
  /**
   * Bytes of the first backing store (default: capacity). The ring moves to a full-size store
   * the first time it must hold more; an owner that mostly sits idle (a connection that only
   * ever answered one request) then costs a slice of the shared pool instead of a whole ring.
   */
  readonly initialBytes?: number;
}

/**
 * Fixed-capacity byte ring. Bytes are copied in at the tail and read out as views of the
 * ring's own memory, so a caller may hand a view to socket.write() and consume it only when
 * the write completed: the ring is then the only buffer between producer and kernel.
 */
export class ByteRing {
  private buf: Buffer;
  private head = 0;
  private len = 0;
  private peak = 0;

  constructor(readonly capacity: number, opts: ByteRingOptions = {}) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`ring capacity must be a positive integer: ${capacity}`);
    const initial = Math.min(capacity, opts.initialBytes ?? capacity);
    // a small first store may come from the shared pool; the full one is ours alone
    this.buf = initial < capacity ? Buffer.allocUnsafe(initial) : Buffer.allocUnsafeSlow(capacity);
  }

  /** Bytes held. */
  get length(): number {
    return this.len;
  }

  get free(): number {
    return this.capacity - this.len;
  }

  /** Highest length ever held (metrics: must stay <= capacity). */
  get highWater(): number {
    return this.peak;
  }

  /** Copies src[start..end) in, as much as fits; returns how many bytes were copied. */
  write(src: Buffer, start = 0, end = src.length): number {
    const n = Math.min(end - start, this.capacity - this.len);
    if (n <= 0) return 0;
    if (this.len + n > this.buf.length) this.growToCapacity();
    const size = this.buf.length;
    let tail = this.head + this.len;
    if (tail >= size) tail -= size;
    const first = Math.min(n, size - tail);
    src.copy(this.buf, tail, start, start + first);
    if (first < n) src.copy(this.buf, 0, start + first, start + n);
    this.len += n;
    if (this.len > this.peak) this.peak = this.len;
    return n;
  }

  /**
   * The contiguous run of held bytes that starts `offset` bytes after the oldest one, as a
   * view (no copy); undefined when offset >= length. At most two calls cover everything.
   */
  segment(offset = 0): Buffer | undefined {
    if (offset >= this.len) return undefined;
    const size = this.buf.length;
    let at = this.head + offset;
    if (at >= size) at -= size;
    const n = Math.min(this.len - offset, size - at);
    return this.buf.subarray(at, at + n);
  }

  /** Drops the n oldest bytes. */
  consume(n: number): void {
    if (n < 0 || n > this.len) throw new RangeError(`cannot consume ${n} of ${this.len} bytes`);
    this.head += n;
    if (this.head >= this.buf.length) this.head -= this.buf.length;
    this.len -= n;
    if (this.len === 0) this.head = 0;
  }

  clear(): void {
    this.head = 0;
    this.len = 0;
  }

  /**
   * Moves the held bytes to a full-size store, oldest first. Views already handed out keep the
   * old store alive until their writes complete; offsets stay valid since they count from head.
   */
  private growToCapacity(): void {
    const next = Buffer.allocUnsafeSlow(this.capacity);
    const first = this.segment(0);
    if (first !== undefined) {
      first.copy(next, 0);
      this.segment(first.length)?.copy(next, first.length);
    }
    this.buf = next;
    this.head = 0;
  }
}
