// The conference event package (RFC 4575 over RFC 6665; OMA IM 7.1.1.11, 7.2.2.10, 7.2.2.11):
// who may subscribe, the NOTIFY at once with the full state, one on every join, leave, removal
// and release with an incrementing version, refresh and unsubscribe, termination on release.
// Every NOTIFY body is validated against the RFC 4575 data format with xmllint.
import { startServer, type ServerHandle } from '../../helpers/server';
import { RawUa } from '../../helpers/raw-ua';
import { header, type WireMessage } from '../../helpers/sip-peer';
import { FACTORY, factoryBody, focusIdentity, putGroup, subscribe, until } from '../../helpers/group';
import { xmllintErrors } from '../../helpers/xmllint';
import { parseConferenceInfo } from '../../../src/xml';

let s: ServerHandle;
const uas: RawUa[] = [];
beforeAll(async () => {
  s = await startServer({ env: { IMEDGE_EVENTS__MIN_EXPIRES_S: '1' } });
});
afterAll(async () => {
  for (const u of uas) await u.close();
  expect(await s.stop()).toBe(0);
});

async function users(...names: string[]): Promise<RawUa[]> {
  const out = await Promise.all(names.map((n) => RawUa.open(n, s.sipPort)));
  uas.push(...out);
  return out;
}

function info(n: WireMessage) {
  const xml = n.body.toString('utf8');
  expect(xmllintErrors(xml)).toBe('');
  expect(header(n, 'content-type')).toBe('application/conference-info+xml');
  expect(header(n, 'event')).toBe('conference');
  return parseConferenceInfo(xml);
}

async function adhoc(initiator: RawUa, invitees: RawUa[], opts: { anonymous?: boolean } = {}): Promise<string> {
  const rs = await initiator.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody(invitees.map((u) => `sip:${u.user}@localhost`)), anonymous: opts.anonymous });
  expect(rs.status).toBe(200);
  for (const u of invitees) {
    await until(() => u.incomingReady !== undefined, `${u.user} invited`);
    await u.incomingReady;
  }
  return focusIdentity(rs);
}

test('RFC 4575 / OMA IM 7.2.2.10: a participant subscribes: 200, a full-state NOTIFY at once, then one per join and leave with the version going up; the release ends it with noresource', async () => {
  const [a, b, c] = await users('cs-a', 'cs-b', 'cs-c');
  const identity = await adhoc(a, [b]);
  const sub = await subscribe(a, identity, { expires: 600 });
  expect(sub.rs.status).toBe(200);
  expect(header(sub.rs, 'expires')).toBe('600');
  await until(() => a.notifies.length === 1, 'first NOTIFY');
  const first = info(a.notifies[0]!);
  expect(first.state).toBe('full');
  expect(first.entity).toBe(identity);
  expect(first.users?.map((u) => u.entity).sort()).toEqual(['sip:cs-a@localhost', 'sip:cs-b@localhost']);
  expect(first.users?.find((u) => u.entity === 'sip:cs-a@localhost')?.roles).toContain('initiator');
  expect(header(a.notifies[0]!, 'subscription-state')).toMatch(/^active;expires=\d+$/);
  // 7.2.1.10 step 4: b leaves
  expect((await b.requestInDialog('BYE')).status).toBe(200);
  await until(() => a.notifies.length >= 2, 'NOTIFY after the leave');
  const second = info(a.notifies[a.notifies.length - 1]!);
  expect(second.version).toBeGreaterThan(first.version);
  // rule 1d then releases the session (one participant left): the subscription ends
  await until(() => a.notifies.some((n) => /terminated;reason=noresource/.test(header(n, 'subscription-state') ?? '')), 'terminated NOTIFY');
  const last = a.notifies[a.notifies.length - 1]!;
  expect(info(last).conferenceState?.active).toBe(false);
});

test('OMA IM 7.1.1.11: a non-participant of an ad-hoc session gets 403; an unknown identity 404; another package 489', async () => {
  const [a, b, x] = await users('cs2-a', 'cs2-b', 'cs2-x');
  const identity = await adhoc(a, [b]);
  expect((await subscribe(x, identity)).rs.status).toBe(403);
  expect((await subscribe(x, identity.replace(/conf-[^@]+/, 'conf-nosuch'))).rs.status).toBe(404);
  const bad = await subscribe(a, identity, { event: 'presence' });
  expect(bad.rs.status).toBe(489);
  expect(header(bad.rs, 'allow-events')).toBe('conference');
  expect((await subscribe(a, identity, { accept: 'application/pidf+xml' })).rs.status).toBe(406);
});

test('OMA IM 7.1.1.11: a non-participant the group allows (allow-conference-state) may watch a pre-defined session', async () => {
  const [a, b, w] = await users('cs3-a', 'cs3-b', 'cs3-w');
  // the rule for list members grants allow-conference-state; cs3-w is a member who never joins
  expect(await putGroup(s.httpPort, { id: 'cs3-team', members: ['cs3-a', 'cs3-b', 'cs3-w'], autoRelease: false })).toBe(201);
  const rs = await a.invite('cs3-team', { requestUri: 'sip:cs3-team@localhost' });
  expect(rs.status).toBe(200);
  const identity = focusIdentity(rs);
  expect((await b.invite('cs3-team', { requestUri: 'sip:cs3-team@localhost' })).status).toBe(200);
  const watch = await subscribe(w, identity, { expires: 600 });
  expect(watch.rs.status).toBe(200);
  await until(() => w.notifies.length === 1, 'watcher NOTIFY');
  expect(info(w.notifies[0]!).users).toHaveLength(2);
  // the operator's cap, as the group sets no max-participant-count
  expect(info(w.notifies[0]!).description?.maxUserCount).toBe(50);
});

test('OMA IM 7.2.2.11: a participant of an ad-hoc session that leaves loses its subscription (reason rejected); the others keep theirs and hear of it', async () => {
  const [a, b, c] = await users('cs5-a', 'cs5-b', 'cs5-c');
  const identity = await adhoc(a, [b, c]);
  await subscribe(a, identity, { expires: 600 });
  await subscribe(c, identity, { expires: 600 });
  await until(() => a.notifies.length === 1 && c.notifies.length === 1, 'first NOTIFYs');
  expect((await c.requestInDialog('BYE')).status).toBe(200);
  await until(() => c.notifies.length === 2 && a.notifies.length === 2, 'NOTIFYs after the leave');
  expect(header(c.notifies[1]!, 'subscription-state')).toBe('terminated;reason=rejected');
  expect(header(a.notifies[1]!, 'subscription-state')).toMatch(/^active/);
  expect(info(a.notifies[1]!).users?.map((u) => u.entity).sort()).toEqual(['sip:cs5-a@localhost', 'sip:cs5-b@localhost']);
});

test('RFC 6665 4.2.1.2: refresh gets a NOTIFY with the full state; Expires: 0 ends it with a terminated NOTIFY; an anonymous participant is shown as anonymous, never by address', async () => {
  const [a, b] = await users('cs4-a', 'cs4-b');
  const identity = await adhoc(a, [b], { anonymous: true });
  const sub = await subscribe(b, identity, { expires: 600 });
  await until(() => b.notifies.length === 1, 'first');
  const doc = info(b.notifies[0]!);
  const anon = doc.users?.find((u) => u.entity.includes('anonymous'));
  expect(anon?.displayText).toBe('Anonymous');
  expect(b.notifies[0]!.body.toString()).not.toContain('cs4-a');
  const refreshed = await subscribe(b, identity, { expires: 300, dialog: sub });
  expect(refreshed.rs.status).toBe(200);
  await until(() => b.notifies.length === 2, 'after refresh');
  expect(info(b.notifies[1]!).state).toBe('full');
  expect(info(b.notifies[1]!).version).toBe(2);
  const gone = await subscribe(b, identity, { expires: 0, dialog: sub });
  expect(gone.rs.status).toBe(200);
  await until(() => b.notifies.length === 3, 'final');
  expect(header(b.notifies[2]!, 'subscription-state')).toMatch(/^terminated/);
  // the dialog is gone
  expect((await subscribe(b, identity, { expires: 300, dialog: sub })).rs.status).toBe(481);
});
