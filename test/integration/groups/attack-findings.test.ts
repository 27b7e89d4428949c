// Regression tests for what an outside attack on the group sessions found (each over real
// sockets against the real server): a burst of joins past max-participant-count, reserved
// names registered to catch a group's requests, a silent invitee holding an invitation past
// groups.inviteTimeoutMs, one user holding every group session, stale switch gauges.
import { startServer, type ServerHandle } from '../../helpers/server';
import { randomBytes } from 'node:crypto';
import { RawUa, sdpPath } from '../../helpers/raw-ua';
import { header, SipPeer, type WireMessage } from '../../helpers/sip-peer';
import { delivered, FACTORY, factoryBody, focusIdentity, putGroup, until } from '../../helpers/group';
import { bindSend, RawClient } from '../msrp/helpers';
import { sessionFigures } from '../../helpers/figures';

let s: ServerHandle;
const uas: RawUa[] = [];
beforeAll(async () => {
  s = await startServer({ env: { IMEDGE_GROUPS__INVITE_TIMEOUT_MS: '600', IMEDGE_GROUPS__MAX_PER_USER: '2' } });
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

test('OMA IM 7.2.1.5 step 2: a burst of simultaneous joins cannot pass max-participant-count (members whose leg is coming up hold their place)', async () => {
  const names = ['rc-a', 'rc-b', 'rc-c', 'rc-d', 'rc-e', 'rc-f'];
  const [a, ...rest] = await users(...names);
  expect(await putGroup(s.httpPort, { id: 'rc-team', members: names, max: 3 })).toBe(201);
  const rs = await a!.invite('rc-team', { requestUri: 'sip:rc-team@localhost' });
  expect(rs.status).toBe(200);
  const identity = focusIdentity(rs);
  const answers = await Promise.all(rest.map((u) => u.invite('x', { requestUri: identity, noConnect: true })));
  const statuses = answers.map((r) => r.status).sort();
  expect(statuses).toEqual([200, 200, 486, 486, 486]);
});

test('RFC 3261 10.3: nobody may register the conference factory, an IM Session Identity or a group id (403)', async () => {
  await putGroup(s.httpPort, { id: 'rsv-team', members: ['rsv-a'] });
  const p = await SipPeer.open('UDP', s.sipPort);
  try {
    for (const user of ['conference-factory', 'conf-abcdef', 'rsv-team']) {
      const r = await p.request({ method: 'REGISTER', uri: 'sip:localhost', from: `sip:${user}@localhost`, to: `sip:${user}@localhost`, contact: `<${p.contactUri}>`, headers: { Expires: '300' } });
      expect({ user, status: r.status }).toEqual({ user, status: 403 });
    }
  } finally {
    p.close();
  }
});

test('an invitee that never answers at all is given up at groups.inviteTimeoutMs (the session goes on with those who joined)', async () => {
  const [a, b] = await users('sl-a', 'sl-b');
  const silent = await SipPeer.open('UDP', s.sipPort);
  const reg = await silent.request({ method: 'REGISTER', uri: 'sip:localhost', from: 'sip:sl-mute@localhost', to: 'sip:sl-mute@localhost', contact: `<${silent.contactUri}>`, headers: { Expires: '300' } });
  expect(reg.status).toBe(200);
  silent.onRequest = () => undefined; // no 100, no 180, nothing
  try {
    const rs = await a!.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody(['sip:sl-b@localhost', 'sip:sl-mute@localhost']) });
    expect(rs.status).toBe(200);
    await b!.incomingReady;
    await until(() => b!.incomingReady !== undefined, 'b invited');
    let figures = await sessionFigures(s.httpPort);
    const deadline = Date.now() + 5000;
    while (figures['groups.invited'] !== 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      figures = await sessionFigures(s.httpPort);
    }
    expect(figures['groups.invited']).toBe(0);
    expect(a!.byes).toHaveLength(0);
  } finally {
    silent.close();
  }
});

test('one user may hold at most groups.maxPerUser running group sessions (486 beyond), so nobody takes them all', async () => {
  const [h, x] = await users('hog-a', 'hog-b');
  for (let i = 0; i < 2; i++) {
    const rs = await h!.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody(['sip:hog-b@localhost']), noConnect: true });
    expect(rs.status).toBe(200);
  }
  const third = await h!.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody(['sip:hog-b@localhost']), noConnect: true });
  expect(third.status).toBe(486);
  void x;
});

test('/metrics: the switch\'s live figures follow the sessions down, never a stale value', async () => {
  const [a, b] = await users('gm-a', 'gm-b');
  const rs = await a!.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody(['sip:gm-b@localhost']) });
  expect(rs.status).toBe(200);
  await until(() => b!.incomingReady !== undefined, 'b invited');
  await b!.incomingReady;
  const during = await sessionFigures(s.httpPort);
  expect(during['switch.participants']).toBeGreaterThanOrEqual(2);
  expect((await a!.requestInDialog('BYE')).status).toBe(200);
  await until(() => b!.byes.length === 1, 'released');
  await new Promise((r) => setTimeout(r, 200));
  const after = await sessionFigures(s.httpPort);
  // the two of this session are gone from the live figure (other tests' sessions may remain)
  expect(after['switch.participants']).toBe(during['switch.participants']! - 2);
});

test('RFC 4975 7.3: a participant SENDing a type the focus did not accept (accept-types message/cpim text/plain) gets 415 and nobody receives it', async () => {
  const [a, b] = await users('ct-a', 'ct-b');
  const rs = await a!.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody(['sip:ct-b@localhost']) });
  expect(rs.status).toBe(200);
  await until(() => b!.incomingReady !== undefined, 'b invited');
  await b!.incomingReady;
  const r = await a!.endpoint!.send(Buffer.from([1, 2, 3]), { contentType: 'application/octet-stream' });
  expect(r.status).toBe(415);
  const ok = await a!.endpoint!.send(Buffer.from('fine'), { contentType: 'text/plain' });
  expect(ok.status).toBe(200);
  await until(() => b!.messages.length === 1, 'the text/plain one arrives');
  expect(b!.messages).toHaveLength(1);
});

test('RFC 4975 7.3 applied late: an invitee leg bound by a stranger before the invitee answered is undone; the invitee binds, gets the messages, the stranger nothing', async () => {
  const [a, b] = await users('sb-a', 'sb-b');
  const stranger = await RawClient.open(s.msrpPort!);
  const tid = randomBytes(6).toString('hex');
  const usual = b!.peer.onRequest;
  b!.peer.onRequest = (m: WireMessage, p: SipPeer) => {
    if (m.method !== 'INVITE' || /;tag=/.test(header(m, 'to') ?? '')) return usual(m, p);
    // before answering: someone else binds the focus's URI for b (it cannot be checked yet)
    stranger.write(bindSend(tid, sdpPath(m.body)[0], 'msrp://127.0.0.1:9/stranger;tcp'));
    void until(() => stranger.responses(tid).length === 1, 'stranger bind answered').then(() => usual(m, p));
  };
  try {
    const rs = await a!.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody(['sip:sb-b@localhost']) });
    expect(rs.status).toBe(200);
    await until(() => b!.incomingReady !== undefined, 'b invited');
    await b!.incomingReady;
    expect(b!.msrpError).toBeUndefined();
    expect(stranger.responses(tid)[0].head).toMatchObject({ status: 200 });
    await a!.endpoint!.send(Buffer.from('for members only'), { contentType: 'text/plain' });
    await until(() => b!.messages.length === 1, 'message fanned out to b');
    expect(delivered(b!.messages[0]!).text).toBe('for members only');
    await until(() => stranger.closed, 'stranger connection closed');
    expect(stranger.requests('SEND')).toHaveLength(0);
  } finally {
    b!.peer.onRequest = usual;
    stranger.end();
  }
});
