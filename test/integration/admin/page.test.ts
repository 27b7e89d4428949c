/// <reference lib="dom" />
// Issue 12: the admin page in a real Chromium (Debian's, driven by playwright-core) against the
// real `imedge serve`: status live over Server-Sent Events, a SIPp registration appearing, a
// group session of client-library participants with an anonymous one shown as anonymous, a
// participant removed from the page (OMA IM 7.2.1.9: BYE to it, NOTIFY to the others), a group
// written by the form and read back from the API, users, the login off loopback, CSRF.
// One browser for the file; the status stream pushes every 200 ms here.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ImClient, type ConferenceWatch, type ImSession, type RosterEntry } from '../../../src/client';
import { parseGroupDocument } from '../../../src/xml';
import { startServer, ROOT, type ServerHandle } from '../../helpers/server';
import { requireSipp, sipp, sippPort } from '../../helpers/sipp';
import { groupXml, until } from '../../helpers/group';
import { FakeMcu, PtyPair } from '../device/pty';

const CHROMIUM = '/usr/bin/chromium';
// The README's picture is rewritten only on request (ADMIN_PAGE_SCREENSHOT=1), so a test run
// leaves the working tree clean; otherwise the screenshot goes to a temporary file.
const SCREENSHOT = process.env.ADMIN_PAGE_SCREENSHOT === '1' ? path.join(ROOT, 'docs/admin-page.png') : path.join(os.tmpdir(), `imedge-admin-page-${process.pid}.png`);

/** An address of this machine that is not loopback, to bind the admin port off loopback. */
function offLoopbackAddress(): { bind: string; reach: string } {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return { bind: a.address, reach: a.address };
  }
  // none: bind every address (also off loopback for imedge) and reach it through loopback
  return { bind: '0.0.0.0', reach: '127.0.0.1' };
}

let server: ServerHandle;
let pty: PtyPair;
let mcu: FakeMcu;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let base = '';
const clients: ImClient[] = [];
const consoleProblems: string[] = [];

beforeAll(async () => {
  requireSipp();
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  // the watchdog over a pseudo-terminal and a fake MCU, so the page has heartbeats to show
  pty = await PtyPair.start(fs.mkdtempSync(path.join(os.tmpdir(), 'imedge-page-wd-')));
  mcu = await FakeMcu.start(pty.b);
  // one at a time: whatever started is stopped in afterAll even when the next one fails
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  [server] = await Promise.all([
    startServer({
      args: ['--watchdog-device', pty.a],
      env: {
        IMEDGE_HTTP__STATUS_PUSH_MS: '200',
        IMEDGE_HTTP__MAX_STATUS_CLIENTS: '2',
        // the browser, this test's own fetch pool and its raw requests all come from 127.0.0.1:
        // the per-address share (attack-findings.test.ts tests it) is not what this file tests
        IMEDGE_HTTP__MAX_CONNECTIONS_PER_ADDRESS: '64',
        IMEDGE_WATCHDOG__PERIOD_MS: '200',
        IMEDGE_WATCHDOG__ANSWER_TIMEOUT_MS: '150',
        IMEDGE_WATCHDOG__TIMEOUT_S: '5',
      },
    }),
  ]);
  base = `http://127.0.0.1:${server.httpPort}`;
  context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleProblems.push(m.text());
  });
  page.on('dialog', (d) => void d.accept());
});

afterAll(async () => {
  for (const c of clients) await c.close(500);
  await browser?.close();
  if (server !== undefined) expect(await server.stop()).toBe(0);
  await mcu?.stop();
  await pty?.kill();
  if (!SCREENSHOT.startsWith(ROOT)) fs.rmSync(SCREENSHOT, { force: true });
});

async function user(name: string): Promise<ImClient> {
  const c = await ImClient.start({ user: name, domain: 'localhost', server: { host: '127.0.0.1', port: server.sipPort, transport: 'UDP' }, msrpLossGraceMs: 200 });
  clients.push(c);
  await c.register(300);
  return c;
}

/** A raw request (fetch may not set Host or Origin): status and body. */
function raw(u: string, method: string, headers: Record<string, string>, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const rq = http.request(u, { method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    rq.on('error', reject);
    rq.end(body);
  });
}

const view = async (name: string) => {
  await page.click(`nav a[data-view=${name}]`);
  await page.waitForSelector(`#view-${name}:not([hidden])`);
};

test('the page loads from / with a strict CSP, goes live over Server-Sent Events, and its whole transfer stays under 100 KB', async () => {
  const sizes: Promise<number>[] = [];
  page.on('requestfinished', (rq) => {
    // a request finishing as the browser closes (a loaded machine) has no sizes any more: not a failure
    if (!rq.url().endsWith('/status/events')) sizes.push(rq.sizes().then((s) => s.responseHeadersSize + s.responseBodySize, () => 0));
  });
  const res = await page.goto(`${base}/`);
  expect(res!.status()).toBe(200);
  const h = res!.headers();
  expect(h['content-type']).toBe('text/html; charset=utf-8');
  expect(h['content-security-policy']).toContain("script-src 'self'");
  expect(h['content-security-policy']).not.toContain('unsafe-inline');
  expect(h['cache-control']).toBe('no-cache');
  expect(h.etag).toBeDefined();
  await page.waitForSelector('body[data-ready=true]');
  await page.waitForSelector('#live.on');
  await page.waitForFunction(() => document.querySelector('#health-state')?.textContent === 'healthy');
  const text = await page.textContent('#view-status');
  for (const words of ['sqlite-writable', 'Version', 'bench-x86', 'CPU temperature', 'Memory available', 'Disk free', 'Heartbeats withheld', 'armed', 'no pressure']) expect(text).toContain(words);
  await page.waitForFunction(() => /Heartbeats sent[1-9]/.test(document.querySelector('#watchdog')?.textContent ?? ''));
  // the figures move: uptime is pushed again without a reload
  const up = await page.textContent('#system');
  await page.waitForFunction((before) => document.querySelector('#system')?.textContent !== before, up);
  const total = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
  process.stdout.write(`admin page: total transfer ${total} bytes (${(total / 1024).toFixed(1)} KB) for ${sizes.length} requests\n`);
  expect(total).toBeLessThan(100 * 1024);
  expect(consoleProblems).toEqual([]);
});

test('a static file is answered with its type and a 304 when the browser has it', async () => {
  const css = await fetch(`${base}/ui/style.css`);
  expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  const js = await fetch(`${base}/ui/app.js`, { headers: { 'accept-encoding': 'gzip' } });
  expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  expect(js.headers.get('content-encoding')).toBe('gzip');
  const again = await fetch(`${base}/ui/app.js`, { headers: { 'if-none-match': js.headers.get('etag')! } });
  expect(again.status).toBe(304);
  expect((await fetch(`${base}/ui/nothing.js`)).status).toBe(404);
});

test('status streams beyond http.maxStatusClients are refused with 503 and counted', async () => {
  // the page holds one of the two
  const ctl = new AbortController();
  const second = await fetch(`${base}/status/events`, { signal: ctl.signal });
  expect(second.status).toBe(200);
  const third = await fetch(`${base}/status/events`);
  expect(third.status).toBe(503);
  expect((await third.json()).error).toMatch(/too many status streams/);
  ctl.abort();
  const st = (await (await fetch(`${base}/status`)).json()) as { statusStreams: { refused: number } };
  expect(st.statusStreams.refused).toBeGreaterThanOrEqual(1);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  expect(metrics).toMatch(/^imedge_admin_page_events_total\{event="status_stream_refused"\} [1-9]/m);
  expect(metrics).toMatch(/^imedge_admin_status_streams [1-9]/m);
});

test('a user registered by SIPp appears with its contact and expiry', async () => {
  await view('people');
  const port = sippPort();
  const reg = await sipp(server.sipPort, 'register-expect-200.xml', { service: 'sipp-pagey', localPort: port });
  expect(reg.code).toBe(0);
  const row = page.locator('#registrations tr[data-user="sipp-pagey"]');
  await row.waitFor();
  const text = await row.textContent();
  expect(text).toContain(`:${port}`);
  expect(text).toMatch(/\d+ s/);
});

test('a group created through the form is the same OMA document the API returns; export and import the XML', async () => {
  await view('groups');
  await page.click('#group-new');
  await page.fill('input[name=groupId]', 'pg-team');
  await page.fill('input[name=displayName]', 'Page team');
  await page.fill('textarea[name=members]', 'pg-alice\npg-bob\nsip:pg-carol@localhost');
  await page.fill('input[name=maxParticipantCount]', '5');
  await page.selectOption('select[name=inviteMembers]', 'false');
  await page.selectOption('select[name=joinHandling]', 'allow');
  await page.check('input[name=allowAnonymity]');
  await page.check('input[name=allowInitiateConference]');
  await page.check('input[name=allowConferenceState]');
  await page.selectOption('select[name=autoRelease]', 'true');
  await page.fill('input[name=sessionMaxLength]', '3600');
  await page.selectOption('select[name=numberOfRemainingParticipants]', '1');
  await page.click('#group-form button[type=submit]');
  await page.locator('#groups tr[data-group="pg-team"]').waitFor();
  const res = await fetch(`${base}/groups/pg-team`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/xml/);
  const doc = parseGroupDocument(await res.text());
  expect(doc).toEqual({
    uri: 'sip:pg-team@localhost',
    displayName: 'Page team',
    entries: [{ uri: 'sip:pg-alice@localhost' }, { uri: 'sip:pg-bob@localhost' }, { uri: 'sip:pg-carol@localhost' }],
    inviteMembers: false,
    maxParticipantCount: 5,
    rules: [{ id: 'members', conditions: [{ kind: 'is-list-member' }], actions: { joinHandling: 'allow', allowAnonymity: true, allowInitiateConference: true, allowConferenceState: true } }],
    release: { autoRelease: true, sessionMaxLength: 3600, numberOfRemainingParticipants: 1 },
  });
  // export: the link downloads the stored document
  expect(await page.getAttribute('#groups tr[data-group="pg-team"] a', 'href')).toBe('/groups/pg-team');
  // import: an XML file chosen in the page lands in the store, its id read from the document
  await page.setInputFiles('#group-import', { name: 'pg-imported.xml', mimeType: 'application/xml', buffer: Buffer.from(groupXml({ id: 'pg-imported', members: ['pg-x'] })) });
  await page.locator('#groups tr[data-group="pg-imported"]').waitFor();
  expect((await fetch(`${base}/groups/pg-imported`)).status).toBe(200);
  // an invalid form is refused in words, naming the field; no stack trace reaches the page
  await page.click('#group-new');
  await page.fill('input[name=groupId]', 'pg-bad');
  await page.fill('textarea[name=members]', 'sip:');
  await page.click('#group-form button[type=submit]');
  await page.waitForSelector('#error:not([hidden])');
  const err = await page.textContent('#error');
  expect(err).toMatch(/members/);
  expect(err).not.toMatch(/at .*\.(js|ts):\d+/);
  await page.click('#group-cancel');
});

describe('a group session of client-library participants', () => {
  let alice: ImClient, bob: ImClient, carol: ImClient;
  let sa: ImSession, sb: ImSession, sc: ImSession;
  let watchA: ConferenceWatch;
  const leftAtA: RosterEntry[] = [];

  beforeAll(async () => {
    [alice, bob, carol] = await Promise.all([user('pg-alice'), user('pg-bob'), user('pg-carol')]);
    sa = await alice.joinGroup('pg-team');
    await sa.ready();
    sb = await bob.joinGroup('pg-team');
    await sb.ready();
    // carol joins anonymously (Privacy: id); the group allows it
    sc = await carol.joinGroup('pg-team', { anonymous: true });
    await sc.ready();
    watchA = sa.subscribeConference();
    watchA.on('left', (e) => leftAtA.push(e));
    await watchA.ready();
    await until(() => watchA.roster.filter((e) => e.status === 'connected').length === 3, 'three in the roster');
  });

  test('the page shows the session with its participants; the anonymous one as "anonymous", never its address', async () => {
    await view('people');
    const session = page.locator('#group-sessions .session');
    await session.waitFor();
    await page.waitForFunction(() => document.querySelectorAll('#group-sessions .session tr[data-participant]').length === 3);
    const text = (await session.textContent()) ?? '';
    expect(text).toContain('Page team');
    expect(text).toContain('sip:pg-alice@localhost');
    expect(text).toContain('sip:pg-bob@localhost');
    expect(text).toContain('anonymous');
    expect(text).toContain('initiator');
    expect(text).not.toContain('pg-carol');
    // nor anywhere the page could read it
    expect(await (await fetch(`${base}/sessions`)).text()).not.toContain('pg-carol');
    await page.setViewportSize({ width: 920, height: 600 });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.setViewportSize({ width: 1100, height: 760 });
    const png = fs.readFileSync(SCREENSHOT);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    process.stdout.write(`admin page screenshot: ${SCREENSHOT} (${png.length} bytes)\n`);
  });

  test('OMA IM 7.2.1.9: removing a participant from the page sends it a BYE and the others a conference NOTIFY', async () => {
    const bobEnded = new Promise<string>((r) => sb.once('ended', r));
    await page.locator('#group-sessions tr[data-participant]', { hasText: 'sip:pg-bob@localhost' }).locator('button[data-action=remove]').click();
    expect(await bobEnded).toBe('bye-received');
    await until(() => leftAtA.some((e) => e.entity === 'sip:pg-bob@localhost'), 'alice notified that bob left');
    await page.waitForFunction(() => document.querySelectorAll('#group-sessions .session tr[data-participant]').length === 2);
    expect(sa.ended).toBe(false);
    expect(sc.ended).toBe(false);
  });

  test('OMA IM 7.2.2.8 rule 1f: deleting the group from the page (after the confirmation) ends its session', async () => {
    const ends = [sa, sc].map((s) => new Promise<string>((r) => s.once('ended', r)));
    await view('groups');
    await page.locator('#groups tr[data-group="pg-team"] button.danger').click();
    expect(await Promise.all(ends)).toEqual(['bye-received', 'bye-received']);
    expect((await fetch(`${base}/groups/pg-team`)).status).toBe(404);
    await view('people');
    await page.waitForSelector('#group-sessions p.muted');
  });
});

test('a 1-1 session is listed and can be ended from the page: both clients get a BYE', async () => {
  const [dan, eve] = await Promise.all([user('pg-dan'), user('pg-eve')]);
  const arriving = new Promise<ImSession>((r) => eve.once('session', r));
  const sd = await dan.invite('pg-eve');
  const se = await arriving;
  await Promise.all([sd.ready(), se.ready()]);
  await view('people');
  const row = page.locator('#one-to-one tr[data-session]', { hasText: 'pg-dan' });
  await row.waitFor();
  expect(await row.textContent()).toContain('pg-eve');
  const ends = [sd, se].map((s) => new Promise<string>((r) => s.once('ended', r)));
  await row.locator('button[data-action=end]').click();
  expect(await Promise.all(ends)).toEqual(['bye-received', 'bye-received']);
});

test('users: added in the page with a password (only its HA1 stored), listed, deleted', async () => {
  await view('users');
  const password = 'correct-horse-battery-staple-42';
  await page.fill('#user-form input[name=user]', 'pg-frank');
  await page.fill('#user-form input[name=password]', password);
  await page.fill('#user-form input[name=again]', password);
  await page.click('#user-form button[type=submit]');
  await page.locator('#users tr[data-user="pg-frank"]').waitFor();
  expect(((await (await fetch(`${base}/users`)).json()) as { users: { user: string }[] }).users.map((u) => u.user)).toContain('pg-frank');
  // the password is nowhere in the data directory (database, WAL)
  for (const f of fs.readdirSync(server.dataDir)) {
    const p = path.join(server.dataDir, f);
    if (fs.statSync(p).isFile()) expect(fs.readFileSync(p).includes(password)).toBe(false);
  }
  await page.locator('#users tr[data-user="pg-frank"] button.danger').click();
  await page.waitForSelector('#users tr[data-user="pg-frank"]', { state: 'detached' });
});

test('CSRF on loopback: a change from another origin, or from the page without the CSRF token, is refused in words', async () => {
  const status = await page.evaluate(async () => {
    const r = await fetch('/users/pg-csrf', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: 'x' }) });
    return { status: r.status, body: await r.json() };
  });
  expect(status.status).toBe(403);
  expect(status.body.error).toMatch(/CSRF token is missing/);
  const cross = await raw(`${base}/users/pg-csrf`, 'PUT', { 'content-type': 'application/json', origin: 'http://evil.example' }, '{"password":"x"}');
  expect(cross.status).toBe(403);
  expect(cross.body).toMatch(/another site/);
  // a request naming another site's Host (DNS rebinding) is refused on loopback, browser or not
  const rebound = await raw(`${base}/status`, 'GET', { host: 'evil.example:8080' });
  expect(rebound.status).toBe(403);
  expect(rebound.body).toMatch(/loopback/);
  // a client that is no browser (no Origin, no Sec-Fetch-Site) changes things as before
  const curl = await raw(`${base}/users/pg-curl`, 'PUT', { 'content-type': 'application/json' }, '{"password":"x"}');
  expect(curl.status).toBe(201);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  expect(metrics).toMatch(/^imedge_admin_page_events_total\{event="csrf_refused"\} [2-9]/m);
  expect(metrics).toMatch(/^imedge_admin_page_events_total\{event="host_refused"\} [1-9]/m);
});

describe('off loopback', () => {
  let remote: ServerHandle;
  let token = '';
  let url = '';
  let ctx: BrowserContext;
  let p: Page;

  beforeAll(async () => {
    const addr = offLoopbackAddress();
    remote = await startServer({ args: ['--bind', addr.bind], env: { IMEDGE_HTTP__STATUS_PUSH_MS: '200' } });
    token = fs.readFileSync(path.join(remote.dataDir, 'admin-token'), 'utf8').trim();
    url = `http://${addr.reach}:${remote.httpPort}`;
    ctx = await browser.newContext();
    p = await ctx.newPage();
  });

  afterAll(async () => {
    await ctx?.close();
    if (remote !== undefined) expect(await remote.stop()).toBe(0);
  });

  test('without the token the page sends the browser to the login form and the API answers 401', async () => {
    await p.goto(`${url}/`);
    expect(new URL(p.url()).pathname).toBe('/login');
    expect((await fetch(`${url}/status`)).status).toBe(401);
    expect((await fetch(`${url}/ui/app.js`)).status).toBe(401);
    // a wrong token: refused in words
    await p.fill('input[name=token]', 'not-the-token-at-all');
    await p.click('button[type=submit]');
    await p.waitForSelector('#error:not([hidden])');
    expect(await p.textContent('#error')).toMatch(/not the admin token/);
  });

  test('logging in with the token sets an HttpOnly, SameSite=Strict cookie; the page works; a change without the CSRF token is refused', async () => {
    await p.fill('input[name=token]', token);
    await p.click('button[type=submit]');
    await p.waitForSelector('body[data-ready=true]');
    await p.waitForSelector('#live.on');
    expect(await p.isVisible('#logout')).toBe(true);
    const [cookie] = await ctx.cookies();
    expect(cookie).toMatchObject({ name: 'imedge_admin', httpOnly: true, sameSite: 'Strict', secure: false });
    expect(await p.evaluate(() => document.cookie)).toBe('');
    const noCsrf = await p.evaluate(async () => (await fetch('/users/pg-x', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"password":"x"}' })).status);
    expect(noCsrf).toBe(403);
    // the page's own form carries it
    await p.click('nav a[data-view=users]');
    await p.fill('#user-form input[name=user]', 'pg-remote');
    await p.fill('#user-form input[name=password]', 'pw-remote-1');
    await p.fill('#user-form input[name=again]', 'pw-remote-1');
    await p.click('#user-form button[type=submit]');
    await p.locator('#users tr[data-user="pg-remote"]').waitFor();
    // the cookie alone, from outside the page (no Origin of this page, no CSRF token): refused
    const stolen = await raw(`${url}/users/pg-remote`, 'DELETE', { cookie: `${cookie!.name}=${cookie!.value}`, origin: 'http://evil.example' });
    expect(stolen.status).toBe(403);
    const noToken = await raw(`${url}/users/pg-remote`, 'DELETE', { cookie: `${cookie!.name}=${cookie!.value}`, origin: url });
    expect(noToken.status).toBe(403);
    expect(noToken.body).toMatch(/CSRF token is missing/);
  });

  test('bearer-token API clients work unchanged (no cookie, no CSRF token)', async () => {
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${url}/status`, { headers: auth })).status).toBe(200);
    const put = await fetch(`${url}/groups/pg-remote-team`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/xml' }, body: groupXml({ id: 'pg-remote-team', members: ['pg-remote'] }) });
    expect(put.status).toBe(201);
  });

  test('logging out ends the login', async () => {
    await p.click('#logout');
    await p.waitForURL(/\/login$/);
    await p.goto(`${url}/`);
    expect(new URL(p.url()).pathname).toBe('/login');
  });
});

test('the whole run: the browser reported no Content-Security-Policy violation on the page', () => {
  expect(consoleProblems.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
});
