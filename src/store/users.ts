/** Users aggregate: user name, realm and digest HA1 hashes. */
import type { Database, Statement, Transaction } from 'better-sqlite3';
import { StoreValidationError } from './errors';
import { computeHa1, type Ha1, isValidHa1 } from './ha1';
import { isValidSipUser } from './username';
import type { RegistrationRepository } from './registrations';

export interface UserRecord {
  readonly user: string;
  readonly realm: string;
  readonly ha1: Ha1;
}

interface UserRow {
  user: string;
  realm: string;
  ha1_md5: string;
  ha1_sha256: string;
}

const MAX_REALM_LENGTH = 255;
// A realm travels inside a quoted-string (RFC 3261 §25.1); quotes, backslashes and controls would break it.
const BAD_REALM_CHARS = /["\\\u0000-\u001f\u007f]/;

function toRecord(row: UserRow): UserRecord {
  return { user: row.user, realm: row.realm, ha1: { md5: row.ha1_md5, sha256: row.ha1_sha256 } };
}

export class UserRepository {
  private readonly selectOne: Statement<[string], UserRow>;
  private readonly selectAll: Statement<[], UserRow>;
  private readonly insert: Statement<[UserRow]>;
  private readonly update: Statement<[UserRow]>;
  private readonly remove: Statement<[string]>;
  private readonly insertOrUpdate: Transaction<(row: UserRow) => boolean>;

  constructor(db: Database) {
    this.selectOne = db.prepare('SELECT user, realm, ha1_md5, ha1_sha256 FROM users WHERE user = ?');
    this.selectAll = db.prepare('SELECT user, realm, ha1_md5, ha1_sha256 FROM users ORDER BY user');
    this.insert = db.prepare(
      'INSERT INTO users (user, realm, ha1_md5, ha1_sha256) VALUES (@user, @realm, @ha1_md5, @ha1_sha256) ON CONFLICT (user) DO NOTHING',
    );
    this.update = db.prepare('UPDATE users SET realm = @realm, ha1_md5 = @ha1_md5, ha1_sha256 = @ha1_sha256 WHERE user = @user');
    this.remove = db.prepare('DELETE FROM users WHERE user = ?');
    this.insertOrUpdate = db.transaction((row: UserRow): boolean => {
      if (this.insert.run(row).changes === 1) return true;
      this.update.run(row);
      return false;
    });
  }

  /** Adds the user, or replaces its realm and hashes (a password change). Returns true when the user is new. */
  add(user: string, ha1: Ha1, realm: string): boolean {
    if (!isValidSipUser(user)) throw new StoreValidationError('user', `invalid user name: ${JSON.stringify(user)}`);
    if (realm.length === 0 || realm.length > MAX_REALM_LENGTH || BAD_REALM_CHARS.test(realm)) {
      throw new StoreValidationError('realm', `invalid realm: ${JSON.stringify(realm)}`);
    }
    if (!isValidHa1(ha1)) throw new StoreValidationError('ha1', 'HA1 must be lowercase hex: 32 chars (MD5) and 64 chars (SHA-256)');
    const row: UserRow = { user, realm, ha1_md5: ha1.md5, ha1_sha256: ha1.sha256 };
    return this.insertOrUpdate.immediate(row);
  }

  /** Undefined when absent; an invalid name (e.g. from a request) is simply absent, not an error. */
  get(user: string): UserRecord | undefined {
    if (!isValidSipUser(user)) return undefined;
    const row = this.selectOne.get(user);
    return row === undefined ? undefined : toRecord(row);
  }

  /** All users ordered by name. */
  list(): UserRecord[] {
    return this.selectAll.all().map(toRecord);
  }

  /** Returns whether the user existed. */
  delete(user: string): boolean {
    if (!isValidSipUser(user)) return false;
    return this.remove.run(user).changes > 0;
  }
}

/**
 * `imedge user add` and the admin page's user form: the password becomes its HA1 hashes here
 * and is not kept. True when the user is new, false when its password was replaced.
 */
export function addUser(s: { users: UserRepository }, user: string, realm: string, password: string): boolean {
  return s.users.add(user, computeHa1(user, realm, password), realm);
}

/** `imedge user delete` and the admin page: the user and its registrations, in one transaction. */
export function deleteUser(s: { users: UserRepository; registrations: RegistrationRepository; withTransaction<T>(fn: () => T): T }, user: string): boolean {
  return s.withTransaction(() => {
    s.registrations.removeAll(user);
    return s.users.delete(user);
  });
}
