/**
 * FIFO over a circular array: push refuses (returns false) when `capacity` items are held.
 * The array starts small and doubles up to capacity as items pile up, so an idle owner (one
 * per connection, most of them idle) pays for a few slots, not for the whole limit.
 */
const MIN_SLOTS = 4;

export class BoundedQueue<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(MIN_SLOTS);
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`queue capacity must be a positive integer: ${capacity}`);
  }

  get length(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  push(item: T): boolean {
    if (this.count === this.capacity) return false;
    if (this.count === this.items.length) this.grow();
    let at = this.head + this.count;
    if (at >= this.items.length) at -= this.items.length;
    this.items[at] = item;
    this.count++;
    return true;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = this.head + 1 === this.items.length ? 0 : this.head + 1;
    this.count--;
    return item;
  }

  clear(): void {
    this.items = new Array<T | undefined>(MIN_SLOTS);
    this.head = 0;
    this.count = 0;
  }

  /** Doubles the slots (never past capacity), unrolling the circle so that head is 0 again. */
  private grow(): void {
    const size = Math.min(this.capacity, this.items.length * 2);
    const next = new Array<T | undefined>(size);
    for (let k = 0; k < this.count; k++) {
      let at = this.head + k;
      if (at >= this.items.length) at -= this.items.length;
      next[k] = this.items[at];
    }
    this.items = next;
    this.head = 0;
  }
}
