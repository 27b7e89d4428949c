import { StoreValidationError, type Binding, type Store } from '../../../src/store';
import { makeTempDir, open, type TempDir } from './tmp-store';

const T0 = 1_700_000_000_000;

function binding(over: Partial<Binding> = {}): Binding {
  return {
    user: 'alice',
    contact: 'sip:alice@192.0.2.10:5060',
    expiresAt: T0 + 3600_000,
    callId: 'call-1@192.0.2.10',
    cseq: 1,
    q: null,
    received: { protocol: 'UDP', address: '192.0.2.10', port: 5060 },
    ...over,
  };
}

describe('RegistrationRepository', () => {
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

  it('creates a binding and reads it back unchanged', () => {
    const b = binding({ q: 0.5, instanceId: '<urn:uuid:00000000-0000-1000-8000-000A95A0E128>', regId: 1 });
    expect(store.registrations.upsert(b)).toBe(true);
    expect(store.registrations.get('alice', b.contact)).toEqual(b);
    expect(store.registrations.listFor('alice', T0)).toEqual([b]);
    expect(store.registrations.count()).toBe(1);
  });

  it('omits instanceId/regId when absent', () => {
    store.registrations.upsert(binding());
    const got = store.registrations.get('alice', binding().contact)!;
    expect('instanceId' in got).toBe(false);
    expect('regId' in got).toBe(false);
  });

  it('refreshes the binding keyed by user + contact (RFC 3261 §10.3 step 7)', () => {
    store.registrations.upsert(binding());
    const refreshed = binding({
      expiresAt: T0 + 7200_000,
      cseq: 2,
      q: 1,
      received: { protocol: 'TCP', address: '192.0.2.11', port: 40000 },
    });
    expect(store.registrations.upsert(refreshed)).toBe(false);
    expect(store.registrations.count()).toBe(1);
    expect(store.registrations.get('alice', refreshed.contact)).toEqual(refreshed);
  });

  it('keeps how a binding is reached: the Contact (absent), RFC 5626 outbound, or NAT (migration 6)', () => {
    store.registrations.upsert(binding({ contact: 'sip:a@h1' }));
    store.registrations.upsert(binding({ contact: 'sip:a@h2', reach: 'outbound', instanceId: '"<urn:uuid:1>"', regId: 1 }));
    store.registrations.upsert(binding({ contact: 'sip:a@h3', reach: 'nat' }));
    expect('reach' in store.registrations.get('alice', 'sip:a@h1')!).toBe(false);
    expect(store.registrations.get('alice', 'sip:a@h2')!.reach).toBe('outbound');
    expect(store.registrations.get('alice', 'sip:a@h3')!.reach).toBe('nat');
    // a refresh decides again
    store.registrations.upsert(binding({ contact: 'sip:a@h3' }));
    expect('reach' in store.registrations.get('alice', 'sip:a@h3')!).toBe(false);
    expect(() => store.registrations.upsert(binding({ reach: 'elsewhere' as never }))).toThrow(StoreValidationError);
  });

  it('keeps different contacts of one user apart and lists the most preferred first', () => {
    store.registrations.upsert(binding({ contact: 'sip:a@h1', q: 0.1 }));
    store.registrations.upsert(binding({ contact: 'sip:a@h2', q: null }));
    store.registrations.upsert(binding({ contact: 'sip:a@h3', q: 0.7 }));
    store.registrations.upsert(binding({ user: 'bob', contact: 'sip:b@h' }));
    expect(store.registrations.listFor('alice', T0).map((b) => b.contact)).toEqual(['sip:a@h2', 'sip:a@h3', 'sip:a@h1']);
    expect(store.registrations.countFor('alice', T0)).toBe(3);
    expect(store.registrations.count()).toBe(4);
  });

  it('listFor leaves out bindings expired at the given time', () => {
    store.registrations.upsert(binding({ contact: 'sip:a@old', expiresAt: T0 + 1000 }));
    store.registrations.upsert(binding({ contact: 'sip:a@new', expiresAt: T0 + 5000 }));
    expect(store.registrations.listFor('alice', T0 + 1000).map((b) => b.contact)).toEqual(['sip:a@new']);
    expect(store.registrations.countFor('alice', T0 + 1000)).toBe(1);
    expect(store.registrations.listFor('alice', T0 + 5000)).toEqual([]);
  });

  it('removes one binding, then all of a user (RFC 3261 §10.2.2)', () => {
    store.registrations.upsert(binding({ contact: 'sip:a@h1' }));
    store.registrations.upsert(binding({ contact: 'sip:a@h2' }));
    store.registrations.upsert(binding({ contact: 'sip:a@h3' }));
    store.registrations.upsert(binding({ user: 'bob', contact: 'sip:b@h' }));
    expect(store.registrations.remove('alice', 'sip:a@h1')).toBe(true);
    expect(store.registrations.remove('alice', 'sip:a@h1')).toBe(false);
    expect(store.registrations.removeAll('alice')).toBe(2);
    expect(store.registrations.removeAll('alice')).toBe(0);
    expect(store.registrations.all().map((b) => b.user)).toEqual(['bob']);
  });

  it('expire(now) deletes and returns the bindings due, oldest first, and reports the next expiry', () => {
    store.registrations.upsert(binding({ contact: 'sip:a@h1', expiresAt: T0 + 2000 }));
    store.registrations.upsert(binding({ contact: 'sip:a@h2', expiresAt: T0 + 1000 }));
    store.registrations.upsert(binding({ contact: 'sip:a@h3', expiresAt: T0 + 9000 }));
    expect(store.registrations.nextExpiry()).toBe(T0 + 1000);

    expect(store.registrations.expire(T0 + 999)).toEqual([]);
    const removed = store.registrations.expire(T0 + 2000);
    expect(removed.map((b) => b.contact)).toEqual(['sip:a@h2', 'sip:a@h1']);
    expect(removed[0]).toEqual(binding({ contact: 'sip:a@h2', expiresAt: T0 + 1000 }));
    expect(store.registrations.all().map((b) => b.contact)).toEqual(['sip:a@h3']);
    expect(store.registrations.nextExpiry()).toBe(T0 + 9000);

    store.registrations.expire(T0 + 9000);
    expect(store.registrations.nextExpiry()).toBeUndefined();
  });

  it('expire honours its batch limit so one timer tick stays bounded', () => {
    for (let i = 0; i < 5; i++) store.registrations.upsert(binding({ contact: `sip:a@h${i}`, expiresAt: T0 + i }));
    expect(store.registrations.expire(T0 + 100, 2).map((b) => b.contact)).toEqual(['sip:a@h0', 'sip:a@h1']);
    expect(store.registrations.expire(T0 + 100, 2)).toHaveLength(2);
    expect(store.registrations.expire(T0 + 100, 2)).toHaveLength(1);
    expect(store.registrations.count()).toBe(0);
    expect(() => store.registrations.expire(T0, 0)).toThrow(StoreValidationError);
  });

  it.each<[string, Partial<Binding>]>([
    ['user', { user: 'a b' }],
    ['contact', { contact: '' }],
    ['callId', { callId: '' }],
    ['cseq', { cseq: 2 ** 31 }],
    ['q', { q: 1.5 }],
    ['expiresAt', { expiresAt: 1.5 }],
    ['received.port', { received: { protocol: 'UDP', address: '192.0.2.1', port: 0 } }],
    ['received.protocol', { received: { protocol: 'SCTP' as 'UDP', address: '192.0.2.1', port: 5060 } }],
    ['regId', { regId: 0 }],
  ])('refuses an invalid %s', (field, over) => {
    let thrown: unknown;
    try {
      store.registrations.upsert(binding(over));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(StoreValidationError);
    expect((thrown as StoreValidationError).field).toBe(field);
    expect(store.registrations.count()).toBe(0);
  });
});
