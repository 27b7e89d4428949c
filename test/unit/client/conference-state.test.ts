import { applyInfo, diffRoster, isPresent, mayResubscribe, parseSubscriptionState, refreshDelayMs, rosterOf } from '../../../src/client/conference-state';
import type { ConferenceInfo, InfoUser } from '../../../src/xml';

const ID = 'sip:conf-1@example.com';
const user = (entity: string, extra: Partial<InfoUser> = {}): InfoUser => ({ entity, endpoint: { entity, status: 'connected' }, ...extra });
const full = (version: number, users: InfoUser[]): ConferenceInfo => ({ entity: ID, state: 'full', version, users });
const partial = (version: number, users: InfoUser[]): ConferenceInfo => ({ entity: ID, state: 'partial', version, users });

describe('RFC 6665 8.2.3: Subscription-State', () => {
  it('reads the state and its expires, reason and retry-after', () => {
    expect(parseSubscriptionState('active;expires=599')).toEqual({ state: 'active', expires: 599 });
    expect(parseSubscriptionState('Terminated; reason=NoResource')).toEqual({ state: 'terminated', reason: 'noresource' });
    expect(parseSubscriptionState('terminated;reason=probation;retry-after=30')).toEqual({ state: 'terminated', reason: 'probation', retryAfter: 30 });
    expect(parseSubscriptionState('pending')).toEqual({ state: 'pending' });
  });
  it('is undefined without a state; ignores parameters it cannot read', () => {
    expect(parseSubscriptionState(undefined)).toBeUndefined();
    expect(parseSubscriptionState('')).toBeUndefined();
    expect(parseSubscriptionState(';expires=3')).toBeUndefined();
    expect(parseSubscriptionState('active;expires=-1;reason="x y"')).toEqual({ state: 'active' });
  });
  it('RFC 6665 4.1.3: timeout, deactivated, probation and giveup may be subscribed again; noresource, rejected, invariant and none may not', () => {
    for (const r of ['timeout', 'deactivated', 'probation', 'giveup']) expect(mayResubscribe(r)).toBe(true);
    for (const r of ['noresource', 'rejected', 'invariant', undefined]) expect(mayResubscribe(r)).toBe(false);
  });
  it('RFC 6665 4.1.2.2: refreshed before expiry: half-way when short, 30 s ahead when long', () => {
    expect(refreshDelayMs(1)).toBe(500);
    expect(refreshDelayMs(60)).toBe(30_000);
    expect(refreshDelayMs(600)).toBe(570_000);
  });
});

describe('RFC 4575 4.6: constructing coherent state', () => {
  it('full state is taken as it is, first or later, whatever its version jumped by', () => {
    const a = full(1, [user('sip:a@x')]);
    expect(applyInfo(undefined, a)).toEqual({ kind: 'applied', state: a });
    const b = full(9, [user('sip:b@x')]);
    expect(applyInfo(a, b)).toEqual({ kind: 'applied', state: b });
  });
  it('a version not above the local one is discarded', () => {
    const a = full(5, [user('sip:a@x')]);
    expect(applyInfo(a, full(5, []))).toEqual({ kind: 'stale' });
    expect(applyInfo(a, full(2, []))).toEqual({ kind: 'stale' });
    expect(applyInfo(a, partial(4, []))).toEqual({ kind: 'stale' });
  });
  it('partial state with nothing to apply it to, or after a gap, asks for full state', () => {
    expect(applyInfo(undefined, partial(1, []))).toEqual({ kind: 'resync' });
    expect(applyInfo(full(1, []), partial(3, []))).toEqual({ kind: 'resync' });
    expect(applyInfo(full(1, []), { ...partial(2, []), state: 'deleted' })).toEqual({ kind: 'resync' });
  });
  it('partial state of the next version adds, updates and deletes users and keeps the rest', () => {
    const local: ConferenceInfo = { ...full(1, [user('sip:a@x'), user('sip:b@x', { displayText: 'Bee', roles: ['participant'] }), user('sip:c@x')]), conferenceState: { userCount: 3, active: true } };
    const r = applyInfo(local, {
      ...partial(2, [
        { entity: 'sip:c@x', state: 'deleted' },
        { entity: 'sip:b@x', state: 'partial', endpoint: { entity: 'sip:b@x', state: 'partial', status: 'on-hold' } },
        user('sip:d@x'),
      ]),
      conferenceState: { userCount: 3 },
    });
    expect(r.kind).toBe('applied');
    if (r.kind !== 'applied') return;
    expect(r.state.version).toBe(2);
    expect(r.state.state).toBe('full');
    expect(r.state.conferenceState).toEqual({ userCount: 3, active: true });
    expect(r.state.users?.map((u) => u.entity)).toEqual(['sip:a@x', 'sip:b@x', 'sip:d@x']);
    const b = r.state.users![1]!;
    expect(b).toMatchObject({ displayText: 'Bee', roles: ['participant'], endpoint: { entity: 'sip:b@x', status: 'on-hold' } });
  });
  it('partial state without users leaves the users as they were', () => {
    const local = full(1, [user('sip:a@x')]);
    const r = applyInfo(local, { entity: ID, state: 'partial', version: 2, description: { subject: 'new' } });
    expect(r).toMatchObject({ kind: 'applied', state: { users: local.users, description: { subject: 'new' } } });
  });
});

describe('the roster a person reads', () => {
  it('names a user by its display text, else its URI; OMA IM 7.2.2.10: an anonymous participant is "anonymous", by pseudonym host or by display text', () => {
    const r = rosterOf(
      full(1, [
        user('sip:alice@x', { displayText: 'Alice', roles: ['participant', 'initiator'] }),
        user('sip:bob@x', { displayText: '  ' }),
        user('sip:anonymous-k1@anonymous.invalid', { displayText: 'Anonymous' }),
        user('sip:anonymous@anonymous.invalid'),
        user('sip:someone@elsewhere', { displayText: 'anonymous' }),
      ]),
      'sip:alice@X;transport=tcp',
    );
    expect(r.map((e) => e.name)).toEqual(['Alice', 'sip:bob@x', 'anonymous', 'anonymous', 'anonymous']);
    expect(r.map((e) => e.anonymous)).toEqual([false, false, true, true, true]);
    expect(r.map((e) => e.self)).toEqual([true, false, false, false, false]);
    expect(r[0]).toMatchObject({ status: 'connected', roles: ['participant', 'initiator'] });
  });
  it('a user without endpoint has no status and counts as present', () => {
    const [e] = rosterOf(full(1, [{ entity: 'sip:z@x' }]), 'sip:me@x');
    expect(e!.status).toBeUndefined();
    expect(diffRoster([], [e!]).joined).toEqual([e]);
  });
  it('who joined and who left: by entity; a user turning disconnected has left, back to connected has joined', () => {
    const self = 'sip:me@x';
    const one = rosterOf(full(1, [user('sip:a@x'), user('sip:b@x')]), self);
    const two = rosterOf(full(2, [user('sip:a@x'), { entity: 'sip:b@x', endpoint: { entity: 'sip:b@x', status: 'disconnected' } }, user('sip:c@x')]), self);
    const d = diffRoster(one, two);
    expect(d.joined.map((e) => e.entity)).toEqual(['sip:c@x']);
    expect(d.left.map((e) => e.entity)).toEqual(['sip:b@x']);
    const three = rosterOf(full(3, [user('sip:a@x'), user('sip:b@x')]), self);
    expect(diffRoster(two, three)).toMatchObject({ joined: [{ entity: 'sip:b@x' }], left: [{ entity: 'sip:c@x' }] });
    expect(diffRoster(three, three)).toEqual({ joined: [], left: [] });
  });
  it('RFC 4575 5.7.1: a pending (or alerting, dialling) endpoint has not joined yet; it joins when connected', () => {
    const self = 'sip:me@x';
    const ringing = rosterOf(full(1, [user('sip:a@x'), { entity: 'sip:b@x', endpoint: { entity: 'sip:b@x', status: 'pending' } }]), self);
    expect(ringing.filter(isPresent).map((e) => e.entity)).toEqual(['sip:a@x']);
    const up = rosterOf(full(2, [user('sip:a@x'), user('sip:b@x')]), self);
    expect(diffRoster(ringing, up)).toMatchObject({ joined: [{ entity: 'sip:b@x' }], left: [] });
    const held = rosterOf(full(3, [user('sip:a@x'), { entity: 'sip:b@x', endpoint: { entity: 'sip:b@x', status: 'on-hold' } }]), self);
    expect(diffRoster(up, held)).toEqual({ joined: [], left: [] });
  });
});
