// DESIGN.md fixed point: bound off loopback, the admin port requires `Authorization: Bearer
// <token>`. The token comes from config, else it is generated once into <dataDir>/admin-token
// (mode 0600) and read back on every later start; only its path is ever logged.
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ADMIN_TOKEN_FILE = 'admin-token';

export class AdminTokenError extends Error {}

/** The configured token, or the one stored in dataDir (created when absent). */
export function loadAdminToken(configured: string, dataDir: string): { token: string; file?: string } {
  if (configured !== '') return { token: configured };
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  try {
    // 'wx': never overwrite a token someone already holds
    fs.writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new AdminTokenError(`cannot create ${file}: ${(err as Error).message}`);
  }
  const st = fs.statSync(file);
  // a token others can read is no secret: refuse to serve with it
  if ((st.mode & 0o077) !== 0) throw new AdminTokenError(`${file} is readable by group or others (chmod 600 it)`);
  const token = fs.readFileSync(file, 'utf8').trim();
  if (token.length < 16) throw new AdminTokenError(`${file} holds no usable token (16 characters at least)`);
  return { token, file };
}

/** RFC 6750 2.1: `Authorization: Bearer <token>`, compared in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (m === null) return false;
  // equal-length digests: timingSafeEqual needs equal lengths and leaks none
  const a = createHash('sha256').update(m[1] as string).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}
