// Registrar and page-mode MESSAGE over real UDP and TCP loopback sockets against the real
// `imedge serve` process (RFC 3261 10.3, RFC 3428, RFC 8760, OMA IM 7.1.1.5).
import { answerChallenge } from '../../../src/core/auth/digest';
import { startServer, runCli, tempDir, type ServerHandle } from '../../helpers/server';
import { SipPeer, header, headers, rid } from '../../helpers/sip-peer';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { metric } from '../phones/tools';

const DOMAIN = 'localhost';
const aor = (u: string) => `sip:${u}@${DOMAIN}`;

async function register(peer: SipPeer, user: string, expires = 300, extra: Record<string, string> = {}) {
  return peer.request({
    method: 'REGISTER',
    uri: `sip:${DOMAIN}`,
    from: aor(user),
    to: aor(user),
    contact: `<${peer.contactUri}>`,
    headers: { Expires: String(expires), ...extra },
  });
}

describe.each(['UDP', 'TCP'] as const)('registrar and MESSAGE over %s (open registration on loopback)', (transport) => {
  let server: ServerHandle;
  const peers: SipPeer[] = [];
  const open = async () => {
    const p = await SipPeer.open(transport, server.sipPort);
    peers.push(p);
    return p;
  };

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    peers.forEach((p) => p.close());
    expect(await server.stop()).toBe(0);
  });

  test('RFC 3261 10.3: register, refresh, list bindings, unregister with Expires: 0', async () => {
    const alice = await open();
    const callId = rid();
    const r1 = await alice.request({ method: 'REGISTER', uri: `sip:${DOMAIN}`, from: aor('alice'), to: aor('alice'), callId, cseq: 1, contact: `<${alice.contactUri}>`, headers: { Expires: '300' } });
    expect(r1.status).toBe(200);
    expect(header(r1, 'contact')).toContain(alice.contactUri);
    expect(header(r1, 'contact')).toMatch(/expires=(29\d|300)/);
    const r2 = await alice.request({ method: 'REGISTER', uri: `sip:${DOMAIN}`, from: aor('alice'), to: aor('alice'), callId, cseq: 2, contact: `<${alice.contactUri}>`, headers: { Expires: '600' } });
    expect(r2.status).toBe(200);
    expect(header(r2, 'contact')).toMatch(/expires=(59\d|600)/);
    const r3 = await alice.request({ method: 'REGISTER', uri: `sip:${DOMAIN}`, from: aor('alice'), to: aor('alice'), callId, cseq: 3, contact: `<${alice.contactUri}>`, headers: { Expires: '0' } });
    expect(r3.status).toBe(200);
    expect(header(r3, 'contact')).toBeUndefined();
  });

  test('RFC 3261 10.3: several contacts per user and "*" removal', async () => {
    const a1 = await open();
    const a2 = await open();
    expect((await register(a1, 'multi')).status).toBe(200);
    const r = await register(a2, 'multi');
    expect(r.status).toBe(200);
    const contacts = headers(r, 'contact').join(',');
    expect(contacts).toContain(a1.contactUri);
    expect(contacts).toContain(a2.contactUri);
    const bad = await a1.request({ method: 'REGISTER', uri: `sip:${DOMAIN}`, from: aor('multi'), to: aor('multi'), contact: '*', headers: { Expires: '60' } });
    expect(bad.status).toBe(400);
    const star = await a1.request({ method: 'REGISTER', uri: `sip:${DOMAIN}`, from: aor('multi'), to: aor('multi'), contact: '*', headers: { Expires: '0' } });
    expect(star.status).toBe(200);
    expect(header(star, 'contact')).toBeUndefined();
  });

  test('RFC 3261 10.3 (F11): the contact over registrar.maxContactsPerUser (10) replaces the binding that expires soonest, counted', async () => {
    const p = await open();
    const nat = (i: number) => `sip:hopper@127.0.0.1:${6100 + i}`;
    const callId = rid();
    // a phone that changed address 11 times; each binding asks a little longer, so the first expires soonest
    let last: Awaited<ReturnType<typeof register>> | undefined;
    for (let i = 0; i <= 10; i++) {
      last = await p.request({ method: 'REGISTER', uri: `sip:${DOMAIN}`, from: aor('hopper'), to: aor('hopper'), callId, cseq: i + 1, contact: `<${nat(i)}>`, headers: { Expires: String(300 + i) } });
      expect(last.status).toBe(200);
    }
    const contacts = headers(last!, 'contact').join(',');
    expect(contacts).not.toContain(`<${nat(0)}>`);
    expect(contacts).toContain(`<${nat(10)}>`);
    expect(contacts).toContain(`<${nat(1)}>`);
    expect(contacts.split(',')).toHaveLength(10);
    expect(await metric(server, 'imedge_registrar_contacts_replaced_total')).toBeGreaterThanOrEqual(1);
  });

  test('RFC 3261 10.3 step 7: too brief an interval gets 423 with Min-Expires', async () => {
    const p = await open();
    const r = await register(p, 'brief', 5);
    expect(r.status).toBe(423);
    expect(Number(header(r, 'min-expires'))).toBeGreaterThan(5);
  });

  test('RFC 3428: MESSAGE reaches every registered contact byte-exact and the answer returns', async () => {
    const bob1 = await open();
    const bob2 = await open();
    const alice = await open();
    expect((await register(bob1, 'bob')).status).toBe(200);
    expect((await register(bob2, 'bob')).status).toBe(200);
    const text = 'héllo € — привет — 你好 — 🙂';
    const r = await alice.request({ method: 'MESSAGE', uri: aor('bob'), from: aor('alice'), to: aor('bob'), headers: { 'Content-Type': 'text/plain;charset=utf-8' }, body: text });
    expect(r.status).toBe(200);
    for (const b of [bob1, bob2]) {
      const got = b.received.find((m) => m.method === 'MESSAGE');
      expect(got).toBeDefined();
      expect(got!.body.equals(Buffer.from(text, 'utf8'))).toBe(true);
      expect(Number(header(got!, 'content-length'))).toBe(Buffer.byteLength(text));
    }
  });

  test('RFC 3428: the final response of the target is returned to the sender', async () => {
    const carol = await open();
    carol.onRequest = (m, p) => p.answer(m, 486, 'Busy Here');
    expect((await register(carol, 'carol')).status).toBe(200);
    const alice = await open();
    const r = await alice.request({ method: 'MESSAGE', uri: aor('carol'), from: aor('alice'), to: aor('carol'), headers: { 'Content-Type': 'text/plain' }, body: 'hi' });
    expect(r.status).toBe(486);
  });

  test('MESSAGE to an unknown user is 404; to a known user without binding 480', async () => {
    const alice = await open();
    const unknown = await alice.request({ method: 'MESSAGE', uri: aor('nobody'), from: aor('alice'), to: aor('nobody'), body: 'x', headers: { 'Content-Type': 'text/plain' } });
    expect(unknown.status).toBe(404);
    const dave = await open();
    expect((await register(dave, 'dave')).status).toBe(200);
    expect((await register(dave, 'dave', 0)).status).toBe(200);
    // dave is provisioned? No: open registration; add him so he is "known".
    const res = await runCli(['user', 'add', 'dave', '--data-dir', server.dataDir], { input: 'pw\n' });
    expect(res.code).toBe(0);
    const known = await alice.request({ method: 'MESSAGE', uri: aor('dave'), from: aor('alice'), to: aor('dave'), body: 'x', headers: { 'Content-Type': 'text/plain' } });
    expect(known.status).toBe(480);
  });

  test('OMA IM 7.1.1.5: OPTIONS lists Allow without UPDATE; UPDATE gets 405 with Allow', async () => {
    const p = await open();
    const r = await p.request({ method: 'OPTIONS', uri: `sip:${DOMAIN}`, from: aor('alice'), to: `sip:${DOMAIN}` });
    expect(r.status).toBe(200);
    const allow = header(r, 'allow')!.split(/\s*,\s*/);
    expect(allow).toEqual(expect.arrayContaining(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'MESSAGE', 'REGISTER']));
    // only what exists is advertised: SUBSCRIBE/NOTIFY came back with the conference event package
    expect(allow).toEqual(expect.arrayContaining(['SUBSCRIBE', 'NOTIFY']));
    expect(allow).not.toContain('UPDATE');
    expect(header(r, 'allow-events')).toBe('conference');
    // group sessions bring the factory's body types and their option tags (issue 9 item 9)
    expect(header(r, 'accept')!.split(/\s*,\s*/).sort()).toEqual(['application/conference-info+xml', 'application/resource-lists+xml', 'application/sdp', 'message/cpim', 'multipart/mixed', 'text/plain']);
    expect(header(r, 'supported')!.split(/\s*,\s*/).sort()).toEqual(['recipient-list-invite', 'replaces']);
    const u = await p.request({ method: 'UPDATE', uri: aor('bob'), from: aor('alice'), to: aor('bob') });
    expect(u.status).toBe(405);
    expect(header(u, 'allow')).not.toContain('UPDATE');
  });
});

describe('digest authentication (RFC 8760) when required', () => {
  let server: ServerHandle;
  const peers: SipPeer[] = [];
  beforeAll(async () => {
    const dataDir = tempDir();
    const pw = path.join(dataDir, 'pw');
    fs.writeFileSync(pw, 's3cret\n');
    expect((await runCli(['user', 'add', 'erin', '--data-dir', dataDir, '--password-file', pw])).code).toBe(0);
    server = await startServer({ dataDir, env: { IMEDGE_AUTH__MODE: 'required', IMEDGE_AUTH__NONCE_TTL_S: '10' } });
  });
  afterAll(async () => {
    peers.forEach((p) => p.close());
    await server.stop();
  });

  test.each(['SHA-256', 'MD5'])('challenge with 401, then success with %s', async (alg) => {
    const p = await SipPeer.open('UDP', server.sipPort);
    peers.push(p);
    const callId = rid();
    const spec = { method: 'REGISTER', uri: `sip:${DOMAIN}`, from: aor('erin'), to: aor('erin'), callId, contact: `<${p.contactUri}>`, headers: { Expires: '120' } };
    const c = await p.request({ ...spec, cseq: 1 });
    expect(c.status).toBe(401);
    const challenges = headers(c, 'www-authenticate');
    expect(challenges[0]).toMatch(/algorithm=SHA-256/);
    expect(challenges.some((h) => /algorithm=MD5/.test(h))).toBe(true);
    const chosen = challenges.find((h) => h.includes(`algorithm=${alg}`))!;
    const params = Object.fromEntries([...chosen.replace(/^Digest\s+/, '').matchAll(/(\w+)=("[^"]*"|[^,]+)/g)].map((m) => [m[1], m[2]]));
    const auth = answerChallenge({ scheme: 'Digest', ...params } as never, { user: 'erin', password: 's3cret' }, 'REGISTER', `sip:${DOMAIN}`);
    const authText = 'Digest ' + Object.entries(auth).filter(([k]) => k !== 'scheme').map(([k, v]) => `${k}=${v}`).join(', ');
    const ok = await p.request({ ...spec, cseq: 2, headers: { ...spec.headers, Authorization: authText } });
    expect(ok.status).toBe(200);
  });

  test('RFC 7616 3.4: a replayed Authorization (same nonce, same nc) in a new request is challenged again with stale=true', async () => {
    const p = await SipPeer.open('UDP', server.sipPort);
    peers.push(p);
    const spec = { method: 'REGISTER', uri: `sip:${DOMAIN}`, from: aor('erin'), to: aor('erin'), callId: rid(), contact: `<${p.contactUri}>`, headers: { Expires: '120' } };
    const c = await p.request({ ...spec, cseq: 1 });
    const chosen = headers(c, 'www-authenticate')[0];
    const params = Object.fromEntries([...chosen.replace(/^Digest\s+/, '').matchAll(/(\w+)=("[^"]*"|[^,]+)/g)].map((m) => [m[1], m[2]]));
    const auth = answerChallenge({ scheme: 'Digest', ...params } as never, { user: 'erin', password: 's3cret' }, 'REGISTER', `sip:${DOMAIN}`);
    const authText = 'Digest ' + Object.entries(auth).filter(([k]) => k !== 'scheme').map(([k, v]) => `${k}=${v}`).join(', ');
    expect((await p.request({ ...spec, cseq: 2, headers: { ...spec.headers, Authorization: authText } })).status).toBe(200);
    // an eavesdropper sends the same Authorization in a request of its own
    const thief = await SipPeer.open('UDP', server.sipPort);
    peers.push(thief);
    const replay = await thief.request({ ...spec, callId: rid(), contact: `<${thief.contactUri}>`, cseq: 1, headers: { ...spec.headers, Authorization: authText } });
    expect(replay.status).toBe(401);
    expect(headers(replay, 'www-authenticate')[0]).toMatch(/stale=true/);
    // the server's debug log of the whole run holds neither the digest response nor the password
    expect(JSON.stringify(server.lines)).not.toContain(String(auth.response).replace(/"/g, ''));
    expect(JSON.stringify(server.lines)).not.toContain('s3cret');
  });

  test('wrong password is challenged again (401)', async () => {
    const p = await SipPeer.open('TCP', server.sipPort);
    peers.push(p);
    const spec = { method: 'REGISTER', uri: `sip:${DOMAIN}`, from: aor('erin'), to: aor('erin'), callId: rid(), contact: `<${p.contactUri}>` };
    const c = await p.request({ ...spec, cseq: 1 });
    const chosen = headers(c, 'www-authenticate')[0];
    const params = Object.fromEntries([...chosen.replace(/^Digest\s+/, '').matchAll(/(\w+)=("[^"]*"|[^,]+)/g)].map((m) => [m[1], m[2]]));
    const auth = answerChallenge({ scheme: 'Digest', ...params } as never, { user: 'erin', password: 'wrong' }, 'REGISTER', `sip:${DOMAIN}`);
    const authText = 'Digest ' + Object.entries(auth).filter(([k]) => k !== 'scheme').map(([k, v]) => `${k}=${v}`).join(', ');
    const r = await p.request({ ...spec, cseq: 2, headers: { Authorization: authText } });
    expect(r.status).toBe(401);
  });

  test('MESSAGE without credentials gets 407', async () => {
    const p = await SipPeer.open('UDP', server.sipPort);
    peers.push(p);
    const r = await p.request({ method: 'MESSAGE', uri: aor('erin'), from: aor('erin'), to: aor('erin'), body: 'x', headers: { 'Content-Type': 'text/plain' } });
    expect(r.status).toBe(407);
    expect(header(r, 'proxy-authenticate')).toMatch(/^Digest /);
  });
});
