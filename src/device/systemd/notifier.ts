/**
 * sd_notify for Node. Node cannot send on the Unix datagram NOTIFY_SOCKET, so
 * the messages go through `systemd-notify` (the unit has NotifyAccess=all so
 * systemd accepts them from that child). spawn, never spawnSync: the event
 * loop never waits for it. At most one child runs at a time; a notification
 * arriving meanwhile is dropped (the next period sends another), which
 * bounds the processes we create. READY=1 and STOPPING=1 are sent once each
 * and never dropped.
 */
import { spawn } from 'child_process';
import type { DeviceLogger, HealthVerdictFn } from '../logger';

export interface SystemdNotifierOptions {
  /** Environment holding NOTIFY_SOCKET / WATCHDOG_USEC (process.env in production). */
  env: Record<string, string | undefined>;
  /** Minimum gap between two WATCHDOG=1 messages. */
  minWatchdogIntervalMs: number;
  /** Defaults to systemd-notify from PATH; tests point it at a recorder script. */
  command?: string;
}

export interface SystemdNotifierDeps {
  logger: DeviceLogger;
  /** WATCHDOG=1 is only sent while this says ok (the same checks as the hardware watchdog). */
  health: HealthVerdictFn;
  now?: () => number;
}

export interface SystemdNotifierStats {
  sent: number;
  failed: number;
  /** Dropped because a previous systemd-notify was still running or rate-limited. */
  skipped: number;
  watchdogWithheld: number;
}

export class SystemdNotifier {
  readonly enabled: boolean;
  private readonly command: string;
  private readonly now: () => number;
  private running = 0;
  private failureLogged = false;
  private lastWatchdogAt = -Infinity;
  private withheldKey: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly counters: SystemdNotifierStats = { sent: 0, failed: 0, skipped: 0, watchdogWithheld: 0 };

  constructor(private readonly options: SystemdNotifierOptions, private readonly deps: SystemdNotifierDeps) {
    this.enabled = (options.env['NOTIFY_SOCKET'] ?? '') !== '';
    this.command = options.command ?? 'systemd-notify';
    this.now = deps.now ?? Date.now;
  }

  stats(): SystemdNotifierStats {
    return { ...this.counters };
  }

  /**
   * The software watchdog period systemd asked for: half of WATCHDOG_USEC
   * (sd_watchdog_enabled(3) advises pinging at half the interval), or null
   * when the unit has no WatchdogSec or it is meant for another process.
   */
  watchdogIntervalMs(pid: number = process.pid): number | null {
    const usec = Number(this.options.env['WATCHDOG_USEC']);
    const forPid = this.options.env['WATCHDOG_PID'];
    if (!this.enabled || !Number.isFinite(usec) || usec <= 0) return null;
    if (forPid !== undefined && forPid !== '' && Number(forPid) !== pid) return null;
    return Math.max(this.options.minWatchdogIntervalMs, Math.floor(usec / 2000));
  }

  /** READY=1: start-up finished (listeners up, store open). */
  ready(): void {
    this.send(['--ready'], true);
  }

  /** STOPPING=1: a planned stop began. */
  stopping(): void {
    this.send(['STOPPING=1'], true);
  }

  /** WATCHDOG=1 if health is ok and the rate limit allows; otherwise withheld. */
  watchdog(): void {
    if (!this.enabled) return;
    const verdict = this.deps.health();
    if (!verdict.ok) {
      this.counters.watchdogWithheld += 1;
      const key = verdict.failing.join(',');
      if (key !== this.withheldKey) {
        this.withheldKey = key;
        this.deps.logger.warn({ failing: verdict.failing }, `systemd watchdog ping withheld: ${key} failing`);
      }
      return;
    }
    if (this.withheldKey !== null) {
      this.withheldKey = null;
      this.deps.logger.info({}, 'systemd watchdog pings resumed: health ok');
    }
    const now = this.now();
    if (now - this.lastWatchdogAt < this.options.minWatchdogIntervalMs) {
      this.counters.skipped += 1;
      return;
    }
    if (this.send(['WATCHDOG=1'], false)) this.lastWatchdogAt = now;
  }

  /** Pings on the interval systemd asked for; no-op without WatchdogSec. */
  startWatchdogTimer(): void {
    const interval = this.watchdogIntervalMs();
    if (interval === null || this.timer !== null) return;
    this.timer = setInterval(() => this.watchdog(), interval).unref();
  }

  stopWatchdogTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Returns true when a child was started. */
  private send(args: string[], mustSend: boolean): boolean {
    if (!this.enabled) return false;
    if (this.running > 0 && !mustSend) {
      this.counters.skipped += 1;
      return false;
    }
    this.running += 1;
    let settled = false;
    const done = (failure: string | null): void => {
      if (settled) return;
      settled = true;
      this.running -= 1;
      if (failure === null) {
        this.counters.sent += 1;
        this.failureLogged = false;
        return;
      }
      this.counters.failed += 1;
      // Once per streak of failures: a missing binary must not flood the journal.
      if (!this.failureLogged) {
        this.failureLogged = true;
        this.deps.logger.error({ command: this.command, args, failure }, 'systemd notification failed');
      }
    };
    try {
      const child = spawn(this.command, args, { stdio: 'ignore', env: this.childEnv() });
      child.on('error', (err) => done(err.message));
      child.on('exit', (code, signal) => done(code === 0 ? null : `exit ${code ?? signal}`));
    } catch (err) {
      done((err as Error).message);
    }
    return true;
  }

  private childEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.options.env)) if (v !== undefined) env[k] = v;
    return env;
  }
}
