/**
 * Samples the host on a timer, never per request; consumers read latest().
 * Frequent values come from direct /proc, /sys and statfs reads; the
 * systeminformation source runs on its own slow timer.
 */
import * as os from 'os';
import type { DeviceLogger } from '../logger';
import type { LoopLagSource } from './loop-lag';
import { createLoopLagSource } from './loop-lag';
import type { HostPaths } from './probes';
import {
  DEFAULT_HOST_PATHS,
  readDiskFreeBytes,
  readLoad1,
  readMaxTempC,
  readMemAvailableBytes,
  readUplinkUp,
} from './probes';
import type { SlowSample, SystemInfoSource } from './system-info';

export interface HealthSample {
  /** Date.now() when the sample was taken. */
  at: number;
  rssBytes: number;
  memAvailableBytes: number | null;
  load1: number | null;
  cpuCount: number;
  tempC: number | null;
  diskFreeBytes: number | null;
  /** null when no uplink interface is configured. */
  uplinkUp: boolean | null;
  eventLoopLagMs: number;
  /** From the slow systeminformation timer; null until its first run. */
  cpuLoadPercent: number | null;
  swapUsedBytes: number | null;
}

export const MIN_SLOW_INTERVAL_MS = 30_000;

export interface HealthSamplerOptions {
  intervalMs: number;
  /** systeminformation cadence; at least 30 s (it spawns processes). */
  slowIntervalMs: number;
  /** Directory whose file system's free space is sampled (the data dir). */
  dataDir: string;
  /** Interface whose operstate is the uplink (e.g. "eth0", "wwan0"); null: not sampled. */
  uplinkInterface: string | null;
  paths?: Partial<HostPaths>;
}

export interface HealthSamplerDeps {
  logger: DeviceLogger;
  /** Omitted: no slow sample (the fields stay null). */
  systemInfo?: SystemInfoSource;
  loopLag?: LoopLagSource;
  rssBytes?: () => number;
  now?: () => number;
  /** Called after every sample, e.g. to re-evaluate pressure. */
  onSample?: (sample: HealthSample) => void;
}

export class HealthSampler {
  private readonly paths: HostPaths;
  private readonly loopLag: LoopLagSource;
  private readonly now: () => number;
  private readonly rss: () => number;
  private readonly cpuCount = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  private timer: NodeJS.Timeout | null = null;
  private slowTimer: NodeJS.Timeout | null = null;
  private sampling = false;
  private latestSample: HealthSample | null = null;
  private slow: SlowSample = { cpuLoadPercent: null, swapUsedBytes: null };
  private slowFailed = false;

  constructor(private readonly options: HealthSamplerOptions, private readonly deps: HealthSamplerDeps) {
    if (options.intervalMs <= 0) throw new RangeError('health intervalMs must be > 0');
    if (options.slowIntervalMs < MIN_SLOW_INTERVAL_MS) {
      throw new RangeError(`health slowIntervalMs must be >= ${MIN_SLOW_INTERVAL_MS} (systeminformation spawns processes)`);
    }
    this.paths = { ...DEFAULT_HOST_PATHS, ...options.paths };
    this.loopLag = deps.loopLag ?? createLoopLagSource();
    this.now = deps.now ?? Date.now;
    this.rss = deps.rssBytes ?? (() => process.memoryUsage.rss());
  }

  latest(): HealthSample | null {
    return this.latestSample;
  }

  /** Takes a first sample, then samples every intervalMs until stop(). */
  async start(): Promise<HealthSample> {
    // Not awaited: the first currentLoad() takes ~0.5 s and start-up need not wait.
    void this.sampleSlow();
    const first = await this.sampleNow();
    // unref: sampling alone must not keep the process alive after shutdown.
    // a failed sample (EMFILE when every descriptor is taken, say) keeps the last one; never a crash
    this.timer = setInterval(() => this.sampleNow().catch((err: unknown) => this.deps.logger.warn({ err: (err as Error).message }, 'health sample failed')), this.options.intervalMs).unref();
    if (this.deps.systemInfo !== undefined) {
      this.slowTimer = setInterval(() => void this.sampleSlow(), this.options.slowIntervalMs).unref();
    }
    return first;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    if (this.slowTimer !== null) clearInterval(this.slowTimer);
    this.timer = null;
    this.slowTimer = null;
    this.loopLag.stop();
  }

  /** One sample now; a call while another is running returns the latest instead. */
  async sampleNow(): Promise<HealthSample> {
    if (this.sampling && this.latestSample !== null) return this.latestSample;
    this.sampling = true;
    try {
      const p = this.paths;
      const [memAvailableBytes, load1, tempC, diskFreeBytes, uplinkUp] = await Promise.all([
        readMemAvailableBytes(p.meminfo),
        readLoad1(p.loadavg),
        readMaxTempC(p.thermalDir),
        readDiskFreeBytes(this.options.dataDir),
        this.options.uplinkInterface === null ? Promise.resolve(null) : readUplinkUp(p.netDir, this.options.uplinkInterface),
      ]);
      const sample: HealthSample = {
        at: this.now(),
        rssBytes: this.safeRss(),
        memAvailableBytes,
        load1,
        cpuCount: this.cpuCount,
        tempC,
        diskFreeBytes,
        uplinkUp,
        eventLoopLagMs: this.loopLag.takeMaxMs(),
        ...this.slow,
      };
      this.latestSample = sample;
      this.deps.onSample?.(sample);
      return sample;
    } finally {
      this.sampling = false;
    }
  }

  /** RSS reads /proc (a file descriptor): with none left, the last known value stands. */
  private safeRss(): number {
    try {
      return this.rss();
    } catch {
      return this.latestSample?.rssBytes ?? 0;
    }
  }

  private async sampleSlow(): Promise<void> {
    if (this.deps.systemInfo === undefined) return;
    try {
      this.slow = await this.deps.systemInfo.slowSample();
      this.slowFailed = false;
    } catch (err) {
      if (!this.slowFailed) this.deps.logger.warn({ err: (err as Error).message }, 'systeminformation sample failed');
      this.slowFailed = true;
    }
  }
}
