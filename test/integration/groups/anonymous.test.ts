// An anonymous participant (OMA IM 7.2.1.5 step 3, RFC 3323 Privacy: id): an ad-hoc session
// lets it join anonymously (groups.adhocAllowAnonymity, true by default); the others receive
// its messages with the CPIM From sip:anonymous@anonymous.invalid (RFC 3323 / OMA IM 7.2), and
// nothing they receive, on MSRP or SIP (conference state NOTIFYs included), names it, even when
// it wrote its own From in CPIM.
import { startServer, type ServerHandle } from '../../helpers/server';
import { RawUa } from '../../helpers/raw-ua';
import type { RawMsrpPeer } from '../../helpers/msrp-peer';
import { FACTORY, delivered, factoryBody, focusIdentity, joinWithRawMsrp, subscribe, until } from '../../helpers/group';

let s: ServerHandle;
const uas: RawUa[] = [];
const peers: RawMsrpPeer[] = [];
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  for (const p of peers) await p.close();
  for (const u of uas) await u.close();
  expect(await s.stop()).toBe(0);
});

const ANONYMOUS = '<sip:anonymous@anonymous.invalid>';

test('OMA IM 7.2.1.5 step 3 / RFC 3323: a participant joining an ad-hoc session with Privacy: id is seen as sip:anonymous@anonymous.invalid, and nothing the others receive (messages, conference state) names it', async () => {
  const [alice, dave] = await Promise.all([RawUa.open('an-alice', s.sipPort), RawUa.open('an-dave', s.sipPort)]);
  uas.push(alice!, dave!);
  // bob and carol are on the list, not registered yet: they join by the IM Session Identity
  const rs = await alice!.invite('conference-factory', {
    requestUri: FACTORY,
    wrap: factoryBody(['sip:an-dave@localhost', 'sip:an-bob@localhost', 'sip:an-carol@localhost']),
  });
  expect(rs.status).toBe(200);
  const identity = focusIdentity(rs);
  await until(() => dave!.incomingReady !== undefined, 'dave invited');
  await dave!.incomingReady;
  // dave watches the conference state (RFC 4575, OMA IM 7.2.2.10): it must not name her either
  expect((await subscribe(dave!, identity, { expires: 600 })).rs.status).toBe(200);
  await until(() => dave!.notifies.length === 1, 'the first NOTIFY');
  const [bob, carol] = await Promise.all([RawUa.open('an-bob', s.sipPort), RawUa.open('an-carol', s.sipPort)]);
  uas.push(bob!, carol!);
  // bob's MSRP is a raw socket: every byte it receives can be searched
  const { msrp: bobMsrp } = await joinWithRawMsrp(bob!, identity);
  peers.push(bobMsrp);

  const joined = await carol!.invite('x', { requestUri: identity, anonymous: true });
  expect(joined.status).toBe(200);
  await until(() => dave!.notifies.some((n) => /@anonymous\.invalid/.test(n.body.toString('utf8'))), 'a NOTIFY with an anonymous participant');

  // a plain message: the switch wraps it with the anonymous From
  await carol!.endpoint!.send(Buffer.from('guess who'), { contentType: 'text/plain' });
  // CPIM written by the client itself, From naming her: the focus replaces it (RFC 3862 with 3323)
  const ownCpim = `From: Carol <sip:an-carol@localhost>\r\nTo: <${identity}>\r\n\r\nContent-Type: text/plain\r\n\r\nstill guessing`;
  await carol!.endpoint!.send(Buffer.from(ownCpim), { contentType: 'message/cpim' });
  await until(() => alice!.messages.length === 2 && dave!.messages.length === 2, 'alice and dave got both');
  await bobMsrp.until(() => bobMsrp.messages.length === 2, 'bob got both');
  for (const u of [alice!, dave!]) {
    const got = u.messages.map(delivered);
    expect(got.map((d) => d.text)).toEqual(['guess who', 'still guessing']);
    for (const d of got) expect(d.from).toContain(ANONYMOUS);
    for (const m of u.messages) expect(m.body.toString('latin1')).not.toMatch(/an-carol|Carol/);
  }
  for (const m of bobMsrp.messages) expect(delivered({ messageId: '', contentType: m.contentType ?? '', body: m.body }).from).toContain(ANONYMOUS);
  // nothing anyone received names her: every MSRP byte at bob, every SIP message (NOTIFYs
  // included) at alice, bob and dave
  expect(bobMsrp.allBytes().toString('latin1')).not.toMatch(/an-carol/i);
  for (const u of [alice!, bob!, dave!]) for (const m of u.peer.received) expect(m.raw.toString('latin1')).not.toMatch(/an-carol/i);

  // she is a participant like the others: she hears them under their names
  await alice!.endpoint!.send(Buffer.from('hello whoever'), { contentType: 'text/plain' });
  await until(() => carol!.messages.length === 1, 'carol hears alice');
  expect(delivered(carol!.messages[0]!).from).toContain('<sip:an-alice@localhost>');

  expect((await alice!.requestInDialog('BYE')).status).toBe(200);
  await until(() => dave!.byes.length === 1 && bob!.byes.length === 1 && carol!.byes.length === 1, 'everyone removed (7.2.2.8 1a)');
});

test('OMA IM 7.2.1.5 step 3 / RFC 3323: an anonymous initiator (Privacy: id on the factory INVITE): the invitation names nobody (no Referred-By) and its messages come from sip:anonymous@anonymous.invalid', async () => {
  const [erin, fay] = await Promise.all([RawUa.open('an-erin', s.sipPort), RawUa.open('an-fay', s.sipPort)]);
  uas.push(erin!, fay!);
  const rs = await erin!.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody(['sip:an-fay@localhost']), anonymous: true });
  expect(rs.status).toBe(200);
  await until(() => fay!.incomingReady !== undefined, 'fay invited');
  await fay!.incomingReady;
  expect(fay!.invites[0]!.raw.toString('latin1')).not.toMatch(/an-erin/i);
  await erin!.endpoint!.send(Buffer.from('from nobody'), { contentType: 'text/plain' });
  await until(() => fay!.messages.length === 1, 'fay got it');
  expect(delivered(fay!.messages[0]!).from).toContain(ANONYMOUS);
  expect(fay!.messages[0]!.body.toString('latin1')).not.toMatch(/an-erin/i);
  expect((await erin!.requestInDialog('BYE')).status).toBe(200);
  await until(() => fay!.byes.length === 1, 'fay removed (7.2.2.8 1a)');
  expect(fay!.byes[0]!.raw.toString('latin1')).not.toMatch(/an-erin/i);
});
