// The client's conference state subscription (RFC 4575 over RFC 6665; OMA IM 7.1.1.11)
// against the real `imedge serve`: the roster, who joined and who left as the others come and
// go, an anonymous participant shown as anonymous, refresh before expiry, unsubscribe on leave,
// and the end of the conference. Subscriptions last 1 s here (IMEDGE_EVENTS__MIN_EXPIRES_S=1)
// so refreshes happen within the test. Every user a fresh name: the server is shared.
import { PassThrough } from 'node:stream';
import { runChat, type ChatFlags } from '../../../src/cli/chat';
import { ImClient, type ConferenceEnded, type ConferenceWatch, type ImSession, type RosterEntry } from '../../../src/client';
import { sessionFigures } from '../../helpers/figures';
import { startServer, type ServerHandle } from '../../helpers/server';

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 800; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const next = <T>(e: { once(ev: string, cb: (v: T) => void): unknown }, ev: string) => new Promise<T>((r) => e.once(ev, r));

let server: ServerHandle;
const clients: ImClient[] = [];
beforeAll(async () => {
  server = await startServer({ env: { IMEDGE_EVENTS__MIN_EXPIRES_S: '1' } });
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close(500);
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

async function user(name: string, extra: { conferenceExpiresS?: number } = {}): Promise<ImClient> {
  const c = await ImClient.start({
    user: name, domain: 'localhost', server: { host: '127.0.0.1', port: server.sipPort, transport: 'UDP' }, rejoinWindowMs: 60_000, msrpLossGraceMs: 200, ...extra,
  });
  clients.push(c);
  await c.register(300);
  return c;
}

/** Everything a watch tells, in order. */
function record(w: ConferenceWatch) {
  const log = { rosters: [] as (readonly RosterEntry[])[], joined: [] as RosterEntry[], left: [] as RosterEntry[], ended: [] as ConferenceEnded[] };
  w.on('roster', (r) => log.rosters.push(r));
  w.on('joined', (e) => log.joined.push(e));
  w.on('left', (e) => log.left.push(e));
  w.on('conference-ended', (e) => log.ended.push(e));
  return log;
}

/** alice starts an ad-hoc group with the others; resolves with every side's session. */
async function adhoc(alice: ImClient, others: ImClient[]): Promise<{ sa: ImSession; sessions: ImSession[] }> {
  const arriving = others.map((c) => next<ImSession>(c, 'session'));
  const sa = await alice.startGroup(others.map((c) => c.aor));
  const sessions = await Promise.all(arriving);
  await Promise.all(sessions.map((s) => s.ready()));
  return { sa, sessions };
}

const present = (r: readonly RosterEntry[]) => r.filter((e) => e.status === 'connected').map((e) => e.name).sort();

test('OMA IM 7.1.1.11 / RFC 4575: the roster at once, then who left and who joined as others come and go; a participant rejoining anonymously is shown as anonymous, never by address', async () => {
  const [alice, bob, carol] = await Promise.all([user('ce1-alice'), user('ce1-bob'), user('ce1-carol')]);
  const { sa, sessions: [, sc] } = await adhoc(alice, [bob, carol]);
  const watch = sa.subscribeConference();
  const seen = record(watch);
  await watch.ready();
  expect(watch.state).toBe('active');
  // the focus may still be finishing bob's or carol's join when the first NOTIFY goes out
  await until(() => present(watch.roster).length === 3, 'all three in the roster');
  expect(present(watch.roster)).toEqual(['sip:ce1-alice@localhost', 'sip:ce1-bob@localhost', 'sip:ce1-carol@localhost']);
  const me = watch.roster.find((e) => e.self);
  expect(me).toMatchObject({ entity: 'sip:ce1-alice@localhost', anonymous: false, roles: expect.arrayContaining(['initiator']) });
  // the same watch for the same session
  expect(sa.subscribeConference()).toBe(watch);
  // carol leaves (7.1.1.12): alice hears it
  expect(await sc!.leave()).toBe(200);
  await until(() => seen.left.length === 1, 'carol left');
  expect(seen.left[0]).toMatchObject({ entity: 'sip:ce1-carol@localhost', name: 'sip:ce1-carol@localhost' });
  const joinedBefore = seen.joined.length;
  // carol rejoins (7.1.1.9) anonymously (Privacy: id; an ad-hoc session allows it)
  await carol.rejoin(sc!.identity, { anonymous: true });
  await until(() => seen.joined.length === joinedBefore + 1, 'carol back');
  const anon = seen.joined[joinedBefore]!;
  expect(anon).toMatchObject({ name: 'anonymous', anonymous: true, self: false });
  expect(anon.entity).not.toContain('carol');
  expect(JSON.stringify(watch.roster)).not.toContain('ce1-carol');
  expect(watch.roster.map((e) => e.name)).toContain('anonymous');
  expect(watch.stats).toMatchObject({ malformed: 0, stale: 0, resyncs: 0 });
  expect(seen.ended).toEqual([]);
});

test('RFC 6665 4.1.2.2: a 1 s subscription is refreshed before it expires and still reports changes well after; refreshes alone report no joins or leaves', async () => {
  const [alice, bob, carol] = await Promise.all([user('ce2-alice', { conferenceExpiresS: 1 }), user('ce2-bob'), user('ce2-carol')]);
  const { sa, sessions: [, sc] } = await adhoc(alice, [bob, carol]);
  const watch = sa.subscribeConference();
  const seen = record(watch);
  await watch.ready();
  await until(() => watch.stats.refreshes >= 3, 'three refreshes (1.5 s past the first expiry)');
  expect(watch.state).toBe('active');
  expect(watch.stats.resubscribes).toBe(0);
  expect(seen.ended).toEqual([]);
  expect(seen.joined).toEqual([]);
  expect(seen.left).toEqual([]);
  // every refresh brought full state again (RFC 6665 4.2.1.2)
  expect(seen.rosters.length).toBeGreaterThanOrEqual(3);
  await sc!.leave();
  await until(() => seen.left.length === 1, 'carol left, seen over the refreshed subscription');
  expect(seen.left[0]!.entity).toBe('sip:ce2-carol@localhost');
});

test('RFC 6665 4.1.2.3: leaving the session unsubscribes first (Expires: 0) with no conference-ended; the others see the release as conference-ended noresource (OMA IM 7.2.2.8 1a)', async () => {
  const [alice, bob, carol] = await Promise.all([user('ce3-alice'), user('ce3-bob'), user('ce3-carol')]);
  const { sa, sessions: [sb] } = await adhoc(alice, [bob, carol]);
  const wa = sa.subscribeConference();
  const wb = sb!.subscribeConference();
  const [atA, atB] = [record(wa), record(wb)];
  await Promise.all([wa.ready(), wb.ready()]);
  await until(() => atA.rosters.length >= 1 && atB.rosters.length >= 1, 'first rosters');
  // the initiator leaves: the session is released for all
  expect(await sa.leave()).toBe(200);
  await wa.finished();
  expect(wa.endedBy).toBe('unsubscribed');
  expect(atA.ended).toEqual([]);
  await until(() => atB.ended.length === 1, 'bob hears the end');
  expect(atB.ended[0]).toEqual({ reason: 'noresource' });
  expect(wb.state).toBe('terminated');
});

test('RFC 6665 4.1.2.3: unsubscribe() on its own: 200, then the final NOTIFY ends the watch; the session goes on', async () => {
  const [alice, bob, carol] = await Promise.all([user('ce4-alice'), user('ce4-bob'), user('ce4-carol')]);
  const { sa } = await adhoc(alice, [bob, carol]);
  const w = sa.subscribeConference();
  const seen = record(w);
  await w.ready();
  await until(() => seen.rosters.length >= 1, 'first roster');
  expect(await w.unsubscribe()).toBe(200);
  await w.finished();
  expect(w.state).toBe('terminated');
  expect(seen.ended).toEqual([]);
  expect(sa.ended).toBe(false);
  // a new one can be made for the same session
  const again = sa.subscribeConference();
  expect(again).not.toBe(w);
  await again.ready();
});

test('OMA IM 7.1.1.11: the focus refuses a non-participant: ready() rejects with 403 and the watch ends as refused', async () => {
  const [alice, bob, carol, eve] = await Promise.all([user('ce5-alice'), user('ce5-bob'), user('ce5-carol'), user('ce5-eve')]);
  const { sa } = await adhoc(alice, [bob, carol]);
  const w = eve.subscribeConference(sa.identity);
  await expect(w.ready()).rejects.toMatchObject({ name: 'SipStatusError', status: 403 });
  expect(w.state).toBe('terminated');
  expect(w.endedBy).toBe('refused');
});

test('a 1-1 session has no conference state', async () => {
  const [alice, bob] = await Promise.all([user('ce6-alice'), user('ce6-bob')]);
  const atBob = next<ImSession>(bob, 'session');
  const s = await alice.invite(bob.aor);
  await (await atBob).ready();
  expect(() => s.subscribeConference()).toThrow(/only a group session/);
});

function chatIo() {
  const out = new PassThrough();
  const err = new PassThrough();
  const outText: string[] = [];
  const errText: string[] = [];
  out.on('data', (d) => outText.push(String(d)));
  err.on('data', (d) => errText.push(String(d)));
  const input = new PassThrough();
  return { io: { out, err, input, interrupted: new Promise<void>(() => undefined) }, input, out: () => outText.join(''), err: () => errText.join('') };
}

const chatFlags = (extra: Partial<ChatFlags>): ChatFlags => ({
  server: `127.0.0.1:${server.sipPort}`, domain: 'localhost', transport: 'udp', timeout: '5', register: true, localHost: '127.0.0.1', sipPort: '0', maxAdhocGroupSize: '10', ...extra,
});

test('imedge chat --group (interactive): "in this chat: …" when the roster arrives, "<name> left", "anonymous joined", /who, and the end of the conference', async () => {
  const [bob, carol] = await Promise.all([user('ce7-bob'), user('ce7-carol')]);
  const atBob = next<ImSession>(bob, 'session');
  const atCarol = next<ImSession>(carol, 'session');
  const t = chatIo();
  const run = runChat(chatFlags({ user: 'ce7-alice', group: 'ce7-bob,ce7-carol' }), t.io);
  await until(() => t.out().includes('in this chat:'), 'the roster line');
  const first = /in this chat: (.*)\n/.exec(t.out())![1]!.split(', ');
  expect(first).toContain('sip:ce7-alice@localhost (you)');
  // bob and carol are in the first roster, or join right after it (the focus may still be connecting them)
  for (const who of ['sip:ce7-bob@localhost', 'sip:ce7-carol@localhost']) {
    await until(() => first.includes(who) || t.out().includes(`${who} joined\n`), `${who} in`);
  }
  expect(t.err()).toContain('/who');
  const [sb, sc] = await Promise.all([atBob, atCarol]);
  await Promise.all([sb.ready(), sc.ready()]);
  expect(await sc.leave()).toBe(200);
  await until(() => t.out().includes('sip:ce7-carol@localhost left\n'), 'carol left');
  const back = await carol.rejoin(sc.identity, { anonymous: true });
  await until(() => t.out().includes('anonymous joined\n'), 'anonymous joined');
  t.input.write('/who\n');
  await until(() => (t.out().match(/in this chat:/g) ?? []).length === 2, '/who');
  const who = /in this chat: (.*)\n$/.exec(t.out())![1]!.split(', ').sort();
  expect(who).toEqual(['anonymous', 'sip:ce7-alice@localhost (you)', 'sip:ce7-bob@localhost']);
  // bob and the anonymous carol leave: one participant is left and the session is released (7.2.2.8 rule 1d)
  await sb.leave();
  await until(() => t.out().includes('sip:ce7-bob@localhost left\n'), 'bob left');
  await back.leave();
  expect(await run).toBe(0);
  expect(t.out()).toContain('anonymous left\n');
  expect(t.out()).toContain('the conference has ended\n');
  expect(t.err()).toContain('session ended: bye-received');
  // once carol is back anonymously, nothing names her
  expect(t.out().split('sip:ce7-carol@localhost left\n')[1]).not.toContain('ce7-carol');
  expect(t.err()).not.toContain('conference state unavailable');
});

test('imedge chat: /who in a 1-1 session says there is no roster; no SUBSCRIBE is made for it', async () => {
  const bob = await user('ce8-bob');
  const atBob = next<ImSession>(bob, 'session');
  const t = chatIo();
  const run = runChat(chatFlags({ user: 'ce8-alice', to: 'ce8-bob' }), t.io);
  await (await atBob).ready();
  await until(() => t.err().includes('connected to'), 'connected');
  t.input.write('/who\n');
  await until(() => t.err().includes('/who: only a group session has a roster'), '/who refused');
  t.input.write('/quit\n');
  expect(await run).toBe(0);
  expect(t.out()).toBe('');
});

test('over the whole file, the focus had every NOTIFY answered 2xx (no 481, no 500) and no subscription is left behind', async () => {
  // runs last: every client above has closed
  let f: Record<string, number> = {};
  for (let i = 0; i < 100; i++) {
    f = await sessionFigures(server.httpPort);
    if (f['groups.subscriptionsLive'] === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(f['groups.subscriptionsLive']).toBe(0);
  expect(f['groups.events_notifies']).toBeGreaterThan(10);
  expect(f['groups.events_notifyFailures']).toBe(0);
});
