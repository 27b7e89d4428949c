// Groups aggregate: pre-defined group documents kept as XML text on a real SQLite file;
// survive a reopen, byte for byte.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MAX_GROUP_DOCUMENT_BYTES, MIGRATIONS, StoreValidationError, type Store } from '../../../src/store';
import { makeTempDir, open, type TempDir } from './tmp-store';

const DOC = readFileSync(join(__dirname, '../../fixtures/xml/group-sales-team.xml'), 'utf8');
const OTHER = readFileSync(join(__dirname, '../../fixtures/xml/group-prefixed.xml'), 'utf8');

describe('GroupRepository', () => {
  let tmp: TempDir;
  let store: Store;

  beforeEach(() => {
    tmp = makeTempDir();
    store = open(tmp.dir);
  });
  afterEach(() => {
    store.close();
    tmp.remove();
  });

  it('puts (created, then updated), gets, lists by id and deletes', () => {
    expect(store.groups.put('sales-team', DOC, 1000)).toBe('created');
    expect(store.groups.put('night-shift', OTHER, 2000)).toBe('created');
    expect(store.groups.get('sales-team')).toEqual({ id: 'sales-team', document: DOC, updatedAt: 1000 });
    expect(store.groups.list().map((g) => g.id)).toEqual(['night-shift', 'sales-team']);
    expect(store.groups.count()).toBe(2);

    expect(store.groups.put('sales-team', OTHER, 3000)).toBe('updated');
    expect(store.groups.get('sales-team')).toEqual({ id: 'sales-team', document: OTHER, updatedAt: 3000 });
    expect(store.groups.count()).toBe(2);

    expect(store.groups.delete('sales-team')).toBe(true);
    expect(store.groups.delete('sales-team')).toBe(false);
    expect(store.groups.get('sales-team')).toBeUndefined();
    expect(store.groups.list().map((g) => g.id)).toEqual(['night-shift']);
  });

  it('keeps the document text exactly as given (not parsed, not normalised) across a reopen', () => {
    const odd = `${DOC}\n<!-- trailing comment, CRLF:\r\n, non-ASCII: é € 💬 -->\n`;
    store.groups.put('sales-team', odd, 42);
    store.close();
    store = open(tmp.dir);
    expect(store.groups.get('sales-team')?.document).toBe(odd);
  });

  it('stores what it is given even when it is not XML: parsing is the caller\'s job', () => {
    expect(store.groups.put('raw', 'not xml at all', 1)).toBe('created');
    expect(store.groups.get('raw')?.document).toBe('not xml at all');
  });

  it('refuses an id that cannot be the user part of sip:<group-id>@<domain>, an empty or oversized document, a bad time', () => {
    const bad = (fn: () => unknown): string => {
      try {
        fn();
      } catch (err) {
        if (err instanceof StoreValidationError) return err.field;
        throw err;
      }
      throw new Error('nothing thrown');
    };
    expect(bad(() => store.groups.put('', DOC, 1))).toBe('id');
    expect(bad(() => store.groups.put('a b', DOC, 1))).toBe('id');
    expect(bad(() => store.groups.put('a@b', DOC, 1))).toBe('id');
    expect(bad(() => store.groups.put('g', '', 1))).toBe('document');
    expect(bad(() => store.groups.put('g', 'x'.repeat(MAX_GROUP_DOCUMENT_BYTES + 1), 1))).toBe('document');
    expect(bad(() => store.groups.put('g', DOC, -1))).toBe('updatedAt');
    expect(bad(() => store.groups.put('g', DOC, 1.5))).toBe('updatedAt');
    expect(store.groups.count()).toBe(0);
  });

  it('an invalid id from a request is simply absent on get and delete', () => {
    expect(store.groups.get('../etc')).toBeUndefined();
    expect(store.groups.delete('a b')).toBe(false);
  });
});

describe('migration "group documents"', () => {
  // Found by name: the version number is whatever free number it has once branches merge.
  const before = MIGRATIONS.findIndex((m) => m.name === 'group documents');

  it('creates a STRICT group_documents table on a database left at the version before, keeping its data', () => {
    expect(before).toBeGreaterThan(0);
    const tmp = makeTempDir();
    try {
      // A database as imedge left it before this step (the repositories of today need every table,
      // so the old schema is laid down directly).
      const old = new Database(join(tmp.dir, 'imedge.db'));
      for (const m of MIGRATIONS.slice(0, before)) old.exec(m.up);
      old.pragma(`user_version = ${before}`);
      old.prepare("INSERT INTO users (user, realm, ha1_md5, ha1_sha256) VALUES ('alice', 'example.com', ?, ?)").run('a'.repeat(32), 'b'.repeat(64));
      old.close();

      const upgraded = open(tmp.dir);
      expect(upgraded.migration).toEqual({ from: before, to: MIGRATIONS.length, applied: MIGRATIONS.slice(before).map((m) => `${m.version} ${m.name}`) });
      expect(upgraded.migration.applied[0]).toBe(`${before + 1} group documents`);
      expect(upgraded.users.get('alice')?.realm).toBe('example.com');
      expect(upgraded.groups.put('g', '<group/>', 1)).toBe('created');
      upgraded.close();

      // STRICT: a wrong type is an error, not silently stored.
      const raw = new Database(join(tmp.dir, 'imedge.db'));
      try {
        expect(() => raw.prepare("INSERT INTO group_documents (id, document, updated_at) VALUES ('h', 'x', 'soon')").run()).toThrow(/cannot store TEXT value in INTEGER column/);
        expect(() => raw.prepare("INSERT INTO group_documents (id, document, updated_at) VALUES ('h', '', 1)").run()).toThrow(/CHECK constraint failed/);
      } finally {
        raw.close();
      }
    } finally {
      tmp.remove();
    }
  });
});
