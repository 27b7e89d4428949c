/**
 * Schema migrations tracked with PRAGMA user_version.
 * All pending migrations run in ONE immediate transaction, so a power cut
 * mid-upgrade leaves the old schema intact and two processes starting together
 * cannot both apply the same step (the second waits on the lock, then sees the
 * new user_version).
 */
import type { Database } from 'better-sqlite3';
import { StoreError } from './errors';

export interface Migration {
  /** 1, 2, 3, ... with no gaps; becomes PRAGMA user_version once applied */
  readonly version: number;
  /** short description, shown in errors */
  readonly name: string;
  /** SQL run with exec(); must not contain BEGIN/COMMIT (it already runs in a transaction) */
  readonly up: string;
}

export interface MigrationResult {
  readonly from: number;
  readonly to: number;
  readonly applied: readonly string[];
}

/** Returns a reason the list is unusable, or undefined when it is well-formed. */
export function checkMigrations(migrations: readonly Migration[]): string | undefined {
  for (let i = 0; i < migrations.length; i++) {
    const m = migrations[i]!;
    if (m.version !== i + 1) {
      return `migration #${i} "${m.name}" has version ${m.version}, expected ${i + 1}`;
    }
    if (m.up.trim() === '') return `migration ${m.version} "${m.name}" has no SQL`;
  }
  return undefined;
}

export function applyMigrations(db: Database, migrations: readonly Migration[], path: string): MigrationResult {
  const problem = checkMigrations(migrations);
  if (problem !== undefined) throw new StoreError('STORE_BAD_MIGRATIONS', path, `bad migration list: ${problem}`);
  const latest = migrations.length;

  const run = db.transaction((): MigrationResult => {
    const from = db.pragma('user_version', { simple: true }) as number;
    if (from > latest) {
      // Written by a newer imedge: running old code on it could corrupt data it does not know about.
      throw new StoreError(
        'STORE_TOO_NEW',
        path,
        `database ${path} has schema version ${from}, newer than this imedge knows (${latest}); upgrade imedge or restore a matching backup`,
      );
    }
    const applied: string[] = [];
    for (const m of migrations.slice(from)) {
      db.exec(m.up);
      applied.push(`${m.version} ${m.name}`);
    }
    if (applied.length > 0) db.pragma(`user_version = ${latest}`);
    return { from, to: Math.max(from, latest), applied };
  });
  return run.immediate();
}
