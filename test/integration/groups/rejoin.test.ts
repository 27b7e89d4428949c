// A participant whose MSRP connection is lost (OMA IM 7.2.1.9): the focus removes it with a
// BYE and the session goes on; it rejoins by the IM Session Identity (7.2.1.5, an INVITE to the
// focus's Contact URI) while the session lives, and gets 404 once the session is released.
// Real server process, real sockets.
import { startServer, type ServerHandle } from '../../helpers/server';
import { RawUa } from '../../helpers/raw-ua';
import { header } from '../../helpers/sip-peer';
import { FACTORY, delivered, factoryBody, focusIdentity, until } from '../../helpers/group';

let s: ServerHandle;
const uas: RawUa[] = [];
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  for (const u of uas) await u.close();
  expect(await s.stop()).toBe(0);
});

test('OMA IM 7.2.1.9 + 7.2.1.5: a participant whose MSRP connection closes is BYEd and rejoins by the IM Session Identity; after the release a rejoin gets 404', async () => {
  const [alice, bob, carol] = await Promise.all(['rj-alice', 'rj-bob', 'rj-carol'].map((n) => RawUa.open(n, s.sipPort)));
  uas.push(alice!, bob!, carol!);
  const rs = await alice!.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody(['sip:rj-bob@localhost', 'sip:rj-carol@localhost']) });
  expect(rs.status).toBe(200);
  const identity = focusIdentity(rs);
  for (const u of [bob!, carol!]) {
    await until(() => u.incomingReady !== undefined, `${u.user} invited`);
    await u.incomingReady;
  }

  // carol's TCP connection to the switch goes away (a phone losing its bearer, say)
  const firstDialog = carol!.dialog!.callId;
  carol!.endpoint!.connection!.close();
  await until(() => carol!.byes.length === 1, 'the focus BYEs carol');
  expect(header(carol!.byes[0]!, 'call-id')).toBe(firstDialog);
  expect(header(carol!.byes[0]!, 'reason')).toMatch(/MSRP connection lost/);
  // the session goes on without her
  await alice!.endpoint!.send(Buffer.from('while carol is away'), { contentType: 'text/plain' });
  await until(() => bob!.messages.length === 1, 'bob still hears alice');
  expect(alice!.byes).toHaveLength(0);
  expect(bob!.byes).toHaveLength(0);

  // 7.2.1.5: she rejoins with an INVITE to the IM Session Identity and hears the others again
  const back = await carol!.invite('x', { requestUri: identity });
  expect(back.status).toBe(200);
  expect(header(back, 'contact')).toMatch(/;isfocus/);
  expect(focusIdentity(back)).toBe(identity);
  await alice!.endpoint!.send(Buffer.from('welcome back'), { contentType: 'text/plain' });
  await until(() => carol!.messages.some((m) => delivered(m).text === 'welcome back'), 'carol hears alice after the rejoin');
  await carol!.endpoint!.send(Buffer.from('I am back'), { contentType: 'text/plain' });
  await until(() => alice!.messages.length === 1 && bob!.messages.length === 3, 'alice and bob hear carol');
  expect(delivered(alice!.messages[0]!)).toEqual({ from: expect.stringContaining('<sip:rj-carol@localhost>'), contentType: 'text/plain', text: 'I am back' });
  // she missed what was said while she was away: no replay
  expect(carol!.messages.map((m) => delivered(m).text)).toEqual(['welcome back']);

  // 7.2.2.8 rule 1a: the initiator leaves; then the identity names no session: 404
  expect((await alice!.requestInDialog('BYE')).status).toBe(200);
  await until(() => bob!.byes.length === 1 && carol!.byes.length === 2, 'everyone removed');
  const late = await carol!.invite('x', { requestUri: identity });
  expect(late.status).toBe(404);
});
