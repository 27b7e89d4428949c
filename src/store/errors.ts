/** Errors raised by the store; every one names the database path so an operator can act on it. */

export type StoreErrorCode =
  | 'STORE_INVALID_OPTIONS'
  | 'STORE_UNWRITABLE'
  | 'STORE_CORRUPT'
  | 'STORE_TOO_NEW'
  | 'STORE_BAD_MIGRATIONS'
  | 'STORE_OPEN_FAILED';

export class StoreError extends Error {
  override readonly name = 'StoreError';

  constructor(
    readonly code: StoreErrorCode,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Thrown by repositories for values that must never reach the database. */
export class StoreValidationError extends Error {
  override readonly name = 'StoreValidationError';

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** A bounded table is full (e.g. groups.maxStoredGroups): nothing was written. */
export class StoreLimitError extends Error {
  override readonly name = 'StoreLimitError';

  constructor(
    readonly what: string,
    readonly limit: number,
  ) {
    super(`${what}: the limit of ${limit} is reached`);
  }
}

/**
 * The disk under dataDir is full (SQLITE_FULL, or ENOSPC from the filesystem): the write did
 * not happen and the database is as before; the same write may succeed once space returns.
 * Callers answer "try later" (SIP 503 + Retry-After, HTTP 507), never 500.
 */
export function isStoreFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC';
}
