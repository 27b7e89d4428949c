/**
 * "Wait for the matching answer or time out": callers register a key (e.g. a transaction id)
 * and get exactly one callback: the answer, a timeout, or a cancellation.
 *
 * Bounded: at most `capacity` waits at once (wait() refuses beyond). Every wait of one Waiter
 * has the same timeout, so insertion order is deadline order and a single timer (armed for the
 * oldest entry) serves them all, instead of one timer per wait.
 */
export type WaitOutcome = 'answer' | 'timeout' | 'cancelled';

export type WaitCallback<V> = (outcome: WaitOutcome, value: V | undefined) => void;

export interface WaiterOptions {
  readonly capacity: number;
  readonly timeoutMs: number;
  /** Monotonic milliseconds; injectable for tests. */
  readonly now?: () => number;
}

export class WaitTimeoutError extends Error {
  constructor(readonly key: unknown, readonly outcome: Exclude<WaitOutcome, 'answer'>) {
    super(`no answer for ${String(key)} (${outcome})`);
    this.name = 'WaitTimeoutError';
  }
}

interface Entry<V> {
  readonly deadline: number;
  readonly cb: WaitCallback<V>;
}

export class Waiter<K, V> {
  /** Made at the first wait: one Waiter per connection, and most connections never wait. */
  private entries: Map<K, Entry<V>> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: WaiterOptions) {
    if (!(opts.capacity > 0) || !(opts.timeoutMs > 0)) throw new RangeError('waiter capacity and timeoutMs must be positive');
  }

  private now(): number {
    return this.opts.now === undefined ? performance.now() : this.opts.now();
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  get capacity(): number {
    return this.opts.capacity;
  }

  has(key: K): boolean {
    return this.entries?.has(key) ?? false;
  }

  /** Registers a wait; false (and no callback ever) when full or the key is already waited for. */
  wait(key: K, cb: WaitCallback<V>): boolean {
    const entries = (this.entries ??= new Map());
    if (entries.size >= this.opts.capacity || entries.has(key)) return false;
    entries.set(key, { deadline: this.now() + this.opts.timeoutMs, cb });
    if (this.timer === undefined) this.arm(this.opts.timeoutMs);
    return true;
  }

  /** Promise form of wait(); rejects with WaitTimeoutError, or RangeError when refused. */
  waitFor(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const ok = this.wait(key, (outcome, value) => {
        if (outcome === 'answer') resolve(value as V);
        else reject(new WaitTimeoutError(key, outcome));
      });
      if (!ok) reject(new RangeError(`cannot wait for ${String(key)}: full or already waiting`));
    });
  }

  /** Delivers the answer for key; false when nobody waits for it (late or unknown answer). */
  resolve(key: K, value: V): boolean {
    const e = this.entries?.get(key);
    if (e === undefined) return false;
    this.entries?.delete(key);
    this.disarmIfEmpty();
    e.cb('answer', value);
    return true;
  }

  cancel(key: K): boolean {
    const e = this.entries?.get(key);
    if (e === undefined) return false;
    this.entries?.delete(key);
    this.disarmIfEmpty();
    e.cb('cancelled', undefined);
    return true;
  }

  /** Cancels every wait (e.g. the connection closed). */
  cancelAll(): void {
    if (this.entries === undefined) return;
    const all = [...this.entries.values()];
    this.entries.clear();
    this.disarmIfEmpty();
    for (const e of all) e.cb('cancelled', undefined);
  }

  private arm(delayMs: number): void {
    // the waiter rides as the timer's argument: no closure per Waiter (one per connection)
    this.timer = setTimeout(expireWaiter, Math.max(1, Math.ceil(delayMs)), this);
    // pending waits must not keep a process alive on their own
    this.timer.unref();
  }

  private disarmIfEmpty(): void {
    if (this.size === 0 && this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** Times out the due waits; called by the timer only (public for expireWaiter). */
  expire(): void {
    this.timer = undefined;
    const entries = this.entries;
    if (entries === undefined) return;
    const now = this.now();
    const due: Entry<V>[] = [];
    for (const [key, e] of entries) {
      if (e.deadline > now) break;
      entries.delete(key);
      due.push(e);
    }
    const next = entries.values().next();
    if (!next.done) this.arm(next.value.deadline - now);
    for (const e of due) e.cb('timeout', undefined);
  }
}

function expireWaiter(waiter: { expire(): void }): void {
  waiter.expire();
}
