/**
 * The logging surface the device modules need. pino's Logger satisfies it;
 * tests pass a recorder. Kept here so the device modules do not depend on
 * the logger's construction.
 */
export interface DeviceLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What the watchdog and systemd notifier consume: the named checks' verdict. */
export interface HealthVerdict {
  ok: boolean;
  /** Names of the failing checks, in registration order. */
  failing: string[];
}

export type HealthVerdictFn = () => HealthVerdict;
