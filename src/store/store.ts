/**
 * openStore(): the one place that opens the SQLite file. Sets the pragmas the
 * board profile asks for, migrates, proves the file takes a commit, and hands
 * back the repositories. Nothing here is module-level: every Store owns its handle.
 */
import { chmodSync, closeSync, existsSync, fdatasync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError, type StoreErrorCode } from './errors';
import { applyMigrations, type Migration, type MigrationResult } from './migration';
import { MIGRATIONS } from './migrations';
import { RegistrationRepository } from './registrations';
import { UserRepository } from './users';
import { SessionRepository } from './sessions';
import { GroupSessionRepository } from './group-sessions';
import { GroupCommit, type DiskSync, type GroupCommitStats, type WriteOptions } from './group-commit';
import { GroupRepository } from './groups';

export type SynchronousMode = 'NORMAL' | 'FULL' | 'EXTRA';

export interface StoreOptions {
  /** created (with parents) when missing */
  readonly dataDir: string;
  /** plain file name inside dataDir; default imedge.db */
  readonly fileName?: string;
  /** FULL is what makes an acknowledged write survive a power cut in WAL mode */
  readonly synchronous: SynchronousMode;
  /** page cache per connection, KiB (the board profile decides; SQLite's default is 16 MB here) */
  readonly cacheSizeKiB: number;
  /** how long a statement waits for another connection's lock before SQLITE_BUSY */
  readonly busyTimeoutMs: number;
  /** for tests of the migration machinery; production uses the built-in list */
  readonly migrations?: readonly Migration[];
  /** writes queued with grouped() within this many ms share one transaction (default 2) */
  readonly batchWindowMs?: number;
}

/** The connection's effective settings, read back from SQLite (diagnostics and tests). */
export interface StoreSettings {
  readonly journalMode: string;
  /** SQLite's numeric value: 1 NORMAL, 2 FULL, 3 EXTRA */
  readonly synchronous: number;
  readonly foreignKeys: boolean;
  /** negative: KiB; positive: pages */
  readonly cacheSize: number;
  readonly busyTimeoutMs: number;
  readonly userVersion: number;
}

export interface Store {
  /** absolute path of the database file */
  readonly path: string;
  /** what start-up did to the schema, for the start-up log line */
  readonly migration: MigrationResult;
  readonly users: UserRepository;
  readonly registrations: RegistrationRepository;
  readonly sessions: SessionRepository;
  readonly groupSessions: GroupSessionRepository;
  readonly groups: GroupRepository;
  /**
   * Runs fn in one IMMEDIATE transaction (nested calls become savepoints).
   * fn must be synchronous: a transaction cannot span an await.
   */
  withTransaction<T>(fn: () => T): T;
  /**
   * Queues a synchronous write for the next group commit (one transaction, one fsync, for
   * every write of the batch window); resolves once committed. Acknowledge after it resolves.
   * `deferred`: a write nobody is acknowledged on (GroupCommit WriteOptions) rides in the next
   * batch instead of scheduling a commit (and an fsync) of its own.
   */
  grouped(fn: () => void, opts?: WriteOptions): Promise<void>;
  readonly groupCommitStats: GroupCommitStats;
  /** Writes then reads back a row of the health table. True when both worked; never throws. */
  probeWritable(): boolean;
  /** Reads the settings back from the connection; throws when closed. */
  settings(): StoreSettings;
  readonly isOpen: boolean;
  /** Checkpoints the WAL into the main file (TRUNCATE) and closes. Idempotent. */
  close(): void;
}

export const DEFAULT_FILE_NAME = 'imedge.db';

const SYNCHRONOUS_MODES: readonly string[] = ['NORMAL', 'FULL', 'EXTRA'];

function checkOptions(opts: StoreOptions, path: string): void {
  const bad = (message: string): never => {
    throw new StoreError('STORE_INVALID_OPTIONS', path, `store options for ${path}: ${message}`);
  };
  if (!SYNCHRONOUS_MODES.includes(opts.synchronous)) bad(`synchronous must be one of ${SYNCHRONOUS_MODES.join(', ')}`);
  if (!Number.isSafeInteger(opts.cacheSizeKiB) || opts.cacheSizeKiB < 1) bad('cacheSizeKiB must be a positive integer');
  if (!Number.isSafeInteger(opts.busyTimeoutMs) || opts.busyTimeoutMs < 0 || opts.busyTimeoutMs > 2 ** 31 - 1) {
    bad('busyTimeoutMs must be an integer in 0..2^31-1');
  }
}

function checkFileName(fileName: string, dataDir: string): void {
  if (fileName === '' || fileName === '.' || fileName === '..' || /[/\\\0]/.test(fileName) || fileName.startsWith(':')) {
    throw new StoreError('STORE_INVALID_OPTIONS', dataDir, `store fileName must be a plain file name, got ${JSON.stringify(fileName)}`);
  }
}

const UNWRITABLE_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'ENOSPC', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_FULL']);

/** Maps a low-level failure to a StoreError that names the path and says what kind of problem it is. */
function classify(err: unknown, path: string): StoreError {
  if (err instanceof StoreError) return err;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  const reason = err instanceof Error ? err.message : String(err);
  let kind: StoreErrorCode = 'STORE_OPEN_FAILED';
  let what = 'cannot open database';
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
    kind = 'STORE_CORRUPT';
    what = 'database file is corrupt or not a SQLite database';
  } else if ([...UNWRITABLE_CODES].some((c) => code.startsWith(c))) {
    kind = 'STORE_UNWRITABLE';
    what = 'database location is not writable';
  }
  return new StoreError(kind, path, `${what}: ${path} (${code || 'error'}: ${reason})`, { cause: err });
}

function setPragmas(db: Database.Database, opts: StoreOptions, path: string): void {
  // Values are validated above (enum, integers), so interpolating them is safe.
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs}`);
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') {
    throw new StoreError('STORE_OPEN_FAILED', path, `cannot use WAL journal for ${path} (got ${String(mode)}); is the filesystem local?`);
  }
  db.pragma(`synchronous = ${opts.synchronous}`);
  db.pragma('foreign_keys = ON');
  db.pragma(`cache_size = ${-opts.cacheSizeKiB}`);
}

class SqliteStore implements Store {
  readonly users: UserRepository;
  readonly registrations: RegistrationRepository;
  readonly sessions: SessionRepository;
  readonly groupSessions: GroupSessionRepository;
  readonly groups: GroupRepository;
  private readonly probeWrite: Database.Statement<[]>;
  private readonly probeRead: Database.Statement<[], { counter: number }>;
  private readonly probeTx: Database.Transaction<() => boolean>;
  private readonly batches: GroupCommit;
  /** One transaction function for every withTransaction call (better-sqlite3 builds four wrappers per db.transaction()). */
  private readonly immediate: (fn: () => unknown) => unknown;
  private walSyncs = 0;

  constructor(
    private readonly db: Database.Database,
    readonly path: string,
    readonly migration: MigrationResult,
    batchWindowMs: number,
    /** The WAL opened at start (synchronous=FULL), for fdatasync off the event loop; none: FULL at COMMIT. */
    private walFd: number | undefined,
  ) {
    this.immediate = db.transaction((fn: () => unknown): unknown => fn()).immediate;
    this.batches = new GroupCommit((fn) => this.withTransaction(fn), { windowMs: batchWindowMs, maxBatch: 256 }, this.walSyncOff());
    this.users = new UserRepository(db);
    this.registrations = new RegistrationRepository(db);
    this.sessions = new SessionRepository(db);
    this.groupSessions = new GroupSessionRepository(db);
    this.groups = new GroupRepository(db);
    this.probeWrite = db.prepare(
      'INSERT INTO health_probe (id, counter) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET counter = (counter + 1) % 1000000000',
    );
    this.probeRead = db.prepare('SELECT counter FROM health_probe WHERE id = 1');
    this.probeTx = db.transaction((): boolean => {
      const before = this.probeRead.get()?.counter ?? 0;
      this.probeWrite.run();
      return this.probeRead.get()?.counter === (before + 1) % 1000000000;
    });
  }

  /**
   * synchronous=FULL in WAL mode is one sync of the WAL per COMMIT, on the event loop: every
   * SIP and MSRP peer waits while the card writes. A group commit instead commits with
   * NORMAL (the WAL written, not synced) and then fdatasyncs the WAL in Node's thread pool,
   * the same sync FULL would make; its writes are acknowledged only after it. Other
   * transactions keep FULL. EXTRA (and NORMAL) are left as they are. The WAL is opened at start,
   * while SQLite holds it: the file synced is the file SQLite writes.
   */
  private walSyncOff(): DiskSync | undefined {
    if (this.walFd === undefined) return undefined;
    const normal = this.db.prepare('PRAGMA synchronous = NORMAL');
    const full = this.db.prepare('PRAGMA synchronous = FULL');
    return {
      transaction: (fn) => {
        normal.run();
        try {
          this.withTransaction(fn);
        } finally {
          full.run();
        }
      },
      sync: (done) => {
        const fd = this.walFd;
        if (fd === undefined) {
          process.nextTick(done, new Error('store closed'));
          return;
        }
        this.walSyncs++;
        fdatasync(fd, (err) => {
          this.walSyncs--;
          if (!this.db.open) this.closeWal();
          done(err);
        });
      },
    };
  }

  private closeWal(): void {
    if (this.walFd === undefined || this.walSyncs > 0) return;
    closeSync(this.walFd);
    this.walFd = undefined;
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  settings(): StoreSettings {
    const read = (name: string): unknown => this.db.pragma(name, { simple: true });
    return {
      journalMode: String(read('journal_mode')),
      synchronous: Number(read('synchronous')),
      foreignKeys: Number(read('foreign_keys')) === 1,
      cacheSize: Number(read('cache_size')),
      busyTimeoutMs: Number(read('busy_timeout')),
      userVersion: Number(read('user_version')),
    };
  }

  withTransaction<T>(fn: () => T): T {
    // IMMEDIATE takes the write lock up front: a deferred read-then-write can fail with
    // SQLITE_BUSY without waiting when another connection committed in between.
    return this.immediate(fn) as T;
  }

  grouped(fn: () => void, opts?: WriteOptions): Promise<void> {
    return this.batches.write(fn, opts);
  }

  get groupCommitStats(): GroupCommitStats {
    return this.batches.stats;
  }

  probeWritable(): boolean {
    try {
      return this.db.open && this.probeTx.immediate();
    } catch {
      return false;
    }
  }

  /** Used by openStore to fail start-up with a clear error instead of returning false. */
  requireWritable(): void {
    this.probeTx.immediate();
  }

  close(): void {
    if (!this.db.open) return;
    try {
      this.batches.close();
    } catch {
      // each queued write's promise carries its own error
    }
    try {
      // Fold the WAL into the main file so a copy of imedge.db alone is complete.
      // Another connection reading may keep it from finishing; closing is still correct.
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // the data is safe in the WAL either way
    } finally {
      this.db.close();
      // a sync still in flight closes it when it is done
      this.closeWal();
    }
  }
}

/**
 * Attack finding F5: the database, its WAL and shared-memory files are the owner's alone, also
 * when an older imedge (or a copy) left them 0644. SQLite gives a -wal/-shm it creates later
 * the database file's mode, so they stay private.
 */
function makePrivate(path: string): void {
  for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}

/** The WAL for fdatasync, or undefined (then group commits sync at COMMIT, as FULL does). */
function openWal(path: string): number | undefined {
  try {
    return openSync(`${path}-wal`, 'r');
  } catch {
    return undefined;
  }
}

/** Opens (creating if needed) and migrates the database. Throws StoreError naming the path on any failure. */
export function openStore(opts: StoreOptions): Store {
  const dataDir = resolve(opts.dataDir);
  const fileName = opts.fileName ?? DEFAULT_FILE_NAME;
  checkFileName(fileName, dataDir);
  const path = join(dataDir, fileName);
  checkOptions(opts, path);

  try {
    // F5: a data directory created here is private (an existing one keeps the operator's mode)
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw classify(err, dataDir);
  }

  let db: Database.Database | undefined;
  let walFd: number | undefined;
  try {
    db = new Database(path, { timeout: opts.busyTimeoutMs });
    setPragmas(db, opts, path);
    makePrivate(path);
    const migration = applyMigrations(db, opts.migrations ?? MIGRATIONS, path);
    // the WAL exists once migration has read the schema in WAL mode
    walFd = opts.synchronous === 'FULL' ? openWal(path) : undefined;
    const store = new SqliteStore(db, path, migration, opts.batchWindowMs ?? 2, walFd);
    store.requireWritable();
    return store;
  } catch (err) {
    if (db?.open === true) db.close();
    if (walFd !== undefined) closeSync(walFd);
    throw classify(err, path);
  }
}
