import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkMigrations, computeHa1, MIGRATIONS, openStore, StoreError, type Migration, type Store } from '../../../src/store';
import { makeTempDir, open, storeOptions, type TempDir } from './tmp-store';

function thrownBy(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StoreError) return err;
    throw err;
  }
  throw new Error('expected a StoreError');
}

describe('openStore', () => {
  let tmp: TempDir;
  const opened: Store[] = [];
  const track = (s: Store): Store => {
    opened.push(s);
    return s;
  };

  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
    tmp.remove();
  });

  it('creates the data directory and a real imedge.db file in it', () => {
    const dataDir = join(tmp.dir, 'a', 'b');
    const store = track(open(dataDir));
    expect(store.path).toBe(join(dataDir, 'imedge.db'));
    expect(statSync(store.path).isFile()).toBe(true);
  });

  it('honours fileName and refuses one that is a path', () => {
    const store = track(open(tmp.dir, { fileName: 'other.sqlite' }));
    expect(store.path).toBe(join(tmp.dir, 'other.sqlite'));
    expect(thrownBy(() => open(tmp.dir, { fileName: '../x.db' })).code).toBe('STORE_INVALID_OPTIONS');
    expect(thrownBy(() => open(tmp.dir, { fileName: ':memory:' })).code).toBe('STORE_INVALID_OPTIONS');
  });

  it.each(['FULL', 'NORMAL', 'EXTRA'] as const)('sets the pragmas as requested (synchronous=%s)', (synchronous) => {
    const store = track(open(tmp.dir, { synchronous, cacheSizeKiB: 1234, busyTimeoutMs: 4321 }));
    expect(store.settings()).toEqual({
      journalMode: 'wal',
      synchronous: { NORMAL: 1, FULL: 2, EXTRA: 3 }[synchronous],
      foreignKeys: true,
      cacheSize: -1234,
      busyTimeoutMs: 4321,
      userVersion: MIGRATIONS.length,
    });
  });

  it('refuses invalid options with the path in the message', () => {
    const err = thrownBy(() => open(tmp.dir, { synchronous: 'OFF' as 'FULL' }));
    expect(err.code).toBe('STORE_INVALID_OPTIONS');
    expect(err.message).toContain(join(tmp.dir, 'imedge.db'));
    expect(thrownBy(() => open(tmp.dir, { cacheSizeKiB: 0 })).code).toBe('STORE_INVALID_OPTIONS');
    expect(thrownBy(() => open(tmp.dir, { busyTimeoutMs: -1 })).code).toBe('STORE_INVALID_OPTIONS');
  });

  it('applies the migrations once and records user_version', () => {
    const first = open(tmp.dir);
    expect(first.migration).toEqual({ from: 0, to: MIGRATIONS.length, applied: MIGRATIONS.map((m) => `${m.version} ${m.name}`) });
    expect(first.settings().userVersion).toBe(MIGRATIONS.length);
    first.close();

    const second = track(open(tmp.dir));
    expect(second.migration).toEqual({ from: MIGRATIONS.length, to: MIGRATIONS.length, applied: [] });
  });

  it('applies a later migration to an existing database, keeping its data', () => {
    const v1 = open(tmp.dir);
    v1.users.add('alice', computeHa1('alice', 'r', 'p'), 'r');
    v1.close();

    const next: Migration = { version: MIGRATIONS.length + 1, name: 'extra', up: 'CREATE TABLE extra (x INTEGER) STRICT;' };
    const v2 = track(open(tmp.dir, { migrations: [...MIGRATIONS, next] }));
    expect(v2.migration.applied).toEqual([`${next.version} extra`]);
    expect(v2.settings().userVersion).toBe(next.version);
    expect(v2.users.get('alice')?.realm).toBe('r');
  });

  it('applies all pending migrations in one transaction: a failing step leaves none applied', () => {
    const n = MIGRATIONS.length;
    const bad: Migration[] = [
      ...MIGRATIONS,
      { version: n + 1, name: 'good', up: 'CREATE TABLE extra (x INTEGER) STRICT;' },
      { version: n + 2, name: 'broken', up: 'CREATE TABLE nonsense (' },
    ];
    expect(thrownBy(() => open(tmp.dir, { migrations: bad })).message).toContain(join(tmp.dir, 'imedge.db'));

    // Nothing was applied, not even the tables of step 1..n: the file is still at version 0.
    const fresh = open(tmp.dir);
    expect(fresh.migration.from).toBe(0);
    fresh.close();
    // Had step n+1 been kept, re-creating its table would now fail.
    const fixed = track(open(tmp.dir, { migrations: bad.slice(0, n + 1) }));
    expect(fixed.settings().userVersion).toBe(n + 1);
  });

  it('refuses a database whose user_version is newer than the code knows, without touching it', () => {
    const newer: Migration = { version: MIGRATIONS.length + 1, name: 'future', up: 'CREATE TABLE future (x INTEGER) STRICT;' };
    open(tmp.dir, { migrations: [...MIGRATIONS, newer] }).close();

    const err = thrownBy(() => open(tmp.dir));
    expect(err.code).toBe('STORE_TOO_NEW');
    expect(err.message).toContain(join(tmp.dir, 'imedge.db'));
    expect(err.message).toContain(`schema version ${newer.version}`);

    const again = track(open(tmp.dir, { migrations: [...MIGRATIONS, newer] }));
    expect(again.migration.applied).toEqual([]);
  });

  it('checkMigrations rejects gaps, wrong order and empty steps', () => {
    expect(checkMigrations(MIGRATIONS)).toBeUndefined();
    expect(checkMigrations([{ version: 2, name: 'x', up: 'SELECT 1' }])).toMatch(/expected 1/);
    expect(checkMigrations([{ version: 1, name: 'x', up: '  ' }])).toMatch(/no SQL/);
    expect(thrownBy(() => open(tmp.dir, { migrations: [{ version: 3, name: 'x', up: 'SELECT 1' }] })).code).toBe(
      'STORE_BAD_MIGRATIONS',
    );
  });

  it('reports an unwritable data directory naming the path', () => {
    // A regular file where the directory should be: fails even for root, unlike chmod.
    const blocker = join(tmp.dir, 'file');
    writeFileSync(blocker, 'x');
    const dataDir = join(blocker, 'data');
    const err = thrownBy(() => open(dataDir));
    expect(err.code).toBe('STORE_UNWRITABLE');
    expect(err.message).toContain(dataDir);
  });

  it('reports a corrupt database file naming the path', () => {
    const path = join(tmp.dir, 'imedge.db');
    writeFileSync(path, Buffer.alloc(8192, 0x5a));
    const err = thrownBy(() => open(tmp.dir));
    expect(err.code).toBe('STORE_CORRUPT');
    expect(err.message).toContain(path);
    // The bad file is left as it was for the operator to inspect.
    expect(readFileSync(path).equals(Buffer.alloc(8192, 0x5a))).toBe(true);
  });

  it('keeps users and registrations across close and reopen', () => {
    const ha1 = computeHa1('alice', 'example.com', 'pw');
    const b = {
      user: 'alice',
      contact: 'sip:alice@192.0.2.1:5062;transport=tcp',
      expiresAt: 1_900_000_000_000,
      callId: 'c1',
      cseq: 7,
      q: 0.8,
      received: { protocol: 'TCP' as const, address: '192.0.2.1', port: 50123 },
    };
    const first = open(tmp.dir);
    first.users.add('alice', ha1, 'example.com');
    first.registrations.upsert(b);
    first.close();

    const second = track(open(tmp.dir));
    expect(second.users.get('alice')).toEqual({ user: 'alice', realm: 'example.com', ha1 });
    expect(second.registrations.all()).toEqual([b]);
  });

  it('a committed write is visible to a second connection while the first stays open', () => {
    const writer = track(open(tmp.dir));
    writer.users.add('alice', computeHa1('alice', 'r', 'p'), 'r');
    const reader = track(open(tmp.dir));
    expect(reader.users.get('alice')?.realm).toBe('r');
    // and the other way round
    reader.users.add('bob', computeHa1('bob', 'r', 'p'), 'r');
    expect(writer.users.list().map((u) => u.user)).toEqual(['alice', 'bob']);
  });
});

describe('Store lifecycle', () => {
  let tmp: TempDir;

  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.remove());

  it('probeWritable is true on a good store and false after close, never throwing', () => {
    const store = open(tmp.dir);
    expect(store.probeWritable()).toBe(true);
    expect(store.probeWritable()).toBe(true);
    store.close();
    expect(store.probeWritable()).toBe(false);
  });

  it('close is idempotent and folds the WAL into the main file', () => {
    const store = open(tmp.dir);
    store.users.add('alice', computeHa1('alice', 'r', 'p'), 'r');
    expect(store.isOpen).toBe(true);
    store.close();
    store.close();
    expect(store.isOpen).toBe(false);
    const wal = `${store.path}-wal`;
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
  });

  it('withTransaction commits on return and rolls back everything on throw', () => {
    const store = open(tmp.dir);
    try {
      const ha1 = computeHa1('a', 'r', 'p');
      store.withTransaction(() => {
        store.users.add('alice', ha1, 'r');
        store.users.add('bob', ha1, 'r');
      });
      expect(() =>
        store.withTransaction(() => {
          store.users.add('carol', ha1, 'r');
          store.users.delete('alice');
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(store.users.list().map((u) => u.user)).toEqual(['alice', 'bob']);
      expect(store.withTransaction(() => 42)).toBe(42);
    } finally {
      store.close();
    }
  });

  it('withTransaction refuses an async function (a transaction cannot span an await)', () => {
    const store = open(tmp.dir);
    try {
      expect(() => store.withTransaction(async () => store.users.add('alice', computeHa1('a', 'r', 'p'), 'r'))).toThrow(
        /promise/,
      );
      expect(store.users.list()).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('creates a missing data directory with openStore directly', () => {
    const dataDir = join(tmp.dir, 'new');
    mkdirSync(tmp.dir, { recursive: true });
    const store = openStore(storeOptions(dataDir));
    store.close();
    expect(statSync(dataDir).isDirectory()).toBe(true);
  });
});
