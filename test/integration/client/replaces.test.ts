// The client as the receiver of an INVITE with Replaces (RFC 3891; the focus invites the
// original peer of an extended 1-1 session this way, OMA IM 7.1.1.6), option tags (RFC 3261
// 8.2.2.3), and CPIM senders in a 1-1 session: two clients in a direct session over real
// loopback sockets, and a raw SIP stack (the fake focus) sending the exact requests.
import { ImClient, wrapCpim, type EndReason, type ImSession, type IncomingInvite, type InboundMessage } from '../../../src/client';
import { formatReplaces } from '../../../src/sip/message/replaces';
import { headerText, type SipRequest } from '../../../src/sip/message/types';
import { newTag } from '../../../src/sip/stack';
import { fakeFocus, type FakeFocus } from './fake-focus';

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const next = <T>(e: { once(ev: string, cb: (v: T) => void): unknown }, ev: string) => new Promise<T>((r) => e.once(ev, r));

let focus: FakeFocus;
let alice: ImClient;
let bob: ImClient;
let sa: ImSession;
let sb: ImSession;
const invitesSeen: IncomingInvite[] = [];

beforeEach(async () => {
  focus = await fakeFocus();
  const base = { domain: 'localhost', server: { host: '127.0.0.1', port: 9, transport: 'UDP' as const }, msrpLossGraceMs: 50 };
  alice = await ImClient.start({ ...base, user: 'alice' });
  bob = await ImClient.start({ ...base, user: 'bob', incoming: (i) => void invitesSeen.push(i) });
  alice.setServer({ host: '127.0.0.1', port: bob.sipPort, transport: 'UDP' });
  bob.setServer({ host: '127.0.0.1', port: alice.sipPort, transport: 'UDP' });
  focus.users.set('bob', bob.sipPort);
  const incoming = next<ImSession>(bob, 'session');
  sa = await alice.invite('bob');
  sb = await incoming;
  await sb.ready();
  invitesSeen.length = 0;
});
afterEach(async () => {
  await alice.close(300);
  await bob.close(300);
  await focus.close();
});

/** bob's dialog with alice, as a Replaces sent to bob names it (RFC 3891 3: to-tag = bob's local tag). */
const bobsDialog = () => ({ callId: sb.callId, toTag: sb.dialog.localTag, fromTag: sb.dialog.remoteTag });

test('RFC 3891 3: an INVITE whose Replaces matches a session is accepted; the replaced session is ended with BYE ("replaced")', async () => {
  const endedOldB = next<EndReason>(sb, 'ended');
  const endedA = next<EndReason>(sa, 'ended');
  const newSession = next<ImSession>(bob, 'session');
  const rs = await focus.invite('bob', { replaces: bobsDialog(), require: 'replaces' });
  expect(rs.status).toBe(200);
  expect(headerText(rs, 'supported')).toBe('replaces');
  expect(invitesSeen).toEqual([expect.objectContaining({ group: true, replaces: sb.callId })]);
  const s2 = await newSession;
  await s2.ready();
  expect(await endedOldB).toBe('replaced');
  // the peer of the replaced dialog got its BYE
  expect(await endedA).toBe('bye-received');
  expect(bob.sessions()).toEqual([s2]);
  const got: InboundMessage[] = [];
  s2.on('message', (m) => got.push(m));
  await focus.fanOut([...focus.conferences.values()][0], { uri: 'sip:alice@localhost' }, 'carried on');
  await until(() => got.length === 1, 'message on the new session');
  expect(got[0].sender?.uri).toBe('sip:alice@localhost');
});

test('RFC 3891 3: a Replaces that matches no session gets 481, and nothing changes', async () => {
  const d = bobsDialog();
  for (const replaces of [
    { ...d, callId: 'no-such-call@x' },
    // the tags seen from the wrong side (alice's view, not bob's)
    { callId: d.callId, toTag: d.fromTag, fromTag: d.toTag },
    { ...d, fromTag: 'other' },
  ]) {
    expect((await focus.invite('bob', { replaces })).status).toBe(481);
  }
  expect(sb.ended).toBe(false);
  expect(bob.sessions()).toEqual([sb]);
  expect(invitesSeen).toEqual([]);
});

test('RFC 3891 3: early-only on a confirmed session is 486; a malformed Replaces is 400', async () => {
  expect((await focus.invite('bob', { replaces: { ...bobsDialog(), earlyOnly: true } })).status).toBe(486);
  const raw = async (replaces: string) => {
    const invite: SipRequest = {
      method: 'INVITE', uri: `sip:bob@127.0.0.1:${bob.sipPort}`,
      headers: {
        via: [], 'max-forwards': '70', from: { uri: 'sip:focus@localhost', params: { tag: newTag() } }, to: { uri: 'sip:bob@localhost', params: {} },
        'call-id': `${newTag()}@t`, cseq: { seq: 1, method: 'INVITE' }, contact: [{ uri: `sip:focus@127.0.0.1:${focus.port}`, params: {} }], replaces,
      },
      body: Buffer.alloc(0),
    };
    return (await focus.stack.request(invite, { targets: [{ protocol: 'UDP', address: '127.0.0.1', port: bob.sipPort }] })).status;
  };
  expect(await raw(`${sb.callId};to-tag=${sb.dialog.localTag}`)).toBe(400);
  expect(await raw(`${formatReplaces(bobsDialog())}, ${formatReplaces(bobsDialog())}`)).toBe(400);
  expect(sb.ended).toBe(false);
});

test('RFC 3261 8.2.2.3: Require of an extension we do not serve is 420 with Unsupported; Replaces outside an INVITE is 400', async () => {
  const send = async (method: string, headers: Record<string, string>) => {
    const req: SipRequest = {
      method, uri: `sip:bob@127.0.0.1:${bob.sipPort}`,
      headers: {
        via: [], 'max-forwards': '70', from: { uri: 'sip:focus@localhost', params: { tag: newTag() } }, to: { uri: 'sip:bob@localhost', params: {} },
        'call-id': `${newTag()}@t`, cseq: { seq: 1, method }, ...headers,
      },
      body: Buffer.alloc(0),
    };
    return focus.stack.request(req, { targets: [{ protocol: 'UDP', address: '127.0.0.1', port: bob.sipPort }] });
  };
  const r1 = await send('OPTIONS', { require: 'replaces' });
  expect(r1.status).toBe(420);
  expect(headerText(r1, 'unsupported')).toBe('replaces');
  const r2 = await send('INVITE', { require: 'replaces, 100rel, foo' });
  expect(r2.status).toBe(420);
  expect(headerText(r2, 'unsupported')).toBe('100rel, foo');
  const r3 = await send('MESSAGE', { replaces: formatReplaces(bobsDialog()) });
  expect(r3.status).toBe(400);
  const r4 = await send('OPTIONS', {});
  expect(r4.status).toBe(200);
  expect(headerText(r4, 'supported')).toBe('replaces');
  expect(sb.ended).toBe(false);
});

test('RFC 3862: a message/cpim payload in a 1-1 session gives the sender and the wrapped content', async () => {
  const got: InboundMessage[] = [];
  sb.on('message', (m) => got.push(m));
  const payload = wrapCpim({ from: 'sip:alice@localhost', anonymous: false, to: 'sip:bob@localhost', contentType: 'text/plain;charset=UTF-8', body: Buffer.from('wrapped €'), at: new Date(0) });
  expect((await sa.send(payload, { contentType: 'message/cpim' })).status).toBe(200);
  const anon = wrapCpim({ from: 'sip:alice@localhost', anonymous: true, to: 'sip:bob@localhost', contentType: 'text/plain', body: Buffer.from('hidden'), at: new Date(0) });
  expect((await sa.send(anon, { contentType: 'message/cpim' })).status).toBe(200);
  await until(() => got.length === 2, 'two messages');
  expect(got[0]).toMatchObject({ contentType: 'text/plain', sender: { uri: 'sip:alice@localhost', anonymous: false } });
  expect(got[0].body.toString()).toBe('wrapped €');
  expect(got[0].cpim?.payload.equals(payload)).toBe(true);
  expect(got[0].cpim?.dateTime).toBe('1970-01-01T00:00:00.000Z');
  expect(got[1].sender).toEqual({ uri: 'sip:anonymous@anonymous.invalid', name: 'Anonymous', anonymous: true });
});

test('a type the peer does not take goes wrapped in CPIM when the peer takes message/cpim', async () => {
  await sb.modify({ acceptTypes: ['message/cpim'] });
  const got: InboundMessage[] = [];
  sb.on('message', (m) => got.push(m));
  expect((await sa.send('plain, wrapped on the way')).status).toBe(200);
  await until(() => got.length === 1, 'message');
  expect(got[0]).toMatchObject({ contentType: 'text/plain', sender: { uri: 'sip:alice@localhost', anonymous: false } });
  expect(got[0].cpim?.to).toEqual([`<${sa.identity}>`]);
  expect(got[0].body.toString()).toBe('plain, wrapped on the way');
});
