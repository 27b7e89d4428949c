// How much of a bounded table one key (a source address, a target address) may hold at once.
// Only keys holding something are in the map, so it is never larger than what is held, which
// its owner bounds; the key is an address a socket reported or a request was sent to, never a
// metric label.

export class KeyedShare {
  private readonly held = new Map<string, number>();
  /** Keys refused since they last went below the limit: the first refusal is reported, not each. */
  private readonly atLimit = new Set<string>();

  constructor(
    readonly limit: number,
    private readonly onFirstRefusal: (key: string) => void = () => undefined,
  ) {}

  /** Takes one for key unless it holds `limit` already; `force` takes it anyway (work that ends work). */
  take(key: string, force = false): boolean {
    const n = this.held.get(key) ?? 0;
    if (n >= this.limit && !force) {
      if (!this.atLimit.has(key)) {
        this.atLimit.add(key);
        this.onFirstRefusal(key);
      }
      return false;
    }
    this.held.set(key, n + 1);
    return true;
  }

  release(key: string): void {
    const n = (this.held.get(key) ?? 1) - 1;
    if (n <= 0) this.held.delete(key);
    else this.held.set(key, n);
    if (n < this.limit) this.atLimit.delete(key);
  }

  /** Keys holding something now. */
  get size(): number {
    return this.held.size;
  }
}
