/**
 * Secrets never reach the log: credentials in SIP headers, passwords, tokens, digest HA1s.
 * A plain walk instead of pino's path-based redact, which cost about ten times a log line
 * (it rebuilt and restored every wildcard path on each line written).
 */

/** Keys whose values are replaced, matched without regard to case. */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  'authorization', 'proxy-authorization', 'password', 'token', 'ha1', 'secret',
]);

export const REDACTED = '[redacted]';

/** How deep a secret is looked for: the logged object, its values, and theirs. */
const MAX_DEPTH = 3;

function isPlain(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function redactArray(a: readonly unknown[], depth: number): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    const r = redactValue(v, depth);
    if (r !== v) {
      out ??= a.slice();
      out[i] = r;
    }
  }
  return out ?? (a as unknown[]);
}

function redactValue(v: unknown, depth: number): unknown {
  if (depth >= MAX_DEPTH) return v;
  if (Array.isArray(v)) return redactArray(v, depth + 1);
  if (isPlain(v)) return redactObject(v, depth + 1);
  return v;
}

function redactObject(o: Record<string, unknown>, depth: number): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key in o) {
    if (!Object.prototype.hasOwnProperty.call(o, key)) continue;
    const v = o[key];
    const r = SECRET_KEYS.has(key.toLowerCase()) ? REDACTED : redactValue(v, depth);
    if (r !== v) {
      // copy on the first secret only: the caller's object is never changed, and a line
      // without secrets (nearly all of them) allocates nothing here
      out ??= { ...o };
      // defineProperty, not assignment: a key "__proto__" from the wire must stay a key
      Object.defineProperty(out, key, { value: r, enumerable: true, writable: true, configurable: true });
    }
  }
  return out ?? o;
}

/** The object itself when it holds no secret within MAX_DEPTH levels, else a copy with each replaced. */
export function redactSecrets<T extends object>(obj: T): T {
  if (Array.isArray(obj)) return redactArray(obj, 0) as unknown as T;
  if (!isPlain(obj)) return obj;
  return redactObject(obj, 0) as T;
}
