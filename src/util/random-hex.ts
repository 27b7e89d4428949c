// Random identifiers (SIP tags and branches, session ids, Call-IDs) from one buffer of CSPRNG
// bytes refilled when spent: crypto.randomBytes costs ~6 us a call (a native call and a fresh
// Buffer), the slice of a pool well under 1 us, and a session set-up takes several (issue 8).
// The bytes are the same CSPRNG's, each handed out once.
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

/** `bytes` random bytes (at most 256) as 2*bytes lowercase hex digits. */
export function randomHex(bytes: number): string {
  return take(bytes, 'hex');
}

/** `bytes` random bytes (at most 256) in base64url, no padding (4 characters per 3 bytes). */
export function randomBase64url(bytes: number): string {
  return take(bytes, 'base64url');
}

function take(bytes: number, encoding: 'hex' | 'base64url'): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 256) throw new RangeError(`random ${encoding}: ${bytes} bytes`);
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const s = pool.toString(encoding, offset, offset + bytes);
  offset += bytes;
  return s;
}
