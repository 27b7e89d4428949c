// Two ImClients talking directly to each other (A's requests go to B's SIP port and back),
// over real loopback UDP/TCP and MSRP sockets: no server involved.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImClient, NoStoredSessionError, type ImSession, type InboundMessage, type PagerMessage, type EndReason, type ImClientOptions } from '../../../src/client';
import type { IncomingRequest } from '../../../src/sip/stack';

type Transport = 'UDP' | 'TCP';

interface Pair {
  a: ImClient;
  b: ImClient;
  dir: string;
  close(): Promise<void>;
}

async function pair(transport: Transport = 'UDP', extra: Partial<ImClientOptions> = {}): Promise<Pair> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imedge-client-'));
  const base = { domain: 'localhost', server: { host: '127.0.0.1', port: 9, transport }, rejoinWindowMs: 60_000, ...extra };
  const a = await ImClient.start({ ...base, user: 'alice', storeFile: path.join(dir, 'alice.json') });
  const b = await ImClient.start({ ...base, user: 'bob', storeFile: path.join(dir, 'bob.json') });
  a.setServer({ host: '127.0.0.1', port: b.sipPort, transport });
  b.setServer({ host: '127.0.0.1', port: a.sipPort, transport });
  return {
    a, b, dir,
    async close() {
      await a.close();
      await b.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function next<T>(emitter: { once(ev: string, cb: (v: T) => void): unknown }, ev: string): Promise<T> {
  return new Promise((resolve) => emitter.once(ev, resolve));
}

function collect(s: ImSession): InboundMessage[] {
  const got: InboundMessage[] = [];
  s.on('message', (m) => got.push(m));
  return got;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Records the SIP requests a client's stack receives (method and headers), for wire checks. */
function spyRequests(c: ImClient): IncomingRequest['msg'][] {
  const seen: IncomingRequest['msg'][] = [];
  const target = c as unknown as { onRequest(req: IncomingRequest): void };
  const orig = target.onRequest.bind(c);
  target.onRequest = (req: IncomingRequest) => {
    seen.push(req.msg);
    orig(req);
  };
  return seen;
}

describe.each<Transport>(['UDP', 'TCP'])('two clients over SIP/%s, direct', (transport) => {
  let p: Pair;
  beforeEach(async () => {
    p = await pair(transport);
  });
  afterEach(async () => {
    await p.close();
  });

  test('session setup and messages both ways are byte-exact', async () => {
    const incoming = next<ImSession>(p.b, 'session');
    const sa = await p.a.invite('bob');
    const sb = await incoming;
    await sb.ready();
    expect(sb.peer).toBe('sip:alice@localhost');
    expect(sa.peer).toBe('sip:bob@localhost');
    const atA = collect(sa);
    const atB = collect(sb);
    const utf8 = 'héllo € 👋 — ünïcödé';
    const binary = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7 + 3) % 256));
    const r1 = await sa.send(utf8);
    expect(r1.status).toBe(200);
    const r2 = await sb.send(binary, { contentType: 'message/cpim' });
    expect(r2.status).toBe(200);
    await sa.send('second');
    await until(() => atB.length === 2 && atA.length === 1, 'messages');
    expect(atB[0].body.equals(Buffer.from(utf8, 'utf8'))).toBe(true);
    expect(atB[0].contentType).toBe('text/plain');
    expect(atB[1].body.toString()).toBe('second');
    expect(atA[0].body.equals(binary)).toBe(true);
    expect(atA[0].contentType).toBe('message/cpim');
  });

  test('OMA IM 7.1.1.5: modify is a re-INVITE with the new SDP; MSRP continues without loss', async () => {
    const seenByB = spyRequests(p.b);
    const incoming = next<ImSession>(p.b, 'session');
    const sa = await p.a.invite('bob');
    const sb = await incoming;
    await sb.ready();
    const atB = collect(sb);
    const modifiedAtB = next<{ acceptTypes: readonly string[] }>(sb, 'modified');
    const sends: Promise<{ status: number }>[] = [];
    for (let i = 0; i < 20; i++) sends.push(sa.send(`before ${i}`));
    const mod = sa.modify({ acceptTypes: ['text/plain'], maxSize: 4096 });
    for (let i = 0; i < 20; i++) sends.push(sa.send(`during ${i}`));
    await mod;
    for (let i = 0; i < 20; i++) sends.push(sa.send(`after ${i}`));
    const results = await Promise.all(sends);
    expect(results.every((r) => r.status === 200)).toBe(true);
    await until(() => atB.length === 60, '60 messages');
    expect(atB.map((m) => m.body.toString())).toEqual([
      ...Array.from({ length: 20 }, (_, i) => `before ${i}`),
      ...Array.from({ length: 20 }, (_, i) => `during ${i}`),
      ...Array.from({ length: 20 }, (_, i) => `after ${i}`),
    ]);
    expect((await modifiedAtB).acceptTypes).toEqual(['text/plain']);
    expect(sa.acceptTypes).toEqual(['text/plain']);
    const reinvite = seenByB.filter((m) => m.method === 'INVITE' && m.headers.to?.params.tag);
    expect(reinvite).toHaveLength(1);
    expect(reinvite[0].body.toString()).toContain('a=accept-types:text/plain\r\n');
    expect(reinvite[0].body.toString()).toContain('a=max-size:4096');
    expect(seenByB.some((m) => m.method === 'UPDATE')).toBe(false);
    // the negotiated types apply to the running session: message/cpim is now refused (415)
    const refused = await sb.send('x', { contentType: 'message/cpim' });
    expect(refused.status).toBe(415);
    expect((await sb.send('still fine')).status).toBe(200);
  });

  test('OMA IM 7.1.1.12/7.1.1.13: BYE from the caller is answered 200, both sides end; a 1-1 session leaves nothing to rejoin', async () => {
    const seenByB = spyRequests(p.b);
    const incoming = next<ImSession>(p.b, 'session');
    const sa = await p.a.invite('bob');
    const sb = await incoming;
    await sb.ready();
    const endedB = next<EndReason>(sb, 'ended');
    const endedA = next<EndReason>(sa, 'ended');
    const status = await sa.leave();
    expect(status).toBe(200);
    expect(await endedA).toBe('bye-sent');
    expect(await endedB).toBe('bye-received');
    const bye = seenByB.find((m) => m.method === 'BYE');
    // 7.1.1.12 step 2: the Request-URI is the IM Session Identity (the remote target)
    expect(bye?.uri).toBe(sa.identity);
    expect(bye?.headers.privacy).toBeUndefined();
    // OMA IM 7.1.1.9: only group sessions are rejoined (groups.test.ts); a 1-1 identity is not kept
    expect(sa.group).toBe(false);
    expect(p.a.rejoinable()).toEqual([]);
    expect(p.b.rejoinable()).toEqual([]);
    expect(p.a.sessions()).toHaveLength(0);
    expect(p.b.sessions()).toHaveLength(0);
  });

  test('OMA IM 7.1.2.3: BYE from the callee, anonymous (7.1.1.12 step 3: Privacy: id)', async () => {
    const seenByA = spyRequests(p.a);
    const incoming = next<ImSession>(p.b, 'session');
    const sa = await p.a.invite('bob');
    const sb = await incoming;
    await sb.ready();
    const endedA = next<EndReason>(sa, 'ended');
    expect(await sb.leave({ anonymous: true })).toBe(200);
    expect(await endedA).toBe('bye-received');
    expect(sb.endedBy).toBe('bye-sent');
    const bye = seenByA.find((m) => m.method === 'BYE');
    expect(bye?.headers.privacy).toBe('id');
    expect(bye?.uri).toBe(sb.identity);
  });

  test('OMA IM 7.1.1.12 step 3: an anonymous session keeps Privacy: id on its re-INVITE and on the BYE of close()', async () => {
    const seenByB = spyRequests(p.b);
    const incoming = next<ImSession>(p.b, 'session');
    const sa = await p.a.invite('bob', { anonymous: true });
    const sb = await incoming;
    await sb.ready();
    expect(sa.anonymous).toBe(true);
    await sa.modify({ acceptTypes: ['text/plain'] });
    const endedB = next<EndReason>(sb, 'ended');
    // the client leaves every session on close(): no option says anonymous there, the session does
    await p.a.close();
    expect(await endedB).toBe('bye-received');
    const invites = seenByB.filter((m) => m.method === 'INVITE');
    expect(invites.map((m) => m.headers.privacy)).toEqual(['id', 'id']);
    expect(seenByB.find((m) => m.method === 'BYE')?.headers.privacy).toBe('id');
  });

  test('OMA IM 9.1.1: a long message outside a session goes by large message mode; a short one by MESSAGE', async () => {
    const seenByB = spyRequests(p.b);
    const got: PagerMessage[] = [];
    p.b.on('message', (m) => got.push(m));
    const sessionsAtB: ImSession[] = [];
    p.b.on('session', (s) => sessionsAtB.push(s));
    const big = Buffer.alloc(200_000, 'x');
    big.write('start', 0);
    big.write('end', big.length - 3);
    const large = await p.a.sendMessage('bob', big);
    expect(large.mode).toBe('large');
    expect(large.status).toBe(200);
    const small = await p.a.sendMessage('bob', 'tiny €');
    expect(small).toEqual({ mode: 'page', status: 200 });
    await until(() => got.length === 2, 'two messages');
    const l = got.find((m) => m.mode === 'large');
    expect(l?.body.equals(big)).toBe(true);
    expect(l?.from).toBe('sip:alice@localhost');
    const s = got.find((m) => m.mode === 'page');
    expect(s?.body.toString('utf8')).toBe('tiny €');
    const invite = seenByB.find((m) => m.method === 'INVITE');
    expect(invite?.body.toString()).toContain('a=sendonly');
    await until(() => seenByB.some((m) => m.method === 'BYE'), 'the BYE');
    // large message mode is not a chat session and leaves nothing to rejoin
    expect(sessionsAtB).toHaveLength(0);
    expect(p.b.rejoinable()).toHaveLength(0);
    expect(p.a.rejoinable()).toHaveLength(0);
  });
});

describe('direct, UDP', () => {
  let p: Pair;
  afterEach(async () => {
    await p.close();
  });

  test('OMA IM 7.1.1.9 step 1: rejoin without a stored identity fails clearly; a 1-1 session left is not stored', async () => {
    p = await pair('UDP');
    await expect(p.a.rejoin('sip:nobody@127.0.0.1')).rejects.toThrow(NoStoredSessionError);
    await expect(p.a.rejoin('sip:nobody@127.0.0.1')).rejects.toThrow(/no stored IM Session Identity/);
    const first = next<ImSession>(p.b, 'session');
    const sa = await p.a.invite('bob');
    await (await first).ready();
    await sa.leave();
    await expect(p.a.rejoin(sa.identity)).rejects.toThrow(NoStoredSessionError);
    expect(fs.existsSync(path.join(p.dir, 'alice.json'))).toBe(false);
  });

  test('an incoming session refused by the application gets its status; the caller sees SipStatusError', async () => {
    p = await pair('UDP');
    await p.b.close();
    const refusing = await ImClient.start({ user: 'bob', domain: 'localhost', server: { host: '127.0.0.1', port: p.a.sipPort, transport: 'UDP' }, incoming: () => 486 });
    p.a.setServer({ host: '127.0.0.1', port: refusing.sipPort, transport: 'UDP' });
    await expect(p.a.invite('bob')).rejects.toMatchObject({ name: 'SipStatusError', status: 486 });
    await refusing.close();
  });

  test('no common accept-types: 488', async () => {
    p = await pair('UDP');
    await expect(p.a.invite('bob', { acceptTypes: ['image/png'] })).rejects.toMatchObject({ status: 488 });
  });

  test('OMA IM 7.1.1.5: the client answers UPDATE with 405 and an Allow without UPDATE', async () => {
    p = await pair('UDP');
    const incoming = next<ImSession>(p.b, 'session');
    const sa = await p.a.invite('bob');
    await (await incoming).ready();
    const { inDialogRequest } = await import('../../../src/sip/message/dialog');
    const update = inDialogRequest(sa.dialog, 'UPDATE');
    const rs = await p.a.stack.request(update, { targets: [{ protocol: 'UDP', address: '127.0.0.1', port: p.b.sipPort }] });
    expect(rs.status).toBe(405);
    expect(String(rs.headers.allow)).not.toMatch(/UPDATE/);
    expect(String(rs.headers.allow)).toMatch(/INVITE/);
  });

  test('MSRP lost: both sides end with msrp-lost or bye-received', async () => {
    p = await pair('UDP');
    const incoming = next<ImSession>(p.b, 'session');
    const sa = await p.a.invite('bob');
    const sb = await incoming;
    await sb.ready();
    const endedA = next<EndReason>(sa, 'ended');
    const endedB = next<EndReason>(sb, 'ended');
    // cut B's MSRP connection under the session
    (sb as unknown as { media: { endpoint: { connection: { close(): void } } } }).media.endpoint.connection.close();
    expect(await endedB).toBe('msrp-lost');
    expect(['msrp-lost', 'bye-received']).toContain(await endedA);
  });
});
