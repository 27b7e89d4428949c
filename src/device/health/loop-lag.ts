/**
 * Event-loop lag from perf_hooks' delay histogram: the worst delay since the
 * previous reading, so one long block between two samples is not averaged away.
 */
import { monitorEventLoopDelay } from 'perf_hooks';
import type { IntervalHistogram } from 'perf_hooks';

export interface LoopLagSource {
  /** Worst event-loop delay since the previous call, in ms. */
  takeMaxMs(): number;
  stop(): void;
}

export function createLoopLagSource(resolutionMs = 20): LoopLagSource {
  const histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  return {
    takeMaxMs(): number {
      // The histogram includes the sampling resolution itself; remove it.
      const ms = histogram.count > 0 ? Math.max(0, histogram.max / 1e6 - resolutionMs) : 0;
      histogram.reset();
      return ms;
    },
    stop(): void {
      histogram.disable();
    },
  };
}
