/**
 * Pressure: the softer signal. Under pressure new sessions and registrations
 * get 503 + Retry-After while running ones continue (the SIP layer asks).
 * Pure evaluation plus a tracker that reports changes.
 */
import type { HealthSample } from './sampler';

export interface PressureThresholds {
  maxEventLoopLagMs: number;
  maxRssMiB: number;
  minDiskFreeMiB: number;
  maxTempC: number;
  maxLoad1PerCore: number;
  /** Optional: MemAvailable floor for the whole host. */
  minMemAvailableMiB?: number;
}

export type PressureReason = 'event-loop-lag' | 'rss' | 'disk-free' | 'temperature' | 'load' | 'mem-available';

export interface PressureState {
  underPressure: boolean;
  /** Stable codes, in a fixed order: what changed is what gets logged. */
  reasons: PressureReason[];
  /** One human-readable line per reason, same order. */
  details: string[];
}

const MIB = 1024 * 1024;

export const NO_PRESSURE: PressureState = { underPressure: false, reasons: [], details: [] };

/** Unknown (null) values never cause pressure: a missing sensor is not an overload. */
export function evaluatePressure(sample: HealthSample, t: PressureThresholds): PressureState {
  const reasons: PressureReason[] = [];
  const details: string[] = [];
  const add = (reason: PressureReason, detail: string): void => {
    reasons.push(reason);
    details.push(detail);
  };
  if (sample.eventLoopLagMs > t.maxEventLoopLagMs) {
    add('event-loop-lag', `event loop lag ${sample.eventLoopLagMs.toFixed(0)} ms > ${t.maxEventLoopLagMs} ms`);
  }
  const rssMiB = sample.rssBytes / MIB;
  if (rssMiB > t.maxRssMiB) add('rss', `rss ${rssMiB.toFixed(0)} MiB > ${t.maxRssMiB} MiB`);
  if (sample.diskFreeBytes !== null && sample.diskFreeBytes / MIB < t.minDiskFreeMiB) {
    add('disk-free', `disk free ${(sample.diskFreeBytes / MIB).toFixed(0)} MiB < ${t.minDiskFreeMiB} MiB`);
  }
  if (sample.tempC !== null && sample.tempC > t.maxTempC) {
    add('temperature', `temperature ${sample.tempC.toFixed(1)} °C > ${t.maxTempC} °C`);
  }
  if (sample.load1 !== null && sample.load1 / sample.cpuCount > t.maxLoad1PerCore) {
    add('load', `load1 ${sample.load1} over ${sample.cpuCount} cores > ${t.maxLoad1PerCore} per core`);
  }
  if (t.minMemAvailableMiB !== undefined && sample.memAvailableBytes !== null) {
    const availMiB = sample.memAvailableBytes / MIB;
    if (availMiB < t.minMemAvailableMiB) {
      add('mem-available', `MemAvailable ${availMiB.toFixed(0)} MiB < ${t.minMemAvailableMiB} MiB`);
    }
  }
  return { underPressure: reasons.length > 0, reasons, details };
}

/** Keeps the current pressure state and calls back when its reason set changes. */
export class PressureTracker {
  private state: PressureState = NO_PRESSURE;

  constructor(
    private readonly thresholds: PressureThresholds,
    private readonly onChange: (state: PressureState, previous: PressureState) => void,
  ) {}

  current(): PressureState {
    return this.state;
  }

  update(sample: HealthSample): PressureState {
    const next = evaluatePressure(sample, this.thresholds);
    const previous = this.state;
    this.state = next;
    if (next.reasons.join(',') !== previous.reasons.join(',')) this.onChange(next, previous);
    return next;
  }
}
