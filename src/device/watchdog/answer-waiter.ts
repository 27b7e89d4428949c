/**
 * Wait for the matching answer or time out.
 *
 * Lines read from the link are offered to every pending wait; the first whose
 * matcher accepts a line resolves with the matcher's result. A wait that sees
 * no match within its timeout resolves with `undefined` (a missed answer is an
 * expected event on a serial link, not an exception). The number of pending
 * waits is bounded so a stuck peer cannot make them pile up.
 */

/** Returns a value when the line is the awaited answer, `undefined` otherwise. */
export type AnswerMatcher<T> = (line: string) => T | undefined;

interface Pending {
  match: AnswerMatcher<unknown>;
  settle: (value: unknown) => void;
  timer: NodeJS.Timeout;
}

export class WaiterFullError extends Error {
  constructor(limit: number) {
    super(`too many pending answers (limit ${limit})`);
    this.name = 'WaiterFullError';
  }
}

export class AnswerWaiter {
  private readonly pending = new Set<Pending>();

  constructor(private readonly maxPending: number) {}

  get size(): number {
    return this.pending.size;
  }

  /** Resolves with the first matching answer, or `undefined` after `timeoutMs`. */
  wait<T>(match: AnswerMatcher<T>, timeoutMs: number): Promise<T | undefined> {
    if (this.pending.size >= this.maxPending) {
      return Promise.reject(new WaiterFullError(this.maxPending));
    }
    return new Promise<T | undefined>((resolve) => {
      const entry: Pending = {
        match,
        settle: (value) => {
          clearTimeout(entry.timer);
          this.pending.delete(entry);
          resolve(value as T | undefined);
        },
        timer: setTimeout(() => entry.settle(undefined), timeoutMs),
      };
      this.pending.add(entry);
    });
  }

  /** Offers a line to the pending waits; true when one of them took it. */
  offer(line: string): boolean {
    for (const entry of this.pending) {
      const value = entry.match(line);
      if (value !== undefined) {
        entry.settle(value);
        return true;
      }
    }
    return false;
  }

  /** Ends every pending wait now as a miss (link closed, planned stop). */
  cancelAll(): void {
    for (const entry of [...this.pending]) entry.settle(undefined);
  }
}
