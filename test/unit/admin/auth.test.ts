// The admin port's access rules (issue 12 item 6): bearer, login cookie, CSRF token, Origin,
// Host on loopback. Requests are plain objects shaped like node's IncomingMessage.
import type * as http from 'node:http';
import { AdminAuth, LOGIN_COOKIE } from '../../../src/admin/auth';

const TOKEN = 'the-admin-token-0123456789';

function rq(method: string, headers: Record<string, string> = {}, remoteAddress = '192.0.2.77'): http.IncomingMessage {
  return { method, headers: { host: '192.0.2.10:8080', ...headers }, socket: { remoteAddress } } as unknown as http.IncomingMessage;
}

function loggedIn(auth: AdminAuth): { cookie: string; csrf: string } {
  const r = auth.login(rq('POST', { origin: 'http://192.0.2.10:8080' }), TOKEN);
  if (!('cookie' in r)) throw new Error(r.error);
  const cookie = r.cookie.split(';')[0]!;
  const a = auth.identify(rq('GET', { cookie }));
  if (a?.kind !== 'cookie') throw new Error('no login');
  return { cookie, csrf: a.csrf };
}

describe('off loopback (a token is set)', () => {
  test('RFC 6750: the bearer token lets a client in and it needs no CSRF token for a change', () => {
    const auth = new AdminAuth({ token: TOKEN, loginTtlMs: 60_000, maxLogins: 4 });
    const req = rq('PUT', { authorization: `Bearer ${TOKEN}` });
    const a = auth.identify(req);
    expect(a).toEqual({ kind: 'bearer' });
    expect(auth.changeRefusal(req, a!)).toBeUndefined();
    expect(auth.identify(rq('GET', { authorization: 'Bearer nope-nope-nope-nope' }))).toBeUndefined();
    expect(auth.identify(rq('GET'))).toBeUndefined();
  });

  test('the login cookie is HttpOnly and SameSite=Strict, not Secure over plain HTTP; it expires', () => {
    let now = 1_000;
    const auth = new AdminAuth({ token: TOKEN, loginTtlMs: 60_000, maxLogins: 4, now: () => now });
    const r = auth.login(rq('POST'), TOKEN);
    expect('cookie' in r && r.cookie).toMatch(new RegExp(`^${LOGIN_COOKIE}=[A-Za-z0-9_-]{43}; Path=/; Max-Age=60; HttpOnly; SameSite=Strict$`));
    const cookie = (r as { cookie: string }).cookie.split(';')[0]!;
    expect(auth.identify(rq('GET', { cookie }))?.kind).toBe('cookie');
    now += 60_000;
    expect(auth.identify(rq('GET', { cookie }))).toBeUndefined();
  });

  test('a change with the cookie needs this Origin and the login\'s CSRF token', () => {
    const auth = new AdminAuth({ token: TOKEN, loginTtlMs: 60_000, maxLogins: 4 });
    const { cookie, csrf } = loggedIn(auth);
    const change = (h: Record<string, string>) => {
      const req = rq('DELETE', { cookie, ...h });
      return auth.changeRefusal(req, auth.identify(req)!);
    };
    expect(change({ origin: 'http://192.0.2.10:8080', 'x-csrf-token': csrf })).toBeUndefined();
    expect(change({ origin: 'http://192.0.2.10:8080' })).toMatch(/CSRF token is missing/);
    expect(change({ origin: 'http://192.0.2.10:8080', 'x-csrf-token': 'wrong' })).toMatch(/not valid/);
    expect(change({ origin: 'http://evil.example', 'x-csrf-token': csrf })).toMatch(/another site/);
    expect(change({ 'sec-fetch-site': 'cross-site', 'x-csrf-token': csrf })).toMatch(/cross-site/);
    // reads are never changes
    const get = rq('GET', { cookie, origin: 'http://evil.example' });
    expect(auth.changeRefusal(get, auth.identify(get)!)).toBeUndefined();
    expect(auth.stats.csrfRefused).toBe(4);
  });

  test('a wrong token is refused in words and counted; beyond 10 a minute logins wait; a cross-site login is refused', () => {
    let now = 0;
    const auth = new AdminAuth({ token: TOKEN, loginTtlMs: 60_000, maxLogins: 4, now: () => now });
    for (let i = 0; i < 10; i++) expect(auth.login(rq('POST'), 'guess')).toEqual({ status: 401, error: expect.stringMatching(/not the admin token/) });
    expect(auth.login(rq('POST'), TOKEN)).toEqual({ status: 429, error: expect.stringMatching(/wait a minute/) });
    now += 60_001;
    expect('cookie' in auth.login(rq('POST'), TOKEN)).toBe(true);
    expect(auth.login(rq('POST', { origin: 'http://evil.example' }), TOKEN)).toMatchObject({ status: 403 });
    expect(auth.stats).toMatchObject({ loginsRefused: 10, loginsThrottled: 1, logins: 1 });
  });

  test('wrong tokens are counted per source address: a noisy address does not lock the others out (attack finding)', () => {
    const auth = new AdminAuth({ token: TOKEN, loginTtlMs: 60_000, maxLogins: 4, now: () => 0 });
    for (let i = 0; i < 10; i++) auth.login(rq('POST', {}, '192.0.2.66'), 'guess');
    expect(auth.login(rq('POST', {}, '192.0.2.66'), TOKEN)).toMatchObject({ status: 429 });
    expect('cookie' in auth.login(rq('POST', {}, '192.0.2.77'), TOKEN)).toBe(true);
    // thousands of sources keep the memory bounded and still throttle the newest
    for (let a = 0; a < 3000; a++) auth.login(rq('POST', {}, `10.0.${a >> 8}.${a & 255}`), 'guess');
    for (let i = 0; i < 9; i++) auth.login(rq('POST', {}, '10.0.11.183'), 'guess');
    expect(auth.login(rq('POST', {}, '10.0.11.183'), TOKEN)).toMatchObject({ status: 429 });
  });

  test('at http.maxLogins a new login replaces the oldest; logout ends one', () => {
    const auth = new AdminAuth({ token: TOKEN, loginTtlMs: 60_000, maxLogins: 2 });
    const [a, b, c] = [loggedIn(auth), loggedIn(auth), loggedIn(auth)];
    expect(auth.identify(rq('GET', { cookie: a.cookie }))).toBeUndefined();
    expect(auth.stats.loginsEvicted).toBe(1);
    const access = auth.identify(rq('GET', { cookie: b.cookie }))!;
    expect(auth.logout(access, rq('POST'))).toMatch(/Max-Age=0/);
    expect(auth.identify(rq('GET', { cookie: b.cookie }))).toBeUndefined();
    expect(auth.identify(rq('GET', { cookie: c.cookie }))?.kind).toBe('cookie');
  });
});

describe('on loopback (no token)', () => {
  const auth = new AdminAuth({ loginTtlMs: 60_000, maxLogins: 4 });

  test('open; a client that is no browser changes things as before', () => {
    const req = rq('PUT', { host: '127.0.0.1:8080' });
    expect(auth.hostAllowed(req)).toBe(true);
    expect(auth.changeRefusal(req, auth.identify(req)!)).toBeUndefined();
  });

  test('a browser change needs the CSRF token of /session and this Origin', () => {
    const a = auth.identify(rq('GET'))!;
    expect(a.kind).toBe('open');
    const csrf = (a as { csrf: string }).csrf;
    const change = (h: Record<string, string>) => auth.changeRefusal(rq('PUT', { host: '127.0.0.1:8080', ...h }), a);
    expect(change({ origin: 'http://127.0.0.1:8080', 'x-csrf-token': csrf })).toBeUndefined();
    expect(change({ origin: 'http://127.0.0.1:8080' })).toMatch(/CSRF/);
    expect(change({ 'sec-fetch-site': 'same-origin' })).toMatch(/CSRF/);
    expect(change({ origin: 'http://evil.example', 'x-csrf-token': csrf })).toMatch(/another site/);
  });

  test('a browser naming a Host that is not loopback (DNS rebinding) is refused', () => {
    expect(auth.hostAllowed(rq('GET', { host: 'evil.example:8080', 'sec-fetch-site': 'same-origin' }))).toBe(false);
    expect(auth.hostAllowed(rq('GET', { host: 'localhost:8080', 'sec-fetch-site': 'same-origin' }))).toBe(true);
    expect(auth.hostAllowed(rq('GET', { host: '[::1]:8080', 'sec-fetch-site': 'same-origin' }))).toBe(true);
    expect(auth.hostAllowed(rq('GET', { host: '127.0.0.1', origin: 'http://127.0.0.1' }))).toBe(true);
    expect(auth.login(rq('POST'), 'x')).toMatchObject({ status: 400 });
  });

  test('attack finding F3: any client naming a Host that is not loopback is refused; no Host passes', () => {
    expect(auth.hostAllowed(rq('GET', { host: 'evil.example:28080' }))).toBe(false);
    expect(auth.hostAllowed(rq('GET', { host: '192.0.2.2' }))).toBe(false);
    expect(auth.hostAllowed(rq('GET', { host: 'localhost.evil.example' }))).toBe(false);
    expect(auth.hostAllowed(rq('GET', { host: '127.0.0.1:28080' }))).toBe(true);
    expect(auth.hostAllowed(rq('GET', { host: '127.9.9.9' }))).toBe(true);
    expect(auth.hostAllowed(rq('GET', { host: 'LOCALHOST:1' }))).toBe(true);
    expect(auth.hostAllowed(rq('GET', { host: '[::1]' }))).toBe(true);
    expect(auth.hostAllowed({ method: 'GET', headers: {}, socket: {} } as unknown as http.IncomingMessage)).toBe(true);
  });
});

describe('attack finding F6: wrong bearer tokens are throttled like wrong logins', () => {
  test('10 wrong tokens a minute per source address (bearer and login together); then 429 in words, even for the right token; another address is not affected', () => {
    let t = 1_000_000;
    const auth = new AdminAuth({ token: TOKEN, loginTtlMs: 60_000, maxLogins: 4, now: () => t });
    const wrong = rq('GET', { authorization: 'Bearer wrong-wrong-wrong-wrong' });
    for (let i = 0; i < 5; i++) {
      expect(auth.bearerThrottled(wrong)).toBeUndefined();
      expect(auth.identify(wrong)).toBeUndefined();
    }
    for (let i = 0; i < 5; i++) expect(auth.login(rq('POST'), 'wrong')).toMatchObject({ status: 401 });
    const right = rq('GET', { authorization: `Bearer ${TOKEN}` });
    expect(auth.bearerThrottled(right)).toMatch(/too many wrong tokens/);
    expect(auth.bearerThrottled(rq('GET', { authorization: `Bearer ${TOKEN}` }, '192.0.2.78'))).toBeUndefined();
    expect(auth.stats.bearerRefused).toBe(5);
    expect(auth.stats.bearerThrottled).toBe(1);
    t += 60_001;
    expect(auth.bearerThrottled(right)).toBeUndefined();
    expect(auth.identify(right)?.kind).toBe('bearer');
  });
});
