/**
 * Wires the sampler, the named checks (with 'event-loop' and 'memory'
 * registered) and the pressure tracker, so the composition root builds one
 * object and hands out `checks` to subsystems and `verdict` to the watchdog.
 */
import type { DeviceLogger, HealthVerdict } from '../logger';
import { eventLoopCheck, memoryCheck } from './builtin-checks';
import type { HealthLimits } from './builtin-checks';
import { HealthChecks } from './checks';
import type { HealthReport } from './checks';
import type { LoopLagSource } from './loop-lag';
import { PressureTracker } from './pressure';
import type { PressureState, PressureThresholds } from './pressure';
import { HealthSampler } from './sampler';
import type { HealthSample, HealthSamplerOptions } from './sampler';
import type { SystemInfoSource } from './system-info';

export interface HealthMonitorOptions {
  sampler: HealthSamplerOptions;
  limits: HealthLimits;
  pressure: PressureThresholds;
  /** Bound on registered checks (built-ins included). */
  maxChecks: number;
}

export interface HealthMonitorDeps {
  logger: DeviceLogger;
  systemInfo?: SystemInfoSource;
  loopLag?: LoopLagSource;
  rssBytes?: () => number;
  now?: () => number;
  /** Besides the log line, e.g. a metrics gauge. */
  onPressureChange?: (state: PressureState, previous: PressureState) => void;
}

export class HealthMonitor {
  readonly checks: HealthChecks;
  readonly sampler: HealthSampler;
  private readonly tracker: PressureTracker;

  constructor(options: HealthMonitorOptions, deps: HealthMonitorDeps) {
    const now = deps.now ?? Date.now;
    this.tracker = new PressureTracker(options.pressure, (state, previous) => {
      if (state.underPressure) {
        deps.logger.warn({ reasons: state.reasons, details: state.details }, 'under pressure: refusing new sessions');
      } else {
        deps.logger.info({ previous: previous.reasons }, 'pressure relieved: accepting new sessions');
      }
      deps.onPressureChange?.(state, previous);
    });
    this.sampler = new HealthSampler(options.sampler, {
      logger: deps.logger,
      now,
      onSample: (sample) => this.tracker.update(sample),
      ...(deps.systemInfo !== undefined ? { systemInfo: deps.systemInfo } : {}),
      ...(deps.loopLag !== undefined ? { loopLag: deps.loopLag } : {}),
      ...(deps.rssBytes !== undefined ? { rssBytes: deps.rssBytes } : {}),
    });
    this.checks = new HealthChecks(options.maxChecks);
    const latest = (): HealthSample | null => this.sampler.latest();
    this.checks.register('event-loop', eventLoopCheck(latest, options.limits, now));
    this.checks.register('memory', memoryCheck(latest, options.limits));
  }

  start(): Promise<HealthSample> {
    return this.sampler.start();
  }

  stop(): void {
    this.sampler.stop();
  }

  latest(): HealthSample | null {
    return this.sampler.latest();
  }

  pressure(): PressureState {
    return this.tracker.current();
  }

  evaluate(): HealthReport {
    return this.checks.evaluate();
  }

  verdict(): HealthVerdict {
    return this.checks.verdict();
  }
}
