// The client library against the real `imedge serve` (compiled) in group sessions: ad-hoc
// through the conference factory (OMA IM 7.1.1.6), its MAX-ADHOC-GROUP-SIZE on both sides,
// extending a 1-1 session with Replaces, pre-defined groups, removal and rejoin (7.1.1.9,
// 7.1.2.3), anonymous senders. Every user a fresh name: the server is shared by the file.
import { PassThrough } from 'node:stream';
import { runChat } from '../../../src/cli/chat';
import { ImClient, SipStatusError, type EndReason, type ImSession, type InboundMessage } from '../../../src/client';
import { putGroup } from '../../helpers/group';
import { startServer, type ServerHandle } from '../../helpers/server';

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 800; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const next = <T>(e: { once(ev: string, cb: (v: T) => void): unknown }, ev: string) => new Promise<T>((r) => e.once(ev, r));

function collect(s: ImSession): InboundMessage[] {
  const got: InboundMessage[] = [];
  s.on('message', (m) => got.push(m));
  return got;
}

let server: ServerHandle;
const clients: ImClient[] = [];
beforeAll(async () => {
  // the server's MAX-ADHOC-GROUP-SIZE is 3: a client provisioned with more meets its 403
  server = await startServer({ env: { IMEDGE_GROUPS__MAX_ADHOC_SIZE: '3' } });
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close(500);
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

async function user(name: string, extra: { maxAdhocGroupSize?: number; transport?: 'UDP' | 'TCP' } = {}): Promise<ImClient> {
  const { transport = 'UDP', ...rest } = extra;
  const c = await ImClient.start({
    user: name, domain: 'localhost', server: { host: '127.0.0.1', port: server.sipPort, transport }, rejoinWindowMs: 60_000, msrpLossGraceMs: 200, ...rest,
  });
  clients.push(c);
  await c.register(300);
  return c;
}

test('OMA IM 7.1.1.6: an ad-hoc group through the server: invitees join as group sessions, senders come from CPIM; the initiator leaving ends it for all (7.2.2.8 1a)', async () => {
  const [alice, bob, carol] = await Promise.all([user('e2a-alice'), user('e2a-bob'), user('e2a-carol')]);
  const atBob = next<ImSession>(bob, 'session');
  const atCarol = next<ImSession>(carol, 'session');
  const sa = await alice.startGroup(['e2a-bob', 'e2a-carol']);
  const [sb, sc] = await Promise.all([atBob, atCarol]);
  await Promise.all([sb.ready(), sc.ready()]);
  expect(sa.group && sb.group && sc.group).toBe(true);
  expect(sa.identity).toMatch(/^sip:conf-[A-Za-z0-9]+@127\.0\.0\.1:\d+$/);
  expect(sb.identity).toBe(sa.identity);
  const [atA, atB, atC] = [collect(sa), collect(sb), collect(sc)];
  expect((await sa.send('hello group')).status).toBe(200);
  await until(() => atB.length === 1 && atC.length === 1, 'alice fanned out');
  expect((await sc.send('carol here ✓')).status).toBe(200);
  await until(() => atA.length === 1 && atB.length === 2, 'carol fanned out');
  expect(atB[0]).toMatchObject({ contentType: 'text/plain', sender: { uri: 'sip:e2a-alice@localhost', anonymous: false } });
  expect(atB[0].body.toString()).toBe('hello group');
  expect(atA[0].sender?.uri).toBe('sip:e2a-carol@localhost');
  expect(atA[0].body.toString()).toBe('carol here ✓');
  const endedB = next<EndReason>(sb, 'ended');
  expect(await sa.leave()).toBe(200);
  expect(await endedB).toBe('bye-received');
  // 7.1.2.3 note: a group session ended by the server is kept for rejoin, but this one is gone
  expect(bob.rejoinable().map((e) => e.sessionId)).toEqual([sb.identity]);
  await expect(bob.rejoin(sb.identity)).rejects.toMatchObject({ name: 'SipStatusError', status: 404 });
});

test('OMA IM 7.1.1.6 step 5: the client refuses its own limit locally; the server\'s 403 + Warning reaches the user', async () => {
  const strict = await user('e2m-alice', { maxAdhocGroupSize: 2 });
  await expect(strict.startGroup(['e2m-b', 'e2m-c', 'e2m-d'])).rejects.toThrow(/too many invited users: 3.*nothing was sent/);
  const lax = await user('e2m-erin', { maxAdhocGroupSize: 10 });
  const err = await lax.startGroup(['e2m-w', 'e2m-x', 'e2m-y', 'e2m-z']).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SipStatusError);
  expect(err).toMatchObject({ status: 403, warningText: 'Too many invited users: 4 listed, MAX-ADHOC-GROUP-SIZE is 3' });
});

test('OMA IM 7.1.1.6 steps 3 and 8 (Appendix M): extending a 1-1 session; the peer is re-invited with Replaces; both old sessions end as replaced', async () => {
  const [alice, bob, carol] = await Promise.all([user('e2x-alice'), user('e2x-bob'), user('e2x-carol')]);
  const atBob = next<ImSession>(bob, 'session');
  const old = await alice.invite('e2x-bob');
  const oldB = await atBob;
  await oldB.ready();
  const oldEndedA = next<EndReason>(old, 'ended');
  const oldEndedB = next<EndReason>(oldB, 'ended');
  const newAtBob = next<ImSession>(bob, 'session');
  const atCarol = next<ImSession>(carol, 'session');
  const group = await old.inviteMore(['e2x-carol']);
  const [nb, nc] = await Promise.all([newAtBob, atCarol]);
  await Promise.all([nb.ready(), nc.ready()]);
  expect(group.group && nb.group && nc.group).toBe(true);
  expect(await oldEndedA).toBe('replaced');
  expect(await oldEndedB).toBe('replaced');
  expect(alice.sessions()).toEqual([group]);
  expect(bob.sessions()).toEqual([nb]);
  const [atB, atC] = [collect(nb), collect(nc)];
  await group.send('three of us now');
  await until(() => atB.length === 1 && atC.length === 1, 'fan-out');
  expect(atC[0].sender?.uri).toBe('sip:e2x-alice@localhost');
  expect(alice.rejoinable()).toEqual([]);
});

test('pre-defined group: joinGroup, leaving and rejoining with the stored identity (OMA IM 7.1.1.9; the group keeps a session of one, 7.2.2.8 number-of-remaining-participants 0); an anonymous member shows as anonymous', async () => {
  expect(await putGroup(server.httpPort, { id: 'e2g-team', members: ['e2g-alice', 'e2g-bob', 'e2g-carol'], anonymity: true, remaining: 0 })).toBe(201);
  const [alice, bob, carol] = await Promise.all([user('e2g-alice'), user('e2g-bob'), user('e2g-carol')]);
  const sa = await alice.joinGroup('e2g-team');
  const sb = await bob.joinGroup('e2g-team');
  expect(sa.group && sb.group).toBe(true);
  expect(sb.identity).toBe(sa.identity);
  const atA = collect(sa);
  await sb.send('bob in');
  await until(() => atA.length === 1, 'bob to alice');
  expect(atA[0].sender?.uri).toBe('sip:e2g-bob@localhost');
  // bob leaves (7.1.1.12) and rejoins (7.1.1.9) with the identity he kept
  expect(await sb.leave()).toBe(200);
  expect(bob.rejoinable().map((e) => e.sessionId)).toEqual([sb.identity]);
  const back = await bob.rejoin(sb.identity);
  expect(back.identity).toBe(sa.identity);
  await back.send('bob back');
  await until(() => atA.length === 2, 'after rejoin');
  expect(atA[1].body.toString()).toBe('bob back');
  // carol joins anonymously (Privacy: id, allowed by the group): the others see no identity
  const sc = await carol.joinGroup('e2g-team', { anonymous: true });
  await sc.send('guess who');
  await until(() => atA.length === 3, 'anonymous message');
  expect(atA[2].sender).toMatchObject({ anonymous: true });
  expect(atA[2].sender?.uri).not.toContain('carol');
});

test('over SIP/TCP the IM Session Identity carries ;transport=tcp, and rejoin by it works', async () => {
  expect(await putGroup(server.httpPort, { id: 'e2t-team', members: ['e2t-alice', 'e2t-bob'], remaining: 0 })).toBe(201);
  const [alice, bob] = await Promise.all([user('e2t-alice', { transport: 'TCP' }), user('e2t-bob', { transport: 'TCP' })]);
  const sa = await alice.joinGroup('e2t-team');
  const sb = await bob.joinGroup('e2t-team');
  expect(sb.identity).toMatch(/^sip:conf-[A-Za-z0-9]+@127\.0\.0\.1:\d+;transport=tcp$/);
  expect(await sb.leave()).toBe(200);
  const back = await bob.rejoin(sb.identity);
  const atA = collect(sa);
  await back.send('over tcp');
  await until(() => atA.length === 1, 'message after rejoin');
  expect(atA[0].sender?.uri).toBe('sip:e2t-bob@localhost');
});

test('imedge chat --group --send --wait-reply through the server prints the reply with its sender', async () => {
  const [bob] = await Promise.all([user('e2c-bob'), user('e2c-carol')]);
  bob.on('session', (s) => s.on('message', (m) => void s.send(`echo: ${m.body.toString()}`)));
  const out = new PassThrough();
  const err = new PassThrough();
  let outText = '';
  let errText = '';
  out.on('data', (d) => (outText += String(d)));
  err.on('data', (d) => (errText += String(d)));
  const code = await runChat(
    {
      user: 'e2c-alice', group: 'e2c-bob,e2c-carol', send: 'hi all', waitReply: true, register: true, server: `127.0.0.1:${server.sipPort}`,
      domain: 'localhost', transport: 'udp', timeout: '15', localHost: '127.0.0.1', sipPort: '0', maxAdhocGroupSize: '10',
    },
    { out, err, input: new PassThrough(), interrupted: new Promise<void>(() => undefined) },
  );
  expect(errText).toContain('delivered: 200');
  expect(code).toBe(0);
  expect(outText).toBe('sip:e2c-bob@localhost> echo: hi all\n');
});
