/**
 * The health module's own named checks: 'event-loop' and 'memory'. These are
 * hard limits (failing them withholds the watchdog heartbeat and resets the
 * board); the pressure thresholds are the softer, earlier signal.
 */
import type { CheckResult, HealthCheck } from './checks';
import type { HealthSample } from './sampler';

export interface HealthLimits {
  /** Event-loop lag above which the process counts as hung. */
  maxEventLoopLagMs: number;
  /** A sample older than this means the sampler itself stalled. */
  maxSampleAgeMs: number;
  /** The process's own memory limit (MemoryMax= is not enforced on stock Pi OS). */
  maxRssMiB: number;
}

const MIB = 1024 * 1024;

/** Fails when the loop lagged too much or the sampler has not run recently. */
export function eventLoopCheck(latest: () => HealthSample | null, limits: HealthLimits, now: () => number): HealthCheck {
  return (): CheckResult => {
    const sample = latest();
    if (sample === null) return { ok: false, detail: 'no health sample yet' };
    const age = now() - sample.at;
    if (age > limits.maxSampleAgeMs) return { ok: false, detail: `last sample ${age} ms old` };
    if (sample.eventLoopLagMs > limits.maxEventLoopLagMs) {
      return { ok: false, detail: `event loop lag ${sample.eventLoopLagMs.toFixed(0)} ms > ${limits.maxEventLoopLagMs} ms` };
    }
    return { ok: true, detail: `lag ${sample.eventLoopLagMs.toFixed(0)} ms` };
  };
}

export function memoryCheck(latest: () => HealthSample | null, limits: HealthLimits): HealthCheck {
  return (): CheckResult => {
    const sample = latest();
    if (sample === null) return { ok: false, detail: 'no health sample yet' };
    const rssMiB = sample.rssBytes / MIB;
    if (rssMiB > limits.maxRssMiB) return { ok: false, detail: `rss ${rssMiB.toFixed(0)} MiB > ${limits.maxRssMiB} MiB` };
    return { ok: true, detail: `rss ${rssMiB.toFixed(0)} MiB` };
  };
}
