// RFC 8760 / RFC 3261 22.4 digest: stateless nonces, stale=true, both algorithms.
import { DigestAuthenticator, answerChallenge, unquote } from '../../../src/core/auth/digest';
import { computeHa1 } from '../../../src/store/ha1';

const realm = 'example.org';
const creds = computeHa1('alice', realm, 'pw');
const lookup = (u: string) => (u === 'alice' ? creds : undefined);

function make(now: { t: number }) {
  return new DigestAuthenticator({ realm, nonceTtlS: 30, algorithms: ['SHA-256', 'MD5'], now: () => now.t });
}

test('RFC 8760 2.4: one challenge per algorithm, SHA-256 first, qop=auth', () => {
  const a = make({ t: 1000 });
  const c = a.challenges();
  expect(c.map((x) => x.algorithm)).toEqual(['SHA-256', 'MD5']);
  expect(c[0].qop).toBe('"auth"');
  expect(unquote(c[0].realm)).toBe(realm);
});

test.each(['SHA-256', 'MD5'])('RFC 3261 22.4: a correct %s answer is accepted, a wrong password is not', (alg) => {
  const clock = { t: 1000 };
  const a = make(clock);
  const ch = a.challenges().find((c) => c.algorithm === alg)!;
  const good = answerChallenge(ch, { user: 'alice', password: 'pw' }, 'REGISTER', 'sip:example.org');
  expect(a.verify([good], 'REGISTER', lookup)).toEqual({ ok: true, user: 'alice' });
  const bad = answerChallenge(ch, { user: 'alice', password: 'nope' }, 'REGISTER', 'sip:example.org');
  expect(a.verify([bad], 'REGISTER', lookup)).toEqual({ ok: false, reason: 'bad-response' });
  // The method is part of A2: the same answer does not authorise another method.
  expect(a.verify([good], 'INVITE', lookup).ok).toBe(false);
});

test('RFC 7616 3.3: an expired but genuine nonce is "stale", a forged one is "bad-nonce"', () => {
  const clock = { t: 1000 };
  const a = make(clock);
  const ch = a.challenges()[0];
  const ans = answerChallenge(ch, { user: 'alice', password: 'pw' }, 'REGISTER', 'sip:example.org');
  clock.t += 31_000;
  expect(a.verify([ans], 'REGISTER', lookup)).toEqual({ ok: false, reason: 'stale', user: 'alice' });
  const other = new DigestAuthenticator({ realm, nonceTtlS: 30, algorithms: ['SHA-256', 'MD5'] });
  expect(other.verify([ans], 'REGISTER', lookup)).toEqual({ ok: false, reason: 'bad-nonce' });
  expect(a.challenges(true)[0].stale).toBe('true');
});

test('missing, other-realm, unknown-user and unsupported-algorithm answers are refused', () => {
  const a = new DigestAuthenticator({ realm, nonceTtlS: 30, algorithms: ['SHA-256'] });
  expect(a.verify(undefined, 'REGISTER', lookup)).toEqual({ ok: false, reason: 'missing' });
  const ch = a.challenges()[0];
  const ans = answerChallenge(ch, { user: 'alice', password: 'pw' }, 'REGISTER', 'sip:x');
  expect(a.verify([{ ...ans, realm: '"other"' }], 'REGISTER', lookup)).toEqual({ ok: false, reason: 'wrong-realm' });
  expect(a.verify([{ ...ans, username: '"mallory"' }], 'REGISTER', lookup)).toEqual({ ok: false, reason: 'unknown-user' });
  expect(a.verify([{ ...ans, algorithm: 'MD5' }], 'REGISTER', lookup)).toEqual({ ok: false, reason: 'unsupported-algorithm' });
});

test('RFC 7616 3.4: a replayed Authorization (same nonce and nonce-count) is refused; a higher count is accepted', () => {
  const a = make({ t: 1000 });
  const ch = a.challenges()[0];
  const first = answerChallenge(ch, { user: 'alice', password: 'pw' }, 'REGISTER', 'sip:example.org', 1);
  expect(a.verify([first], 'REGISTER', lookup)).toEqual({ ok: true, user: 'alice' });
  expect(a.verify([first], 'REGISTER', lookup)).toEqual({ ok: false, reason: 'replayed', user: 'alice' });
  const second = answerChallenge(ch, { user: 'alice', password: 'pw' }, 'REGISTER', 'sip:example.org', 2);
  expect(a.verify([second], 'REGISTER', lookup)).toEqual({ ok: true, user: 'alice' });
  expect(a.verify([first], 'REGISTER', lookup).ok).toBe(false);
});

test('RFC 2617 3.2.2: without qop there is no count, so a nonce answers one request', () => {
  const a = make({ t: 1000 });
  const ch = { ...a.challenges()[0] };
  delete ch.qop;
  const ans = answerChallenge(ch, { user: 'alice', password: 'pw' }, 'REGISTER', 'sip:example.org');
  expect(ans.qop).toBeUndefined();
  expect(a.verify([ans], 'REGISTER', lookup).ok).toBe(true);
  expect(a.verify([ans], 'REGISTER', lookup)).toMatchObject({ ok: false, reason: 'replayed' });
});

test('the replay memory is bounded: a nonce forgotten for room is not trusted again, newer ones are', () => {
  const clock = { t: 1000 };
  const a = new DigestAuthenticator({ realm, nonceTtlS: 30, algorithms: ['SHA-256'], now: () => clock.t, maxTrackedNonces: 4 });
  const answers = [];
  for (let i = 0; i < 6; i++) {
    clock.t += 1;
    answers.push(answerChallenge(a.challenges()[0], { user: 'alice', password: 'pw' }, 'REGISTER', 'sip:x'));
  }
  for (const ans of answers) expect(a.verify([ans], 'REGISTER', lookup).ok).toBe(true);
  expect(a.trackedNonces).toBe(4);
  // the first two were forgotten: replaying them must not pass
  expect(a.verify([answers[0]], 'REGISTER', lookup)).toMatchObject({ reason: 'replayed' });
  expect(a.verify([answers[1]], 'REGISTER', lookup)).toMatchObject({ reason: 'replayed' });
  clock.t += 1;
  const fresh = answerChallenge(a.challenges()[0], { user: 'alice', password: 'pw' }, 'REGISTER', 'sip:x');
  expect(a.verify([fresh], 'REGISTER', lookup).ok).toBe(true);
});

test('malformed nonce-count (not 8 hex digits) is refused', () => {
  const a = make({ t: 1000 });
  const ans = answerChallenge(a.challenges()[0], { user: 'alice', password: 'pw' }, 'REGISTER', 'sip:example.org');
  expect(a.verify([{ ...ans, nc: 'zz' }], 'REGISTER', lookup)).toEqual({ ok: false, reason: 'malformed' });
});

test('RFC 7616 3.4 (anti-replay window as RFC 4303 3.4.3): counts answered out of order are each taken once within 32 below the highest; a repeat or an older one never', () => {
  const a = make({ t: 1000 });
  const ch = a.challenges()[0];
  const at = (nc: number) => answerChallenge(ch, { user: 'alice', password: 'pw' }, 'REGISTER', 'sip:example.org', nc);
  expect(a.verify([at(1)], 'REGISTER', lookup).ok).toBe(true);
  // a client pipelining on two connections: 17..20 arrive before 2..16
  for (const nc of [17, 18, 19, 20]) expect(a.verify([at(nc)], 'REGISTER', lookup).ok).toBe(true);
  for (let nc = 2; nc <= 16; nc++) expect(a.verify([at(nc)], 'REGISTER', lookup).ok).toBe(true);
  // each of them only once
  for (const nc of [1, 2, 9, 16, 17, 20]) expect(a.verify([at(nc)], 'REGISTER', lookup)).toMatchObject({ ok: false, reason: 'replayed' });
  // far ahead: what fell out of the window is refused even if never seen
  expect(a.verify([at(100)], 'REGISTER', lookup).ok).toBe(true);
  expect(a.verify([at(60)], 'REGISTER', lookup)).toMatchObject({ ok: false, reason: 'replayed' });
  expect(a.verify([at(80)], 'REGISTER', lookup).ok).toBe(true);
  expect(a.verify([at(80)], 'REGISTER', lookup).ok).toBe(false);
});

describe('RFC 7616 3.3: nonces unique per challenge (attack finding: same millisecond, same nonce)', () => {
  const bob = computeHa1('bob', realm, 'pw2');
  const both = (u: string) => (u === 'alice' ? creds : u === 'bob' ? bob : undefined);

  test('two challenges in the same millisecond carry different nonces', () => {
    const a = make({ t: 1000 });
    const nonces = new Set(Array.from({ length: 100 }, () => unquote(a.challenges()[0].nonce)));
    expect(nonces.size).toBe(100);
  });

  test('nonce-counts are kept per user: another user answering the same nonce with a higher count locks nobody out', () => {
    const a = make({ t: 1000 });
    const ch = a.challenges()[0];
    // bob learned alice's nonce (challenges travel in clear) and answers it with count 0x100
    expect(a.verify([answerChallenge(ch, { user: 'bob', password: 'pw2' }, 'REGISTER', 'sip:example.org', 0x100)], 'REGISTER', both)).toEqual({ ok: true, user: 'bob' });
    expect(a.verify([answerChallenge(ch, { user: 'alice', password: 'pw' }, 'REGISTER', 'sip:example.org', 1)], 'REGISTER', both)).toEqual({ ok: true, user: 'alice' });
  });

  test('a nonce of the earlier time-only form, signed by the same secret, is still taken until it expires', () => {
    const { createHmac } = require('node:crypto') as typeof import('node:crypto');
    const secret = Buffer.alloc(32, 7);
    const clock = { t: 5000 };
    const a = new DigestAuthenticator({ realm, nonceTtlS: 30, algorithms: ['MD5'], now: () => clock.t, secret });
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64BE(BigInt(4000));
    const legacy = Buffer.concat([ts, createHmac('sha256', secret).update(ts).digest().subarray(0, 16)]).toString('base64url');
    expect(a.checkNonce(legacy)).toBe('fresh');
    clock.t = 4000 + 31_000;
    expect(a.checkNonce(legacy)).toBe('stale');
  });

  test('a second spelling of a nonce (base64url skips stray characters) is not ours', () => {
    const a = make({ t: 1000 });
    const nonce = unquote(a.challenges()[0].nonce)!;
    expect(a.checkNonce(nonce)).toBe('fresh');
    expect(a.checkNonce(`${nonce.slice(0, 4)}.${nonce.slice(4)}`)).toBe('bad');
  });
});
