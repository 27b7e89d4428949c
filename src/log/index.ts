/**
 * The root logger: pino writing JSON lines to stdout (journald keeps them).
 * No transports: each one is a worker thread, too much for a Pi Zero.
 * Other modules take a Logger from this module and never import pino.
 */
import pino from 'pino';
import { redactSecrets } from './redact';

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

export function createLogger(opts: LoggerOptions): Logger {
  // Secrets are dropped from each logged object and from a child's bindings (redact.ts),
  // whatever object a caller hands over.
  const options: pino.LoggerOptions = {
    level: opts.level,
    formatters: { log: redactSecrets, bindings: redactSecrets },
  };
  if (opts.base !== undefined) options.base = opts.base;
  // Synchronous writes to fd 1: a line logged just before a crash or a
  // watchdog reset is not lost in a buffer.
  const destination = opts.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(options, destination);
}

/** A logger for one component; every line carries `component`. */
export function child(logger: Logger, component: string, bindings: Record<string, unknown> = {}): Logger {
  // pino applies formatters.bindings to the root's bindings only, so a child's are redacted here
  return logger.child(redactSecrets({ ...bindings, component }));
}

/** A logger that writes nothing, for code paths and tests that need one. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
