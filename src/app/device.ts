// Builds the device side from the configuration: health monitor with the shared named
// checks, the hardware watchdog, the systemd notifier. Start and stop order live here.
import type { Config } from '../config';
import { parseKickByte } from '../config/kick-byte';
import { child, type Logger } from '../log';
import { HealthMonitor, createLoopLagSource, createSystemInfoSource } from '../device/health';
import { Watchdog, WatchdogOpenError } from '../device/watchdog';
import { SystemdNotifier } from '../device/systemd';

export interface Device {
  readonly health: HealthMonitor;
  readonly watchdog: Watchdog | undefined;
  readonly systemd: SystemdNotifier;
  start(): Promise<void>;
  /** After the listeners are up: tell systemd, start its watchdog pings. */
  ready(): void;
  /** Planned stop: disarm the MCU first, so a clean stop never resets the board. */
  stop(): Promise<void>;
}

export class WatchdogRequiredError extends Error {
  constructor(readonly device: string, cause: string) {
    super(`watchdog device ${device} cannot be opened (${cause}); watchdog.required is true`);
  }
}

export function buildDevice(cfg: Config, log: Logger): Device {
  const hlog = child(log, 'health');
  const health = new HealthMonitor(
    {
      sampler: {
        intervalMs: cfg.health.fastSampleIntervalMs,
        slowIntervalMs: Math.max(30_000, cfg.health.sampleIntervalMs),
        dataDir: cfg.dataDir,
        uplinkInterface: cfg.health.uplinkInterface || null,
      },
      limits: {
        maxEventLoopLagMs: cfg.health.hardMaxEventLoopLagMs,
        // A sampler that stopped running is itself a hang.
        maxSampleAgeMs: Math.max(cfg.health.fastSampleIntervalMs * 5, cfg.health.hardMaxEventLoopLagMs),
        maxRssMiB: cfg.health.hardMaxRssMiB,
      },
      pressure: {
        maxEventLoopLagMs: cfg.health.maxEventLoopLagMs,
        maxRssMiB: cfg.health.maxRssMiB,
        minDiskFreeMiB: cfg.health.minDiskFreeMiB,
        maxTempC: cfg.health.maxTempC,
        maxLoad1PerCore: cfg.health.maxLoad1PerCore,
      },
      maxChecks: 32,
    },
    { logger: hlog, systemInfo: createSystemInfoSource(), loopLag: createLoopLagSource() },
  );
  const verdict = () => health.verdict();
  const wlog = child(log, 'watchdog');
  const watchdog = cfg.watchdog.enabled
    ? new Watchdog(
        {
          device: cfg.watchdog.device,
          baudRate: cfg.watchdog.baudRate,
          protocol: cfg.watchdog.protocol,
          periodMs: cfg.watchdog.periodMs,
          timeoutS: cfg.watchdog.timeoutS,
          answerTimeoutMs: cfg.watchdog.answerTimeoutMs,
          kickByte: parseKickByte(cfg.watchdog.kickByte) ?? 0x0a,
          reopenBackoffMs: { min: cfg.watchdog.reopenBackoffMs.min, max: cfg.watchdog.reopenBackoffMs.max },
        },
        { health: verdict, logger: wlog },
      )
    : undefined;
  const systemd = new SystemdNotifier({ env: process.env, minWatchdogIntervalMs: 1000 }, { logger: child(log, 'systemd'), health: verdict });

  let stopping: Promise<void> | undefined;
  return {
    health,
    watchdog,
    systemd,
    async start() {
      await health.start();
      if (!watchdog) return;
      try {
        await watchdog.start();
      } catch (err) {
        const cause = err instanceof WatchdogOpenError || err instanceof Error ? err.message : String(err);
        if (cfg.watchdog.required) throw new WatchdogRequiredError(cfg.watchdog.device, cause);
        wlog.warn({ device: cfg.watchdog.device, err }, 'watchdog device cannot be opened; running without it');
      }
    },
    ready() {
      systemd.ready();
      systemd.startWatchdogTimer();
    },
    stop() {
      stopping ??= (async () => {
        systemd.stopping();
        systemd.stopWatchdogTimer();
        if (watchdog) await watchdog.stop();
        health.stop();
      })();
      return stopping;
    },
  };
}
