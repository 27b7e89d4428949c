// OMA IM 7.1.1.6 at the server: a 1-1 session extended to an ad-hoc group. The initiator's
// factory INVITE carries Replaces (RFC 3891) for its own 1-1 dialog and lists the original peer
// with "?Replaces=" (Appendix M); the focus invites that peer with Replaces naming the peer's
// own dialog, both old dialogs end with BYE (7.1.1.6 NOTE), and messages flow through the switch.
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

async function users(...names: string[]): Promise<RawUa[]> {
  const out = await Promise.all(names.map((n) => RawUa.open(n, s.sipPort)));
  uas.push(...out);
  return out;
}

test('OMA IM 7.1.1.6 steps 3 and 8, RFC 3891: extending a 1-1 session: the peer is invited with Replaces for its own dialog, both old dialogs are BYEd, messages go through the switch', async () => {
  const [alice, bob, carol] = await users('ex-alice', 'ex-bob', 'ex-carol');
  expect((await alice.invite(bob.user)).status).toBe(200);
  await bob.incomingReady;
  const aliceOld = { ...alice.dialog! };
  const bobOld = { ...bob.dialog! };
  const replaces = `${aliceOld.callId};to-tag=${aliceOld.remoteTag};from-tag=${aliceOld.localTag}`;
  const rs = await alice.invite('conference-factory', {
    requestUri: FACTORY,
    headers: [`Replaces: ${replaces}`],
    wrap: factoryBody([`sip:${bob.user}@localhost?Replaces=${encodeURIComponent(replaces)}`, `sip:${carol.user}@localhost`]),
  });
  expect(rs.status).toBe(200);
  focusIdentity(rs);
  await until(() => bob.invites.length === 2 && carol.invites.length === 1, 'both invited');
  // the peer's INVITE names the peer's own dialog with imedge, from the peer's point of view
  expect(header(bob.invites[1]!, 'replaces')).toBe(`${bobOld.callId};to-tag=${bobOld.localTag};from-tag=${bobOld.remoteTag}`);
  expect(header(carol.invites[0]!, 'replaces')).toBeUndefined();
  await Promise.all([bob.incomingReady, carol.incomingReady]);
  // 7.1.1.6 NOTE: the old 1-1 dialogs end with BYE
  await until(() => alice.byes.length === 1 && bob.byes.length === 1, 'old dialogs BYEd');
  expect(header(alice.byes[0]!, 'call-id')).toBe(aliceOld.callId);
  expect(header(bob.byes[0]!, 'call-id')).toBe(bobOld.callId);
  await alice.endpoint!.send(Buffer.from('now a group'), { contentType: 'text/plain' });
  await until(() => bob.messages.length === 1 && carol.messages.length === 1, 'fan-out');
  expect(delivered(bob.messages[0]!).text).toBe('now a group');
  expect(delivered(carol.messages[0]!).from).toContain(`sip:${alice.user}@localhost`);
});

test('RFC 3891 3: a factory INVITE whose Replaces names no dialog of the initiator gets 481', async () => {
  const [dan] = await users('ex-dan');
  const rs = await dan.invite('conference-factory', { requestUri: FACTORY, headers: ['Replaces: nosuch@x;to-tag=1;from-tag=2'], wrap: factoryBody(['sip:ex-bob@localhost']) });
  expect(rs.status).toBe(481);
});

test('RFC 3891 3: Replaces naming somebody else\'s 1-1 dialog is refused (481): a user replaces only its own', async () => {
  const [eve, fay, gus] = await users('ex-eve', 'ex-fay', 'ex-gus');
  expect((await eve.invite(fay.user)).status).toBe(200);
  await fay.incomingReady;
  const d = eve.dialog!;
  const rs = await gus.invite('conference-factory', { requestUri: FACTORY, headers: [`Replaces: ${d.callId};to-tag=${d.remoteTag};from-tag=${d.localTag}`], wrap: factoryBody([`sip:${fay.user}@localhost`]) });
  expect(rs.status).toBe(481);
  expect(fay.byes).toHaveLength(0);
});
