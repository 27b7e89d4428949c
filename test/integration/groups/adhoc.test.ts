// OMA IM 7.1.1.6 / RFC 5366 at the server: an INVITE to the conference factory with a URI list
// creates an ad-hoc group session; the focus answers with Contact;isfocus (the IM Session
// Identity), invites everyone listed, and the MSRP switch delivers every message to every other
// participant in CPIM with the sender's identity. Real server process, real sockets.
import { startServer, type ServerHandle } from '../../helpers/server';
import { RawUa } from '../../helpers/raw-ua';
import { header } from '../../helpers/sip-peer';
import { FACTORY, delivered, factoryBody, focusIdentity, until } from '../../helpers/group';
import { sessionFigures } from '../../helpers/figures';

let s: ServerHandle;
const uas: RawUa[] = [];
beforeAll(async () => {
  s = await startServer({ args: [], env: { IMEDGE_GROUPS__MAX_ADHOC_SIZE: '3' } });
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

test('RFC 5366 / OMA IM 7.1.1.6: an ad-hoc session from a list of 3: 200 with Contact;isfocus, each invitee joins, messages fan out in CPIM, never echoed', async () => {
  const [alice, bob, carol, dave] = await users('ad-alice', 'ad-bob', 'ad-carol', 'ad-dave');
  const rs = await alice.invite('conference-factory', {
    requestUri: FACTORY,
    wrap: factoryBody([`sip:${bob.user}@localhost`, `sip:${carol.user}@localhost`, `sip:${dave.user}@localhost`]),
    headers: ['Require: recipient-list-invite'],
  });
  expect(rs.status).toBe(200);
  const identity = focusIdentity(rs);
  expect(identity).toMatch(/^sip:conf-[A-Za-z0-9]+@127\.0\.0\.1:\d+$/);
  for (const u of [bob, carol, dave]) {
    await until(() => u.incomingReady !== undefined, `${u.user} invited`);
    await u.incomingReady;
    expect(u.msrpError).toBeUndefined();
  }
  await alice.endpoint!.send(Buffer.from('hello group'), { contentType: 'text/plain' });
  for (const u of [bob, carol, dave]) await until(() => u.messages.length === 1, `${u.user} got alice's message`);
  for (const u of [bob, carol, dave]) {
    const d = delivered(u.messages[0]!);
    expect(d.from).toContain(`sip:${alice.user}@localhost`);
    expect(d.text).toBe('hello group');
    expect(d.contentType).toBe('text/plain');
  }
  await bob.endpoint!.send(Buffer.from('hi from bob'), { contentType: 'text/plain' });
  await until(() => alice.messages.length === 1 && carol.messages.length === 2 && dave.messages.length === 2, 'bob fanned out');
  expect(delivered(alice.messages[0]!).from).toContain(`sip:${bob.user}@localhost`);
  // never echoed to the sender
  expect(bob.messages).toHaveLength(1);
  // issue 9 item 9: the session and its participants in /metrics and /healthz
  const live = await sessionFigures(s.httpPort);
  expect(live['groups.sessions']).toBe(1);
  expect(live['groups.participants']).toBe(4);
  expect(live['switch.deliveries']).toBe(6);
  const health = (await (await fetch(`http://127.0.0.1:${s.httpPort}/healthz`)).json()) as { checks: { name: string; detail: string }[] };
  expect(health.checks.find((c) => c.name === 'group-sessions')?.detail).toMatch(/^1 of \d+ group sessions, 4 participants/);
  // 7.2.1.10 + 7.2.2.8 1a: the initiator leaves: everyone else gets a BYE from the focus
  const bye = await alice.requestInDialog('BYE');
  expect(bye.status).toBe(200);
  for (const u of [bob, carol, dave]) await until(() => u.byes.length === 1, `${u.user} BYEd`);
  expect(header(bob.byes[0]!, 'reason')).toMatch(/1a/);
  // nothing left behind: no session, no participant, no MSRP session of the switch
  const after = await sessionFigures(s.httpPort);
  expect(after['groups.sessions']).toBe(0);
  expect(after['groups.participants']).toBe(0);
  expect(after['switch.deliveries']).toBe(6);
});

test('OMA IM 7.1.1.6 step 5 (server side): a list longer than MAX-ADHOC-GROUP-SIZE gets 403 with a Warning saying why', async () => {
  const [erin] = await users('ad-erin');
  const list = ['a', 'b', 'c', 'd'].map((x) => `sip:ad-x${x}@localhost`);
  const rs = await erin.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody(list) });
  expect(rs.status).toBe(403);
  expect(header(rs, 'warning')).toMatch(/^399 \S+ "Too many invited users: 4 listed, MAX-ADHOC-GROUP-SIZE is 3"$/);
});

test('RFC 5366 at the factory: a malformed body gets 400 naming the part; plain SDP gets 415 with Accept; an unknown Require gets 420', async () => {
  const [fred] = await users('ad-fred');
  const broken = await fred.invite('conference-factory', {
    requestUri: FACTORY,
    wrap: (offer) => ({
      contentType: 'multipart/mixed;boundary=zz',
      body: Buffer.from(`--zz\r\nContent-Type: application/sdp\r\n\r\n${offer}\r\n--zz\r\nContent-Type: application/resource-lists+xml\r\n\r\n<resource-lists><oops\r\n--zz--\r\n`),
    }),
  });
  expect(broken.status).toBe(400);
  expect(broken.startLine).toMatch(/resource-lists\+xml part/);
  const plain = await fred.invite('conference-factory', { requestUri: FACTORY });
  expect(plain.status).toBe(415);
  expect(header(plain, 'accept')).toMatch(/multipart\/mixed/);
  const req = await fred.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody(['sip:x@localhost']), headers: ['Require: foo-bar'] });
  expect(req.status).toBe(420);
  expect(header(req, 'unsupported')).toBe('foo-bar');
});
