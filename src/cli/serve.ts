// `imedge serve`: start, log one "listening" line, stop cleanly on SIGTERM/SIGINT.
import type { Config } from '../config';
import type { Logger } from '../log';
import { startServer, type RunningServer } from '../app/server';
import { describeFatal, EXIT_FAILURE } from './exit';
import { unhandledRejections } from '../app/server';

/**
 * `firstTraffic`: called once, at the first SIP request or MSRP frame after the server listens
 * (main.ts ends the V8 start-up settings there). Not at listening: functions that ran often
 * during start-up would then be optimized by the first timer that calls them, and the
 * optimizing compiler's code, once run, is ~3 MB more RSS for a server that has nothing to
 * optimize yet (issue 14 item 4). Under traffic the hot paths are optimized as before.
 */
export async function serve(cfg: Config, log: Logger, firstTraffic: () => void = () => undefined): Promise<void> {
  // attack finding F5: the data directory holds HA1 digests (password-equivalent) and the real
  // identity of anonymous participants; whatever the server creates is its own alone
  process.umask(0o077);
  process.on('unhandledRejection', (reason) => {
    // Every promise we start has its own catch, so reaching here is a bug; but a rejected
    // promise corrupts no state, and exiting would drop every running session: log loudly,
    // count (imedge_unhandled_rejections_total), keep serving.
    unhandledRejections.count++;
    log.error({ err: reason }, 'unhandled promise rejection (bug: a promise without a catch)');
  });
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    process.exit(EXIT_FAILURE);
  });
  // Signal handlers go in before start-up so a signal during start-up is a clean stop too.
  let running: RunningServer | undefined;
  let signalled: string | undefined;
  const stop = () => {
    if (!running) return;
    running
      .stop()
      .then(() => process.exit(0))
      .catch((err) => {
        log.error({ err }, 'error while stopping');
        process.exit(EXIT_FAILURE);
      });
  };
  const onSignal = (signal: string) => {
    if (signalled) return;
    signalled = signal;
    log.info({ signal }, 'stopping');
    stop();
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  if (cfg.debug.allowBlockLoop) armBlockLoop(cfg, log);
  try {
    running = await startServer(cfg, log);
    whenTraffic(running, firstTraffic);
  } catch (err) {
    const { code, message } = describeFatal(err);
    log.fatal({ err }, message);
    process.stderr.write(`imedge: ${message}\n`);
    process.exit(code);
  }
  if (signalled) stop();
}

/** How often serve() looks for the first traffic: a sum of counters, no I/O. */
const TRAFFIC_POLL_MS = 1000;

/** Calls `fn` once, at the first poll that finds `traffic()` changed since this call. */
export function whenTraffic(running: Pick<RunningServer, 'traffic'>, fn: () => void, pollMs = TRAFFIC_POLL_MS): void {
  const before = running.traffic();
  const timer = setInterval(() => {
    if (running.traffic() === before) return;
    clearInterval(timer);
    fn();
  }, pollMs).unref();
}

/** Longest block SIGUSR2 may cause, whatever the config says. */
const MAX_BLOCK_MS = 120_000;

/**
 * Issue 11 item 6(d), debug.allowBlockLoop only: SIGUSR2 blocks the event loop as a hung handler
 * would, long enough that the health check must see it (twice health.hardMaxEventLoopLagMs) and
 * the MCU must miss heartbeats (twice watchdog.periodMs). The fault test proves heartbeats stop.
 */
function armBlockLoop(cfg: Config, log: Logger): void {
  const ms = Math.min(MAX_BLOCK_MS, 2 * Math.max(cfg.health.hardMaxEventLoopLagMs, cfg.watchdog.periodMs));
  log.warn({ blockMs: ms }, 'debug.allowBlockLoop is on: SIGUSR2 blocks the event loop (fault tests only)');
  process.on('SIGUSR2', () => {
    log.warn({ blockMs: ms }, 'debug: blocking the event loop (SIGUSR2)');
    const end = Date.now() + ms;
    while (Date.now() < end) {
      // deliberately busy: nothing else runs, as in a hung handler
    }
    log.warn({ blockMs: ms }, 'debug: event loop released');
  });
}
