/**
 * Hardware watchdog feeder. Heartbeats go out only while the injected health
 * verdict is ok; when a check fails they are withheld (the log names the
 * check) and the watchdog resets the board. A planned stop disarms it first.
 *
 * Protocols: 'line' (DESIGN.md fixed points: ARM / HB <seq> / DISARM, each
 * answered by the MCU), 'kick' (one byte per period, no answers) and
 * 'devwatchdog' (the kernel's /dev/watchdog, magic close on a planned stop).
 */
import type { DeviceLogger, HealthVerdict, HealthVerdictFn } from '../logger';
import { AnswerWaiter } from './answer-waiter';
import { DevWatchdogLink, MAGIC_CLOSE } from './dev-watchdog-link';
import type { LinkHandlers, WatchdogLink } from './link';
import { encodeArm, encodeDisarm, encodeHeartbeat, parseAnswer } from './line-protocol';
import type { SerialBinding } from './serial-link';

export type WatchdogProtocol = 'line' | 'kick' | 'devwatchdog';

export interface WatchdogOptions {
  /** Serial device (line, kick) or watchdog device path (devwatchdog). */
  device: string;
  baudRate: number;
  protocol: WatchdogProtocol;
  periodMs: number;
  /** Sent in `ARM <timeoutS>`: the MCU resets the board after this silence. */
  timeoutS: number;
  /** How long an answer may take before it counts as missed. */
  answerTimeoutMs: number;
  /** Byte written per period by 'kick' and 'devwatchdog'. */
  kickByte: number;
  reopenBackoffMs: { min: number; max: number };
  /** Consecutive missed answers after which the link is re-opened (default 3). */
  maxConsecutiveMisses?: number;
  /** Bound on the DISARM exchange and close in stop() (default answerTimeoutMs). */
  stopTimeoutMs?: number;
  /** Longest answer line kept while waiting for "\n" (default 256). */
  maxLineBytes?: number;
}

export interface WatchdogDeps {
  /** The shared named checks' verdict (HealthChecks.verdict). */
  health: HealthVerdictFn;
  logger: DeviceLogger;
  /** serialport binding; @serialport/binding-mock in tests. */
  binding?: SerialBinding;
}

export interface LastAnswer {
  seq: number;
  uptime: number | null;
  resetCause: string | null;
}

export interface WatchdogStats {
  heartbeatsSent: number;
  heartbeatsWithheld: number;
  answersMissed: number;
  reopens: number;
  unexpectedLines: number;
  linkOpen: boolean;
  /** Line protocol: OK ARM received on the current link (always true otherwise). */
  armed: boolean;
  lastAnswer: LastAnswer | null;
}

export interface WatchdogStartResult {
  /** Line protocol: the MCU confirmed ARM. Always true for the other protocols. */
  armed: boolean;
}

export interface WatchdogStopResult {
  /** The watchdog was told to stand down (OK DISARM, or magic close written). */
  disarmed: boolean;
}

/** start() could not open the device at all; the composition root decides what that means. */
export class WatchdogOpenError extends Error {
  readonly code = 'WATCHDOG_OPEN_FAILED';
  constructor(readonly device: string, cause: Error) {
    super(`cannot open watchdog device ${device}: ${cause.message}`, { cause });
    this.name = 'WatchdogOpenError';
  }
}

const MAX_PENDING_ANSWERS = 4;
const DEFAULT_MAX_MISSES = 3;
const DEFAULT_MAX_LINE_BYTES = 256;

export class Watchdog {
  private readonly waiter = new AnswerWaiter(MAX_PENDING_ANSWERS);
  private readonly maxMisses: number;
  private readonly stopTimeoutMs: number;
  private link: WatchdogLink | null = null;
  private started = false;
  private stopped = false;
  private reopening = false;
  /** Line protocol: the MCU confirmed ARM on the current link. */
  private armed = false;
  private seq = 0;
  private consecutiveMisses = 0;
  private tickTimer: NodeJS.Timeout | null = null;
  private reopenTimer: NodeJS.Timeout | null = null;
  private inflight: Promise<void> | null = null;
  /** Failing checks last logged while withholding; null while heartbeats flow. */
  private withheldKey: string | null = null;
  private readonly counters = {
    heartbeatsSent: 0,
    heartbeatsWithheld: 0,
    answersMissed: 0,
    reopens: 0,
    unexpectedLines: 0,
  };
  private lastAnswer: LastAnswer | null = null;

  constructor(private readonly options: WatchdogOptions, private readonly deps: WatchdogDeps) {
    if (!Number.isInteger(options.kickByte) || options.kickByte < 0 || options.kickByte > 255) {
      throw new RangeError(`watchdog kickByte must be a byte, got ${options.kickByte}`);
    }
    if (options.protocol === 'devwatchdog' && options.kickByte === MAGIC_CLOSE[0]) {
      throw new RangeError("watchdog kickByte 'V' is the /dev/watchdog magic close character");
    }
    if (options.reopenBackoffMs.min <= 0 || options.reopenBackoffMs.max < options.reopenBackoffMs.min) {
      throw new RangeError('watchdog reopenBackoffMs needs 0 < min <= max');
    }
    this.maxMisses = options.maxConsecutiveMisses ?? DEFAULT_MAX_MISSES;
    this.stopTimeoutMs = options.stopTimeoutMs ?? options.answerTimeoutMs;
  }

  stats(): WatchdogStats {
    return {
      ...this.counters,
      linkOpen: this.link !== null,
      armed: this.options.protocol !== 'line' || this.armed,
      lastAnswer: this.lastAnswer === null ? null : { ...this.lastAnswer },
    };
  }

  /** Opens the device (throws WatchdogOpenError if it cannot), arms, starts the period. */
  async start(): Promise<WatchdogStartResult> {
    if (this.started) throw new Error('watchdog already started');
    this.started = true;
    try {
      await this.openLink();
    } catch (err) {
      this.stopped = true;
      throw new WatchdogOpenError(this.options.device, err as Error);
    }
    const armed = await this.arm();
    this.armed = armed;
    this.deps.logger.info(
      { device: this.options.device, protocol: this.options.protocol, periodMs: this.options.periodMs, armed },
      'watchdog started',
    );
    this.scheduleTick(0);
    return { armed };
  }

  /** Planned stop: disarm (bounded in time), then close. Idempotent. */
  async stop(): Promise<WatchdogStopResult> {
    if (this.stopped) return { disarmed: false };
    this.stopped = true;
    this.clearTimers();
    this.waiter.cancelAll();
    if (this.inflight !== null) await this.inflight;
    const link = this.link;
    this.link = null;
    if (link === null) {
      this.deps.logger.warn({ device: this.options.device }, 'watchdog stopped without a link: not disarmed');
      return { disarmed: false };
    }
    const disarmed = await this.disarm(link);
    await withTimeout(link.close(), this.stopTimeoutMs).catch(() => undefined);
    this.deps.logger.info({ device: this.options.device, disarmed }, 'watchdog stopped');
    return { disarmed };
  }

  private async disarm(link: WatchdogLink): Promise<boolean> {
    const { protocol } = this.options;
    try {
      if (protocol === 'line') {
        const answer = this.waiter.wait((l) => (parseAnswer(l)?.kind === 'disarm' ? true : undefined), this.stopTimeoutMs);
        await withTimeout(link.write(encodeDisarm()), this.stopTimeoutMs);
        const ok = (await answer) === true;
        if (!ok) this.deps.logger.warn({ device: this.options.device }, 'watchdog MCU did not confirm DISARM');
        return ok;
      }
      if (protocol === 'devwatchdog') {
        await withTimeout(link.write(MAGIC_CLOSE), this.stopTimeoutMs);
        return true;
      }
      // A kick-only MCU has no way to stand down; it will time out.
      this.deps.logger.warn({ device: this.options.device }, 'kick protocol cannot disarm: the watchdog will expire');
      return false;
    } catch (err) {
      this.deps.logger.warn({ device: this.options.device, err: (err as Error).message }, 'watchdog disarm failed');
      return false;
    }
  }

  private async openLink(): Promise<void> {
    const handlers: LinkHandlers = {
      onLine: (line) => {
        if (!this.waiter.offer(line)) this.counters.unexpectedLines += 1;
      },
      onLost: (err) => {
        if (this.link === link) this.scheduleReopen('link lost', err);
      },
    };
    const link = this.createLink(handlers);
    try {
      await link.open();
    } catch (err) {
      await link.close();
      throw err;
    }
    this.link = link;
  }

  private createLink(handlers: LinkHandlers): WatchdogLink {
    const { protocol, device, baudRate } = this.options;
    if (protocol === 'devwatchdog') return new DevWatchdogLink(device);
    const maxLineBytes = this.options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    const binding = this.deps.binding;
    // serialport (and its native binding) loads only when a serial watchdog is opened:
    // a box without one never carries it (issue 14 item 4)
    const { SerialLink } = require('./serial-link') as typeof import('./serial-link');
    return new SerialLink(
      binding === undefined ? { path: device, baudRate, maxLineBytes } : { path: device, baudRate, maxLineBytes, binding },
      handlers,
    );
  }

  /**
   * Line protocol: ARM and wait for OK ARM; a missing answer is a miss, not
   * fatal. Until it is confirmed, every period re-sends ARM instead of a
   * heartbeat: an MCU that missed it (rebooted, link re-opened) must not be
   * left unarmed.
   */
  private async arm(): Promise<boolean> {
    const link = this.link;
    if (this.options.protocol !== 'line' || link === null) return true;
    const answer = this.waiter.wait((l) => (parseAnswer(l)?.kind === 'arm' ? true : undefined), this.options.answerTimeoutMs);
    try {
      await link.write(encodeArm(this.options.timeoutS));
    } catch (err) {
      this.scheduleReopen('ARM write failed', err as Error);
      return false;
    }
    if ((await answer) === true) {
      this.consecutiveMisses = 0;
      return true;
    }
    if (this.link === link && !this.stopped) this.missed('ARM');
    return false;
  }

  private scheduleTick(delayMs: number): void {
    if (this.stopped) return;
    this.tickTimer = setTimeout(() => {
      this.tickTimer = null;
      const started = Date.now();
      this.inflight = this.tick().finally(() => {
        this.inflight = null;
        this.scheduleTick(Math.max(0, this.options.periodMs - (Date.now() - started)));
      });
    }, delayMs);
  }

  private async tick(): Promise<void> {
    const verdict = this.healthVerdict();
    if (!verdict.ok) {
      this.withhold(verdict.failing);
      return;
    }
    if (this.withheldKey !== null) {
      this.deps.logger.info({ device: this.options.device }, 'watchdog heartbeats resumed: health ok');
      this.withheldKey = null;
    }
    const link = this.link;
    if (link === null) return; // re-open in progress; it re-arms on success
    if (this.options.protocol === 'line') {
      if (!this.armed) {
        this.armed = await this.arm();
        return;
      }
      await this.heartbeat(link);
      return;
    }
    try {
      await link.write(Buffer.from([this.options.kickByte]));
      this.counters.heartbeatsSent += 1;
    } catch (err) {
      this.scheduleReopen('kick write failed', err as Error);
    }
  }

  private async heartbeat(link: WatchdogLink): Promise<void> {
    this.seq += 1;
    const seq = this.seq;
    // Wait first: the answer must not be able to arrive before we listen.
    const answer = this.waiter.wait((line) => {
      const parsed = parseAnswer(line);
      return parsed?.kind === 'heartbeat' && parsed.seq === seq ? parsed : undefined;
    }, this.options.answerTimeoutMs);
    try {
      await link.write(encodeHeartbeat(seq));
    } catch (err) {
      this.scheduleReopen('heartbeat write failed', err as Error);
      return;
    }
    this.counters.heartbeatsSent += 1;
    const parsed = await answer;
    if (this.stopped || this.link !== link) return; // cancelled, not missed
    if (parsed === undefined) {
      this.missed(`HB ${seq}`);
      return;
    }
    this.consecutiveMisses = 0;
    this.lastAnswer = { seq: parsed.seq, uptime: parsed.uptime, resetCause: parsed.resetCause };
  }

  private missed(what: string): void {
    this.counters.answersMissed += 1;
    this.consecutiveMisses += 1;
    this.deps.logger.warn(
      { device: this.options.device, awaiting: what, consecutiveMisses: this.consecutiveMisses },
      'watchdog MCU answer missed',
    );
    if (this.consecutiveMisses >= this.maxMisses) {
      this.consecutiveMisses = 0;
      this.scheduleReopen(`${this.maxMisses} consecutive answers missed`);
    }
  }

  private healthVerdict(): HealthVerdict {
    try {
      return this.deps.health();
    } catch (err) {
      this.deps.logger.error({ err: (err as Error).message }, 'health evaluation threw');
      return { ok: false, failing: ['health-evaluation'] };
    }
  }

  /** Logged once per change of the failing set, not every period. */
  private withhold(failing: string[]): void {
    this.counters.heartbeatsWithheld += 1;
    const key = failing.join(',');
    if (key === this.withheldKey) return;
    this.withheldKey = key;
    this.deps.logger.warn({ device: this.options.device, failing }, `watchdog heartbeat withheld: ${key} failing`);
  }

  /** Idempotent: many loss signals for one link lead to one re-open sequence. */
  private scheduleReopen(reason: string, err?: Error): void {
    if (this.stopped || this.reopening) return;
    this.reopening = true;
    const old = this.link;
    this.link = null;
    this.armed = false;
    this.waiter.cancelAll();
    this.deps.logger.warn({ device: this.options.device, reason, err: err?.message }, 'watchdog link lost: re-opening');
    if (old !== null) void old.close();
    this.attemptReopen(this.options.reopenBackoffMs.min, 1);
  }

  private attemptReopen(delayMs: number, attempt: number): void {
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = null;
      if (this.stopped) return;
      this.openLink().then(
        () => {
          if (this.stopped) {
            const link = this.link;
            this.link = null;
            void link?.close();
            return;
          }
          this.reopening = false;
          this.counters.reopens += 1;
          // The next period re-arms before any heartbeat.
          this.deps.logger.info({ device: this.options.device, attempt }, 'watchdog link re-opened');
        },
        (err: Error) => {
          const next = Math.min(delayMs * 2, this.options.reopenBackoffMs.max);
          this.deps.logger.warn(
            { device: this.options.device, attempt, err: err.message, retryInMs: next },
            'watchdog re-open failed',
          );
          this.attemptReopen(next, attempt + 1);
        },
      );
    }, delayMs);
  }

  private clearTimers(): void {
    if (this.tickTimer !== null) clearTimeout(this.tickTimer);
    if (this.reopenTimer !== null) clearTimeout(this.reopenTimer);
    this.tickTimer = null;
    this.reopenTimer = null;
  }
}

/** Rejects if `p` has not settled within `ms`; the timer never outlives the race. */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
