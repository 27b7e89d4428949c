/**
 * Fixed-capacity byte ring. Bytes are copied in at the tail and read out as views of the
 * ring's own memory, so a caller may hand a view to socket.write() and consume it only when
 * the write completed: the ring is then the only buffer between producer and kernel.
 */
export class ByteRing {
  private readonly buf: Buffer;
  private head = 0;
  private len = 0;
  private peak = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`ring capacity must be a positive integer: ${capacity}`);
    // not from the shared pool: this memory belongs to the ring alone
    this.buf = Buffer.allocUnsafeSlow(capacity);
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
    let tail = this.head + this.len;
    if (tail >= this.capacity) tail -= this.capacity;
    const first = Math.min(n, this.capacity - tail);
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
    let at = this.head + offset;
    if (at >= this.capacity) at -= this.capacity;
    const n = Math.min(this.len - offset, this.capacity - at);
    return this.buf.subarray(at, at + n);
  }

  /** Drops the n oldest bytes. */
  consume(n: number): void {
    if (n < 0 || n > this.len) throw new RangeError(`cannot consume ${n} of ${this.len} bytes`);
    this.head += n;
    if (this.head >= this.capacity) this.head -= this.capacity;
    this.len -= n;
    if (this.len === 0) this.head = 0;
  }

  clear(): void {
    this.head = 0;
    this.len = 0;
  }
}
