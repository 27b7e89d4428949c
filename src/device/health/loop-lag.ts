/**
 * Event-loop lag: the worst delay since the previous reading, so one long block between two
 * samples is not averaged away. A timer every `resolutionMs` notes how late it ran, which is
 * what perf_hooks' monitorEventLoopDelay measures too, without its native histogram (~360 KB
 * of RSS per histogram, and the worst delay is all this source reports; issue 14 item 4).
 */
import { performance } from 'node:perf_hooks';

export interface LoopLagSource {
  /** Worst event-loop delay since the previous call, in ms. */
  takeMaxMs(): number;
  stop(): void;
}

export function createLoopLagSource(resolutionMs = 20): LoopLagSource {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    // the interval itself is not lag
    const late = now - last - resolutionMs;
    if (late > worst) worst = late;
    last = now;
  }, resolutionMs).unref();
  return {
    takeMaxMs(): number {
      const ms = worst;
      worst = 0;
      return ms;
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}
