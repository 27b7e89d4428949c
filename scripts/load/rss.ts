/** Whether a process's resident set stayed flat over a run of once-a-second samples. */
import { median } from '../bench/stats';

export interface RssVerdict {
  readonly startMb: number;
  readonly endMb: number;
  /** Median of the last quarter minus median of the second quarter, MB. */
  readonly growthMb: number;
  readonly flat: boolean;
  readonly samples: number;
}

/**
 * The first quarter is left out (pools and JIT settle there); the second quarter's median is
 * compared with the last quarter's. Flat: within max(2 MB, 3 %) of it. Medians, so a single
 * GC-time spike decides nothing.
 */
export function rssVerdict(rssKb: readonly number[]): RssVerdict {
  const n = rssKb.length;
  if (n < 4) {
    const mb = n > 0 ? rssKb[n - 1] / 1024 : Number.NaN;
    return { startMb: mb, endMb: mb, growthMb: 0, flat: true, samples: n };
  }
  const q = Math.floor(n / 4);
  const second = median(rssKb.slice(q, 2 * q)) / 1024;
  const last = median(rssKb.slice(n - q)) / 1024;
  const growth = last - second;
  return { startMb: second, endMb: last, growthMb: growth, flat: growth <= Math.max(2, second * 0.03), samples: n };
}
