import { computeHa1, StoreValidationError, type Store } from '../../../src/store';
import { makeTempDir, open, type TempDir } from './tmp-store';

describe('UserRepository', () => {
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

  it('adds, gets, lists and deletes users', () => {
    const alice = computeHa1('alice', 'example.com', 'secret');
    const bob = computeHa1('bob', 'example.com', 'hunter2');
    expect(store.users.add('bob', bob, 'example.com')).toBe(true);
    expect(store.users.add('alice', alice, 'example.com')).toBe(true);

    expect(store.users.get('alice')).toEqual({ user: 'alice', realm: 'example.com', ha1: alice });
    expect(store.users.get('carol')).toBeUndefined();
    expect(store.users.list().map((u) => u.user)).toEqual(['alice', 'bob']);

    expect(store.users.delete('alice')).toBe(true);
    expect(store.users.delete('alice')).toBe(false);
    expect(store.users.get('alice')).toBeUndefined();
    expect(store.users.list().map((u) => u.user)).toEqual(['bob']);
  });

  it('replaces the hashes and realm when an existing user is added again (password change)', () => {
    store.users.add('alice', computeHa1('alice', 'r1', 'old'), 'r1');
    const fresh = computeHa1('alice', 'r2', 'new');
    expect(store.users.add('alice', fresh, 'r2')).toBe(false);
    expect(store.users.get('alice')).toEqual({ user: 'alice', realm: 'r2', ha1: fresh });
    expect(store.users.list()).toHaveLength(1);
  });

  it('stores only the HA1 hashes, never the password', () => {
    store.users.add('alice', computeHa1('alice', 'r', 'TopSecretPassword'), 'r');
    expect(JSON.stringify(store.users.list())).not.toContain('TopSecretPassword');
  });

  it('refuses invalid user names, realms and hashes', () => {
    const ha1 = computeHa1('x', 'r', 'p');
    expect(() => store.users.add('', ha1, 'r')).toThrow(StoreValidationError);
    expect(() => store.users.add('al ice', ha1, 'r')).toThrow(/invalid user name/);
    expect(() => store.users.add('alice', ha1, '')).toThrow(/invalid realm/);
    expect(() => store.users.add('alice', ha1, 'a"b')).toThrow(/invalid realm/);
    expect(() => store.users.add('alice', { md5: 'nothex', sha256: ha1.sha256 }, 'r')).toThrow(/HA1/);
    expect(store.users.list()).toEqual([]);
  });

  it('treats an invalid name from a request as absent rather than an error', () => {
    expect(store.users.get('a b@c')).toBeUndefined();
    expect(store.users.delete('')).toBe(false);
  });
});
