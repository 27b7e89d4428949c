// The outside attack on the admin page (findings F1..F8), each replayed with its exact bytes over
// real sockets against a real admin server.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { AdminServer } from '../../../src/admin/http';
import { parseXml, type XmlElement } from '../../../src/xml';
import { until } from '../../helpers/group';
import { runCli, startServer, tempDir, type ServerHandle } from '../../helpers/server';
import { startTestAdmin } from '../../helpers/admin';

const TOKEN = 'attack-test-token-0123456789';

const startAdmin = startTestAdmin;

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One raw request from `from` (a loopback address); resolves when the connection closes. */
function raw(port: number, bytes: string | Buffer, from = '127.0.0.1'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1', localAddress: from });
    let data = '';
    sock.on('data', (d) => (data += d.toString('latin1')));
    sock.on('error', reject);
    sock.on('close', () => {
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`no answer (${JSON.stringify(data.slice(0, 80))})`));
      const [start, ...lines] = data.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(start!.split(' ')[1]), headers, body: data.slice(end + 4) });
    });
    sock.write(bytes);
  });
}

const bearerGet = (port: number, p: string) => raw(port, `GET ${p} HTTP/1.1\r\nHost: 192.0.2.2:18080\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`);

const SLOW_LOGIN = 'POST /login HTTP/1.1\r\nHost: 192.0.2.2:18080\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{';

/** The F1 attacker: `n` slow-body logins from `from`, a byte each `everyMs`, each reopened at once when closed. */
function slowLogins(port: number, n: number, from: string, everyMs: number): { stop: () => void; opened: () => number } {
  const socks = new Set<net.Socket>();
  let stopped = false;
  let opened = 0;
  const open = (): void => {
    if (stopped) return;
    opened++;
    const s = net.connect({ port, host: '127.0.0.1', localAddress: from });
    socks.add(s);
    s.on('error', () => undefined);
    s.on('connect', () => s.write(SLOW_LOGIN));
    s.on('close', () => {
      socks.delete(s);
      // the attacker reopens at once (a little later when refused, so the test does not spin)
      setTimeout(open, 20);
    });
  };
  for (let i = 0; i < n; i++) open();
  const timer = setInterval(() => {
    for (const s of socks) if (s.writable) s.write(' ');
  }, everyMs);
  return {
    opened: () => opened,
    stop: () => {
      stopped = true;
      clearInterval(timer);
      for (const s of socks) s.destroy();
    },
  };
}


describe('attack findings on the admin port', () => {
  let admin: AdminServer | undefined;
  afterEach(async () => {
    await admin?.close();
    admin = undefined;
  });

  test('F1(a): 70 slow-body logins (one address, no per-address cap in the way) do not keep bearer /healthz and /metrics out', async () => {
    admin = await startAdmin({ token: TOKEN, limits: { maxConnections: 64, maxConnectionsPerAddress: 1024, loginBodyTimeoutMs: 60_000, requestTimeoutMs: 60_000 } });
    const attack = slowLogins(admin.port, 70, '127.0.0.2', 100);
    try {
      const a = admin;
      await until(() => a.connectionStats.live >= 64, 'the attacker holding all 64 slots');
      for (let i = 0; i < 5; i++) {
        expect((await bearerGet(admin.port, '/healthz')).status).toBe(200);
        expect((await bearerGet(admin.port, '/metrics')).status).toBe(200);
      }
      expect(admin.connectionStats.evicted).toBeGreaterThanOrEqual(1);
    } finally {
      attack.stop();
    }
  });

  test('F1(b): one address holds at most a quarter of the cap (16 of 64); beyond, a new one takes its own oldest idle one (a browser\'s keep-alives), never another address\'s', async () => {
    admin = await startAdmin({ token: TOKEN, limits: { maxConnections: 64, loginBodyTimeoutMs: 60_000, requestTimeoutMs: 60_000 } });
    const attack = slowLogins(admin.port, 64, '127.0.0.2', 100);
    try {
      const a = admin;
      await until(() => a.connectionStats.evicted + a.connectionStats.perSourceRefused >= 48, '48 connections over the per-address share');
      expect(admin.connectionStats.live).toBeLessThanOrEqual(16);
      expect((await bearerGet(admin.port, '/healthz')).status).toBe(200);
      expect((await bearerGet(admin.port, '/metrics')).status).toBe(200);
    } finally {
      attack.stop();
    }
  });

  test('F1(c): a trickled /login body gets 408 after the short login deadline; a 5000-byte one 413', async () => {
    admin = await startAdmin({ token: TOKEN, limits: { loginBodyTimeoutMs: 200, requestTimeoutMs: 60_000 } });
    expect((await raw(admin.port, SLOW_LOGIN)).status).toBe(408);
    const big = `POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n`;
    expect((await raw(admin.port, big)).status).toBe(413);
  });

  test('F6: wrong bearer tokens are throttled per address: the 11th in a minute gets 429 in words, the right token too; another address is served', async () => {
    admin = await startAdmin({ token: TOKEN });
    const get = (token: string, from = '127.0.0.1') => raw(admin!.port, `GET /healthz HTTP/1.1\r\nHost: 192.0.2.2:18080\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`, from);
    for (let i = 0; i < 10; i++) expect((await get(`guess-${i}-xxxxxxxxxxxxxxxx`)).status).toBe(401);
    const throttled = await get('guess-10-xxxxxxxxxxxxxxxx');
    expect(throttled.status).toBe(429);
    expect(throttled.body).toMatch(/too many wrong tokens from this address/);
    expect((await get(TOKEN)).status).toBe(429);
    expect((await get(TOKEN, '127.0.0.2')).status).toBe(200);
  });

  test('F4: 300 /login bodies cut short by the client write no error line and are counted', async () => {
    const lines: string[] = [];
    admin = await startAdmin({ token: TOKEN, lines, limits: { maxConnections: 64, maxConnectionsPerAddress: 1024 } });
    const port = admin.port;
    for (let i = 0; i < 300; i += 30) {
      await Promise.all(
        Array.from({ length: 30 }, () =>
          new Promise<void>((resolve) => {
            const s = net.connect(port, '127.0.0.1');
            s.on('error', () => undefined);
            s.on('close', () => resolve());
            s.on('connect', () => s.write('POST /login HTTP/1.1\r\nHost: 192.0.2.2:18080\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"token":', () => setImmediate(() => s.destroy())));
          }),
        ),
      );
    }
    const a = admin;
    await until(() => a.connectionStats.clientAborts + a.connectionStats.evicted >= 300, 'every aborted login seen');
    const parsed = lines.map((l) => JSON.parse(l) as { level: number; msg: string; err?: { stack?: string } });
    expect(parsed.filter((l) => l.level >= 50)).toEqual([]);
    expect(parsed.some((l) => l.err?.stack !== undefined)).toBe(false);
    expect(admin.connectionStats.clientAborts).toBeGreaterThan(0);
  });
});

// ---- against the real `imedge serve` (open mode on loopback) and a real Chromium ----------

const CHROMIUM = '/usr/bin/chromium';

/** A valid group document carrying an XHTML script: it creates a user with the CSRF token of /session. */
const XSS_GROUP = `<?xml version="1.0" encoding="UTF-8"?>
<group xmlns="urn:oma:xml:xdm:group" xmlns:cr="urn:ietf:params:xml:ns:common-policy">
  <list-service uri="sip:xss@localhost">
    <list><entry uri="sip:alice@localhost"/></list>
    <h:script xmlns:h="http://www.w3.org/1999/xhtml">fetch('/session').then((r) => r.json()).then((s) => fetch('/users/pwned', { method: 'PUT', headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf }, body: '{"password":"pwned-pass"}' })).then(() => alert('pwned'));</h:script>
  </list-service>
</group>
`;

describe('attack findings against the real server and Chromium', () => {
  let server: ServerHandle;
  let browser: Browser;
  let port = 0;
  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
    // evil.example resolves to 127.0.0.1 (the rebinding done); Private Network Access is off as in
    // browsers without it (and in a rebinding where the attacker's page itself came from loopback)
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--host-resolver-rules=MAP evil.example 127.0.0.1', '--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,LocalNetworkAccessChecks'] });
    server = await startServer();
    port = server.httpPort;
  });
  afterAll(async () => {
    await browser?.close();
    if (server !== undefined) expect(await server.stop()).toBe(0);
  });

  const req = (bytes: string) => raw(port, bytes);

  test('F2: a stored group document with an XHTML <script> opened in Chromium runs nothing (no user made, no dialog)', async () => {
    const put = await req(`PUT /groups/xss HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(XSS_GROUP)}\r\nConnection: close\r\n\r\n${XSS_GROUP}`);
    expect(put.status).toBe(201);
    const got = await req(`GET /groups/xss HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    expect(got.status).toBe(200);
    expect(got.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
    expect(got.headers['x-content-type-options']).toBe('nosniff');
    expect(got.headers['x-frame-options']).toBe('DENY');
    expect(got.headers['content-disposition']).toBe('attachment; filename="xss.xml"');
    // the shared default: a JSON answer (here a 404) carries them too
    const nf = await req(`GET /groups/nope HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    expect(nf.headers['content-security-policy']).toBe("default-src 'none'; sandbox");

    const context = await browser.newContext();
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    try {
      // the answer is a download: Chromium does not render it (goto reports the aborted navigation)
      await page.goto(`http://127.0.0.1:${port}/groups/xss`).catch(() => undefined);
      // a page of this origin that can see the outcome: give a script the time of one more round trip
      await page.goto(`http://127.0.0.1:${port}/healthz`);
      await page.waitForLoadState('networkidle');
    } finally {
      await context.close();
    }
    expect(dialogs).toEqual([]);
    const users = await req(`GET /users HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    expect(users.status).toBe(200);
    expect(users.body).not.toContain('pwned');
  });

  test('F3: on loopback every request naming a Host that is not loopback is refused (curl-like and Chromium rebinding); no Host passes', async () => {
    for (const p of ['/users', '/registrations', '/sessions', '/status', '/session', '/status/events', '/']) {
      const r = await req(`GET ${p} HTTP/1.1\r\nHost: evil.example:28080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n`);
      expect([p, r.status]).toEqual([p, 403]);
      expect(r.body).toMatch(/loopback/);
    }
    // HTTP/1.0 without Host, and the loopback names, still work
    expect((await req('GET /users HTTP/1.0\r\n\r\n')).status).toBe(200);
    expect((await req(`GET /users HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`)).status).toBe(200);
    expect((await req(`GET /users HTTP/1.1\r\nHost: [::1]:${port}\r\nConnection: close\r\n\r\n`)).status).toBe(200);

    // the rebinding page: Chromium resolves evil.example to 127.0.0.1 and reads same-origin
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      const nav = await page.goto(`http://evil.example:${port}/users`);
      expect(nav?.status()).toBe(403);
      // the attacker's own page, served (here by Playwright) from evil.example before the rebinding
      await page.route(`http://evil.example:${port}/attack`, (r) => r.fulfill({ status: 200, contentType: 'text/html', body: '<html><body>cute cats</body></html>' }));
      await page.goto(`http://evil.example:${port}/attack`);
      const read = await page.evaluate(async () => {
        const out: number[] = [];
        for (const p of ['/users', '/session', '/registrations', '/sessions', '/status', '/status/events']) out.push((await fetch(p)).status);
        return out;
      });
      expect(read).toEqual([403, 403, 403, 403, 403, 403]);
    } finally {
      await context.close();
    }
  });
});

/** A minimal valid group document for sip:<user>@localhost (user as written in the URI). */
const groupDoc = (user: string) => `<?xml version="1.0" encoding="UTF-8"?>
<group xmlns="urn:oma:xml:xdm:group"><list-service uri="sip:${user}@localhost"><list><entry uri="sip:alice@localhost"/></list></list-service></group>
`;

/** A group whose second rule, an unknown element and an unknown action the form does not show. */
const F7_GROUP = `<?xml version="1.0" encoding="UTF-8"?>
<group xmlns="urn:oma:xml:xdm:group" xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:ocp="urn:oma:xml:xdm:common-policy">
  <list-service uri="sip:vip@localhost">
    <display-name>VIP</display-name>
    <list>
      <entry uri="sip:alice@localhost"><display-name>Alice</display-name></entry>
      <entry uri="sip:bob@localhost"/>
    </list>
    <max-participant-count>5</max-participant-count>
    <cr:ruleset>
      <cr:rule id="members">
        <cr:conditions><is-list-member/></cr:conditions>
        <cr:actions>
          <join-handling>allow</join-handling>
          <allow-anonymity>false</allow-anonymity>
          <ocp:allow-extra xml:lang="en">yes</ocp:allow-extra>
        </cr:actions>
      </cr:rule>
      <cr:rule id="vip">
        <cr:conditions>
          <ocp:external-list><ocp:entry anc="sip:vip@localhost"/></ocp:external-list>
        </cr:conditions>
        <cr:actions><join-handling>allow</join-handling><allow-conference-state>true</allow-conference-state></cr:actions>
      </cr:rule>
    </cr:ruleset>
    <ocp:note kind="ops">kept as written</ocp:note>
  </list-service>
</group>
`;

/** An element in meaning: namespace, name, attributes, trimmed text of a leaf, children in order. */
function meaning(e: XmlElement): unknown {
  return { ns: e.ns, name: e.name, attrs: [...e.attrs].sort(), text: e.children.length > 0 ? '' : e.text.trim(), children: e.children.map(meaning) };
}
const find = (e: XmlElement, pred: (x: XmlElement) => boolean): XmlElement | undefined => (pred(e) ? e : e.children.map((c) => find(c, pred)).find((x) => x !== undefined));

describe('attack finding F8: names the page cannot handle', () => {
  let server: ServerHandle;
  let port = 0;
  beforeAll(async () => {
    server = await startServer();
    port = server.httpPort;
  });
  afterAll(async () => {
    if (server !== undefined) expect(await server.stop()).toBe(0);
  });
  const send = (method: string, p: string, type?: string, body = '') =>
    raw(port, `${method} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${type !== undefined ? `Content-Type: ${type}\r\n` : ''}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);

  test('users "." "..", conf-<x> and conference-factory are refused with 400 in words (API)', async () => {
    for (const [p, why] of [['/users/%2e%2e', /path segment/], ['/users/%2E', /path segment/], ['/users/conf-1', /reserved/], ['/users/conference-factory', /reserved/]] as const) {
      const r = await send('PUT', p, 'application/json', '{"password":"secret-pass"}');
      expect([p, r.status]).toEqual([p, 400]);
      expect(r.body).toMatch(why);
    }
    const users = await send('GET', '/users');
    expect(users.body).not.toMatch(/"user":"(\.\.|\.|conf-1|conference-factory)"/);
  });

  test('groups "..", conf-abc and conference-factory are refused with 400 naming the uri (API)', async () => {
    for (const [p, user] of [['/groups/%2e%2e', '..'], ['/groups/conf-abc', 'conf-abc'], ['/groups/conference-factory', 'conference-factory']]) {
      const r = await send('PUT', p!, 'application/xml', groupDoc(user!));
      expect([p, r.status]).toEqual([p, 400]);
      expect(r.body).toMatch(/list-service\/@uri/);
    }
    expect((await send('POST', '/groups', 'application/xml', groupDoc('conf-abc'))).status).toBe(400);
  });

  test('GET /groups lists ids percent-encoded: group a/b is at /groups/a%2Fb and that URI answers', async () => {
    expect((await send('PUT', '/groups/a%2Fb', 'application/xml', groupDoc('a/b'))).status).toBe(201);
    const list = JSON.parse((await send('GET', '/groups')).body) as { groups: { id: string; uri: string }[] };
    const g = list.groups.find((x) => x.id === 'a/b');
    expect(g?.uri).toBe('/groups/a%2Fb');
    expect((await send('GET', g!.uri)).status).toBe(200);
  });

  test('docs: PUT /users with charset=utf-16 is 415, not read as UTF-8; a group document over 64 KiB is 400 naming group', async () => {
    const r = await send('PUT', '/users/bob16', 'application/json; charset=utf-16', '{"password":"secret-pass"}');
    expect(r.status).toBe(415);
    expect(r.body).toMatch(/UTF-8/);
    expect((await send('PUT', '/users/bob8', 'application/json; charset="UTF-8"', '{"password":"secret-pass"}')).status).toBe(201);
    const pad = `<!--${'x'.repeat(65 * 1024)}-->`;
    const big = await send('PUT', '/groups/big', 'application/xml', groupDoc('big').replace('</group>', `${pad}</group>`));
    expect(big.status).toBe(400);
    expect(JSON.parse(big.body).element).toBe('group');
  });

  test('F7: saving the group form keeps what the form does not show (another rule with ocp:external-list, unknown elements and actions) exactly', async () => {
    expect((await send('PUT', '/groups/vip', 'application/xml', F7_GROUP)).status).toBe(201);
    const form = JSON.parse((await send('GET', '/groups/vip/form')).body) as { form: Record<string, unknown>; otherRules: number };
    expect(form.otherRules).toBe(1);
    const saved = await send('PUT', '/groups/vip/form', 'application/json', JSON.stringify({ ...form.form, maxParticipantCount: 7, allowAnonymity: true, members: [...(form.form.members as string[]), 'carol'] }));
    expect([saved.status, saved.body]).toEqual([200, expect.stringContaining('updated')]);
    const before = parseXml(F7_GROUP);
    const after = parseXml((await send('GET', '/groups/vip')).body);
    const vipRule = (d: XmlElement) => find(d, (x) => x.name === 'rule' && x.attrs.get('id') === 'vip')!;
    expect(meaning(vipRule(after))).toEqual(meaning(vipRule(before)));
    const note = (d: XmlElement) => find(d, (x) => x.name === 'note')!;
    expect(meaning(note(after))).toEqual(meaning(note(before)));
    const extra = (d: XmlElement) => find(d, (x) => x.name === 'allow-extra')!;
    expect(meaning(extra(after))).toEqual(meaning(extra(before)));
    const alice = (d: XmlElement) => find(d, (x) => x.name === 'entry' && x.attrs.get('uri') === 'sip:alice@localhost')!;
    expect(meaning(alice(after))).toEqual(meaning(alice(before)));
    // and the form's own fields took effect
    const again = JSON.parse((await send('GET', '/groups/vip/form')).body) as { form: Record<string, unknown> };
    expect(again.form).toMatchObject({ maxParticipantCount: 7, allowAnonymity: true, displayName: 'VIP', members: ['sip:alice@localhost', 'sip:bob@localhost', 'sip:carol@localhost'] });
  });

  test('the CLI refuses the same names with exit 2 (one shared rule)', async () => {
    const dir = tempDir('imedge-f8-');
    const pw = path.join(dir, 'pw');
    fs.writeFileSync(pw, 'secret-pass\n');
    for (const name of ['..', 'conf-1', 'conference-factory']) {
      const r = await runCli(['user', 'add', name, '--password-file', pw, '--data-dir', dir]);
      expect([name, r.code]).toEqual([name, 2]);
      expect(r.stderr).toMatch(/path segment|reserved/);
    }
    const doc = path.join(dir, 'g.xml');
    fs.writeFileSync(doc, groupDoc('conf-abc'));
    const g = await runCli(['group', 'import', doc, '--data-dir', dir]);
    expect(g.code).toBe(2);
    expect(g.stderr).toMatch(/reserved/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('attack finding F5: the data directory is private', () => {
  const mode = (p: string) => fs.statSync(p).mode & 0o777;

  test('a fresh data dir is 0700 and its files 0600; an existing 0644 database becomes 0600 at the next start', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'imedge-f5-'));
    const dataDir = path.join(parent, 'data');
    let server = await startServer({ dataDir });
    try {
      expect(mode(dataDir)).toBe(0o700);
      const files = fs.readdirSync(dataDir);
      expect(files).toEqual(expect.arrayContaining(['imedge.db', 'imedge.db-wal', 'imedge.db-shm']));
      for (const f of files) expect([f, mode(path.join(dataDir, f))]).toEqual([f, 0o600]);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    // as an older imedge left it
    fs.chmodSync(dataDir, 0o755);
    fs.chmodSync(path.join(dataDir, 'imedge.db'), 0o644);
    server = await startServer({ dataDir });
    try {
      for (const f of ['imedge.db', 'imedge.db-wal', 'imedge.db-shm']) expect([f, mode(path.join(dataDir, f))]).toEqual([f, 0o600]);
    } finally {
      expect(await server.stop()).toBe(0);
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });
});
