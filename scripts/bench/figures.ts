/** Turns the timestamps of one run into the figures of a table row (pure). */
import { percentile } from './stats';

export interface RunFigures {
  readonly msgsPerSec: number;
  /** Payload MB (10^6 bytes) per second. */
  readonly mbPerSec: number;
  /** SEND written at A -> last chunk read at B, ms. */
  readonly bP50Ms: number;
  readonly bP99Ms: number;
  /** SEND written at A -> 200 to its last chunk back at A, ms. */
  readonly aP50Ms: number;
  readonly aP99Ms: number;
  /** Relay CPU time (user + system) per message, microseconds. */
  readonly cpuUsPerMsg: number;
}

export const FIGURE_KEYS: readonly (keyof RunFigures)[] = [
  'msgsPerSec',
  'mbPerSec',
  'bP50Ms',
  'bP99Ms',
  'aP50Ms',
  'aP99Ms',
  'cpuUsPerMsg',
];

export interface RunTimes {
  readonly size: number;
  /** ns, one per message, on the shared monotonic clock. */
  readonly sendNs: ArrayLike<number>;
  readonly ackNs: ArrayLike<number>;
  readonly doneNs: ArrayLike<number>;
  /** Relay CPU ticks spent during the run. */
  readonly cpuTicks: number;
  readonly clkTck: number;
}

function spans(from: ArrayLike<number>, to: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < from.length; i++) {
    const d = to[i] - from[i];
    if (Number.isFinite(d)) out.push(d / 1e6);
  }
  return out;
}

function extreme(values: ArrayLike<number>, pick: (a: number, b: number) => number, start: number): number {
  let v = start;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) v = pick(v, values[i]);
  return v;
}

/**
 * Throughput over the whole run: from the first SEND written to the last event (message read
 * at B or 200 at A, whichever came later).
 */
export function figuresOf(t: RunTimes): RunFigures {
  const n = t.sendNs.length;
  const first = extreme(t.sendNs, Math.min, Number.POSITIVE_INFINITY);
  const last = Math.max(extreme(t.doneNs, Math.max, Number.NEGATIVE_INFINITY), extreme(t.ackNs, Math.max, Number.NEGATIVE_INFINITY));
  const seconds = (last - first) / 1e9;
  const ok = n > 0 && seconds > 0 && Number.isFinite(seconds);
  const b = spans(t.sendNs, t.doneNs);
  const a = spans(t.sendNs, t.ackNs);
  return {
    msgsPerSec: ok ? n / seconds : Number.NaN,
    mbPerSec: ok ? (n * t.size) / seconds / 1e6 : Number.NaN,
    bP50Ms: percentile(b, 50),
    bP99Ms: percentile(b, 99),
    aP50Ms: percentile(a, 50),
    aP99Ms: percentile(a, 99),
    cpuUsPerMsg: n > 0 ? (t.cpuTicks * 1e6) / t.clkTck / n : Number.NaN,
  };
}
