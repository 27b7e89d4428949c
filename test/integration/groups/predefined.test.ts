// Pre-defined group sessions at the focus: initiation (OMA IM 7.2.2.3), the four refusals of
// 7.2.1.5 in the clause's order with their exact status and Warning, the accept-types
// intersection (7.2.1.5 step 6a), and joining by group URI or by IM Session Identity.
import { startServer, type ServerHandle } from '../../helpers/server';
import { RawUa, sdpMedia } from '../../helpers/raw-ua';
import { header } from '../../helpers/sip-peer';
import { delivered, focusIdentity, putGroup, until } from '../../helpers/group';

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

const groupUri = (id: string) => `sip:${id}@localhost`;

describe('OMA IM 7.2.2.3 initiation policy', () => {
  test('7.2.2.3 paragraphs 2-3: invite-members true: the focus invites the <list>, at most max-participant-count with the initiator', async () => {
    const [a, b, c, d] = await users('pi-a', 'pi-b', 'pi-c', 'pi-d');
    expect(await putGroup(s.httpPort, { id: 'pi-team', members: ['pi-a', 'pi-b', 'pi-c', 'pi-d'], inviteMembers: true, max: 3 })).toBe(201);
    const rs = await a.invite('pi-team', { requestUri: groupUri('pi-team') });
    expect(rs.status).toBe(200);
    expect(focusIdentity(rs)).toMatch(/^sip:conf-/);
    await until(() => b.incomingReady !== undefined && c.incomingReady !== undefined, 'two members invited');
    await Promise.all([b.incomingReady, c.incomingReady]);
    // <list> order, the initiator counted: pi-b and pi-c, never pi-d
    expect(d.invites).toHaveLength(0);
    // the focus invites from the conference (RFC 4579) and names who asked (RFC 3892)
    expect(header(b.invites[0]!, 'from')).toMatch(/sip:conf-/);
    expect(header(b.invites[0]!, 'referred-by')).toBe('<sip:pi-a@localhost>');
    expect(header(b.invites[0]!, 'contact')).toMatch(/;isfocus/);
    await a.endpoint!.send(Buffer.from('team'), { contentType: 'text/plain' });
    await until(() => b.messages.length === 1 && c.messages.length === 1, 'fan-out');
    expect(delivered(c.messages[0]!).from).toContain('sip:pi-a@localhost');
  });

  test('7.2.2.3 paragraph 1: allow-initiate-conference false: 403 with a Warning', async () => {
    const [a] = await users('pn-a');
    await putGroup(s.httpPort, { id: 'pn-team', members: ['pn-a', 'pn-b'], initiate: false });
    const rs = await a.invite('pn-team', { requestUri: groupUri('pn-team') });
    expect(rs.status).toBe(403);
    expect(header(rs, 'warning')).toMatch(/"Not allowed to initiate a session of this group"/);
  });

  test('7.2.2.3 paragraph 2: invite-members absent: nobody is invited; members join by the group URI', async () => {
    const [a, b] = await users('pq-a', 'pq-b');
    await putGroup(s.httpPort, { id: 'pq-team', members: ['pq-a', 'pq-b'] });
    expect((await a.invite('pq-team', { requestUri: groupUri('pq-team') })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(b.invites).toHaveLength(0);
    expect((await b.invite('pq-team', { requestUri: groupUri('pq-team') })).status).toBe(200);
    await b.endpoint!.send(Buffer.from('joined'), { contentType: 'text/plain' });
    await until(() => a.messages.length === 1, 'a hears b');
  });
});

describe('OMA IM 7.2.1.5 joining checks, in the clause order', () => {
  let identity = '';
  let ja: RawUa, jb: RawUa, jc: RawUa, jd: RawUa, jx: RawUa;
  beforeAll(async () => {
    [ja, jb, jc, jd, jx] = await users('jn-a', 'jn-b', 'jn-c', 'jn-d', 'jn-x');
    await putGroup(s.httpPort, { id: 'jn-team', members: ['jn-a', 'jn-b', 'jn-c', 'jn-d'], max: 3, anonymity: false });
    const rs = await ja.invite('jn-team', { requestUri: groupUri('jn-team') });
    expect(rs.status).toBe(200);
    identity = focusIdentity(rs);
  });

  test('7.2.1.5 step 1: an originator the joining policy does not allow: 403 (before anonymity and media are even looked at)', async () => {
    const rs = await jx.invite('x', { requestUri: identity, anonymous: true, acceptTypes: ['text/html'] });
    expect(rs.status).toBe(403);
    expect(header(rs, 'warning')).toMatch(/^399 \S+ "Not allowed to join this group session"$/);
  });

  test('7.2.1.5 step 6a: 200 whose accept-types are the intersection of the offer and what the focus takes', async () => {
    const rs = await jb.invite('x', { requestUri: identity, acceptTypes: ['text/html', 'message/cpim', 'text/plain'] });
    expect(rs.status).toBe(200);
    expect(sdpMedia(rs.body).acceptTypes).toEqual(['message/cpim', 'text/plain']);
  });

  test('7.2.1.5 step 3: Privacy: id where allow-anonymity is false: 403', async () => {
    const rs = await jc.invite('x', { requestUri: identity, anonymous: true });
    expect(rs.status).toBe(403);
    expect(header(rs, 'warning')).toMatch(/"Anonymity not allowed in this group session"/);
  });

  test('7.2.1.5 step 4: MSRP media parameters the focus cannot serve: 488', async () => {
    const rs = await jc.invite('x', { requestUri: identity, acceptTypes: ['text/html'] });
    expect(rs.status).toBe(488);
    expect(header(rs, 'warning')).toMatch(/message\/cpim/);
  });

  test('7.2.1.5 step 2: a pre-defined group at max-participant-count: 486 with Warning "Too many participants" (before the media check)', async () => {
    expect((await jc.invite('jn-team', { requestUri: groupUri('jn-team') })).status).toBe(200);
    const rs = await jd.invite('x', { requestUri: identity, acceptTypes: ['text/html'] });
    expect(rs.status).toBe(486);
    expect(header(rs, 'warning')).toMatch(/^399 \S+ "Too many participants"$/);
    // the three in the session hear each other
    await jc.endpoint!.send(Buffer.from('third'), { contentType: 'text/plain' });
    await until(() => ja.messages.length === 1 && jb.messages.length === 1, 'fan-out to the two others');
  });
});
