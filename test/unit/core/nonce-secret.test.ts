// The digest nonce key kept in the data directory (issue 15 item 4).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DigestAuthenticator, answerChallenge } from '../../../src/core/auth/digest';
import { loadNonceSecret, NonceSecretError, NONCE_SECRET_FILE } from '../../../src/core/auth/nonce-secret';
import { computeHa1 } from '../../../src/store/ha1';
import { makeTempDir, type TempDir } from '../store/tmp-store';

let tmp: TempDir;
beforeEach(() => (tmp = makeTempDir()));
afterEach(() => tmp.remove());

test('created once with mode 0600, then read back unchanged', () => {
  const first = loadNonceSecret(tmp.dir);
  expect(first.created).toBe(true);
  expect(first.secret).toHaveLength(32);
  expect(fs.statSync(path.join(tmp.dir, NONCE_SECRET_FILE)).mode & 0o777).toBe(0o600);
  const again = loadNonceSecret(tmp.dir);
  expect(again.created).toBe(false);
  expect(again.secret.equals(first.secret)).toBe(true);
  expect(fs.readdirSync(tmp.dir)).toEqual([NONCE_SECRET_FILE]);
});

test('a key others can read, or one that is not a key, is refused with the file named', () => {
  const file = loadNonceSecret(tmp.dir).file;
  fs.chmodSync(file, 0o644);
  expect(() => loadNonceSecret(tmp.dir)).toThrow(NonceSecretError);
  fs.chmodSync(file, 0o600);
  fs.writeFileSync(file, 'not a key\n');
  expect(() => loadNonceSecret(tmp.dir)).toThrow(/does not hold/);
});

test('RFC 7616 3.3: a nonce from before a restart is still genuine: accepted while fresh, stale=true once old', () => {
  const realm = 'localhost';
  const creds = computeHa1('erin', realm, 'pw');
  const { secret } = loadNonceSecret(tmp.dir);
  const clock = { t: 1_000_000 };
  const before = new DigestAuthenticator({ realm, nonceTtlS: 30, algorithms: ['SHA-256', 'MD5'], secret, now: () => clock.t });
  const answer = answerChallenge(before.challenges()[1]!, { user: 'erin', password: 'pw' }, 'REGISTER', 'sip:localhost');
  // the process restarts: a new authenticator with the key read back from the data dir
  const after = new DigestAuthenticator({ realm, nonceTtlS: 30, algorithms: ['SHA-256', 'MD5'], secret: loadNonceSecret(tmp.dir).secret, now: () => clock.t });
  expect(after.verify([answer], 'REGISTER', () => creds)).toEqual({ ok: true, user: 'erin' });
  clock.t += 31_000;
  expect(after.verify([answer], 'REGISTER', () => creds)).toEqual({ ok: false, reason: 'stale', user: 'erin' });
});
