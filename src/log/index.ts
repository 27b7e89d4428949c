/**
 * The root logger: pino writing JSON lines to stdout (journald keeps them).
 * No transports: each one is a worker thread, too much for a Pi Zero.
 * Other modules take a Logger from this module and never import pino.
 */
import pino from 'pino';

export type Logger = pino.Logger;
export type LogLevel = pino.Level;
/** Anything with a write(line) method: a file stream, or a sink that tests read back. */
export type LogDestination = pino.DestinationStream;

export interface LoggerOptions {
  level: LogLevel | 'silent';
  /** Where the JSON lines go; default stdout (fd 1, synchronous writes). */
  destination?: LogDestination;
  /** Fields on every line; default pid and hostname (pino's default). */
  base?: Record<string, unknown>;
}

/**
 * Secrets never reach the log, whatever object a caller hands over: credentials in SIP headers,
 * passwords and tokens (pino redact, evaluated only on lines that are written).
 */
export const REDACTED_PATHS: readonly string[] = [
  'authorization', 'password', 'token', 'ha1',
  '*.authorization', '*.password', '*.token', '*.ha1', '*.secret',
  '*.*.authorization', '*.*.password', '*.*.token',
  '["proxy-authorization"]', '*["proxy-authorization"]', '*.*["proxy-authorization"]',
];

export function createLogger(opts: LoggerOptions): Logger {
  const options: pino.LoggerOptions = { level: opts.level, redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' } };
  if (opts.base !== undefined) options.base = opts.base;
  // Synchronous writes to fd 1: a line logged just before a crash or a
  // watchdog reset is not lost in a buffer.
  const destination = opts.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(options, destination);
}

/** A logger for one component; every line carries `component`. */
export function child(logger: Logger, component: string, bindings: Record<string, unknown> = {}): Logger {
  return logger.child({ ...bindings, component });
}

/** A logger that writes nothing, for code paths and tests that need one. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
