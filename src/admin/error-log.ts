// Error lines of the admin port, at most one per interval (attack finding F4: 3000 aborted
// requests wrote 3000 stack traces, 1.18 MB in 2 s). The lines held back are counted and the
// count rides on the next line written.
import type { Logger } from '../log';

export class ThrottledErrorLog {
  private lastAt = Number.NEGATIVE_INFINITY;
  private held = 0;
  /** Lines held back since start (for tests and metrics). */
  suppressedTotal = 0;

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  error(fields: Record<string, unknown>, msg: string): void {
    const t = this.now();
    if (t - this.lastAt < this.intervalMs) {
      this.held++;
      this.suppressedTotal++;
      return;
    }
    this.lastAt = t;
    this.log.error(this.held > 0 ? { ...fields, suppressed: this.held } : fields, msg);
    this.held = 0;
  }
}
