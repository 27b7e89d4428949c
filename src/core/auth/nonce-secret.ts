// The key that signs digest nonces lives in the data directory, so a nonce handed out before
// a restart (or a crash) is still recognised after it as genuine: a client's next refresh is
// answered stale=true (RFC 7616 3.3; its nonce-counts did not survive, so it is not accepted
// as is), never a plain 401 that makes a phone ask its user for the password again. Created once, mode 0600, like admin-token.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const NONCE_SECRET_FILE = 'nonce-secret';
const SECRET_BYTES = 32;

export class NonceSecretError extends Error {}

/** The secret stored in dataDir, created (32 random bytes, hex, mode 0600) when absent. */
export function loadNonceSecret(dataDir: string): { secret: Buffer; file: string; created: boolean } {
  const file = path.join(dataDir, NONCE_SECRET_FILE);
  let created = false;
  if (!fs.existsSync(file)) {
    // Written whole to a temporary file and synced, then linked into place: a power cut never
    // leaves a half-written key, and link() fails if another process got there first.
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      const fd = fs.openSync(tmp, 'w', 0o600);
      try {
        fs.writeSync(fd, `${randomBytes(SECRET_BYTES).toString('hex')}\n`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.linkSync(tmp, file);
      created = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new NonceSecretError(`cannot create ${file}: ${(err as Error).message}`);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  const st = fs.statSync(file);
  // whoever can read the key can mint nonces: refuse to serve with one others can read
  if ((st.mode & 0o077) !== 0) throw new NonceSecretError(`${file} is readable by group or others (chmod 600 it)`);
  const text = fs.readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/i.test(text)) throw new NonceSecretError(`${file} does not hold a ${SECRET_BYTES}-byte hex key (delete it to make a new one)`);
  return { secret: Buffer.from(text, 'hex'), file, created };
}
