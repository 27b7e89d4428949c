// OMA IM 7.2.2.8 release policy carried out by the focus (the decisions themselves are unit
// tested in test/unit/im/policies): the operator's values (here auto-release true) overridden
// by the group document, rules 1b, 1d, 1e, 1f and 2a over real sockets; 7.2.1.10 (BYE
// received) and 7.2.1.9 (the focus's BYE to those it removes).
import { startServer, type ServerHandle } from '../../helpers/server';
import { RawUa } from '../../helpers/raw-ua';
import { header } from '../../helpers/sip-peer';
import { deleteGroup, putGroup, until, type GroupSpec } from '../../helpers/group';

let s: ServerHandle;
const uas: RawUa[] = [];
beforeAll(async () => {
  s = await startServer({ env: { IMEDGE_GROUPS__AUTO_RELEASE: 'true' } });
});
afterAll(async () => {
  for (const u of uas) await u.close();
  expect(await s.stop()).toBe(0);
});

/** A started pre-defined session: the first user initiated it, the others were invited and joined. */
async function session(spec: Omit<GroupSpec, 'members' | 'inviteMembers'>, names: string[]): Promise<RawUa[]> {
  const out = await Promise.all(names.map((n) => RawUa.open(n, s.sipPort)));
  uas.push(...out);
  expect(await putGroup(s.httpPort, { ...spec, members: names, inviteMembers: true })).toBe(201);
  const rs = await out[0]!.invite(spec.id, { requestUri: `sip:${spec.id}@localhost` });
  expect(rs.status).toBe(200);
  for (const u of out.slice(1)) {
    await until(() => u.incomingReady !== undefined, `${u.user} invited`);
    await u.incomingReady;
  }
  return out;
}

const reasonOf = (u: RawUa) => header(u.byes[0]!, 'reason') ?? '';

test('7.2.2.8 rule 1b: the operator says auto-release true and the group does not override it: the initiator leaves, everyone is removed (7.2.1.9 BYE)', async () => {
  const [a, b, c] = await session({ id: 'rl-1b' }, ['rl1b-a', 'rl1b-b', 'rl1b-c']);
  expect((await a.requestInDialog('BYE')).status).toBe(200);
  await until(() => b!.byes.length === 1 && c!.byes.length === 1, 'both removed');
  expect(reasonOf(b!)).toMatch(/7\.2\.2\.8 1b/);
});

test('7.2.2.8: the group document overrides the operator (auto-release false): the initiator leaves and the others go on; then rule 1d ends it at one participant', async () => {
  const [a, b, c] = await session({ id: 'rl-1d', autoRelease: false, remaining: 1 }, ['rl1d-a', 'rl1d-b', 'rl1d-c']);
  expect((await a.requestInDialog('BYE')).status).toBe(200);
  await b!.endpoint!.send(Buffer.from('still here'), { contentType: 'text/plain' });
  await until(() => c!.messages.length === 1, 'the session went on');
  expect(b!.byes).toHaveLength(0);
  expect((await b!.requestInDialog('BYE')).status).toBe(200);
  await until(() => c!.byes.length === 1, 'the last one removed');
  expect(reasonOf(c!)).toMatch(/7\.2\.2\.8 1d/);
});

test('7.2.2.8 number-of-remaining-participants 0: a session with one participant left goes on', async () => {
  const [a, b, c] = await session({ id: 'rl-0', autoRelease: false, remaining: 0 }, ['rl0-a', 'rl0-b', 'rl0-c']);
  expect((await a.requestInDialog('BYE')).status).toBe(200);
  expect((await b!.requestInDialog('BYE')).status).toBe(200);
  await new Promise((r) => setTimeout(r, 300));
  expect(c!.byes).toHaveLength(0);
});

test('7.2.2.8 rule 1e: session-max-length from the group document ends the session', async () => {
  const [a, b] = await session({ id: 'rl-1e', sessionMaxLength: 1 }, ['rl1e-a', 'rl1e-b', 'rl1e-c']);
  await until(() => a!.byes.length === 1 && b!.byes.length === 1, 'released at the max length', 5000);
  expect(reasonOf(a!)).toMatch(/7\.2\.2\.8 1e/);
});

test('7.2.2.8 rule 1f: DELETE /groups/<id> ends the group session', async () => {
  const [a, b, c] = await session({ id: 'rl-1f' }, ['rl1f-a', 'rl1f-b', 'rl1f-c']);
  expect(await deleteGroup(s.httpPort, 'rl-1f')).toBe(200);
  await until(() => [a, b, c].every((u) => u!.byes.length === 1), 'everyone removed');
  expect(reasonOf(b!)).toMatch(/7\.2\.2\.8 1f/);
});

test('7.2.2.8 rule 2a: a member removed from the group document is removed from the session; the others go on', async () => {
  const [a, b, c] = await session({ id: 'rl-2a', autoRelease: false }, ['rl2a-a', 'rl2a-b', 'rl2a-c']);
  expect(await putGroup(s.httpPort, { id: 'rl-2a', members: ['rl2a-a', 'rl2a-b'], autoRelease: false })).toBe(200);
  await until(() => c!.byes.length === 1, 'the removed member BYEd');
  expect(reasonOf(c!)).toMatch(/7\.2\.2\.8 2a/);
  await a!.endpoint!.send(Buffer.from('after 2a'), { contentType: 'text/plain' });
  await until(() => b!.messages.length === 1, 'the others go on');
  expect(a!.byes).toHaveLength(0);
});
