// Group sessions from the client's side (OMA IM 7.1.1.6, 7.1.1.9, 7.1.2.3) against a
// hand-built focus that keeps the wire contract of imedge's controlling IM function, over real
// loopback SIP and MSRP sockets.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AdhocGroupTooLargeError, ImClient, NoStoredSessionError, SipStatusError, type EndReason, type ImClientOptions, type ImSession, type InboundMessage } from '../../../src/client';
import { parseMultipart } from '../../../src/sip/message/multipart';
import { parseReplaces, splitUriHeaders } from '../../../src/sip/message/replaces';
import { headerText } from '../../../src/sip/message/types';
import { findMsrpMedia, parseSdp } from '../../../src/sdp';
import { parseResourceLists } from '../../../src/xml';
import { fakeFocus, type FakeFocus } from './fake-focus';

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const next = <T>(e: { once(ev: string, cb: (v: T) => void): unknown }, ev: string) => new Promise<T>((r) => e.once(ev, r));

function collect(s: ImSession): InboundMessage[] {
  const got: InboundMessage[] = [];
  s.on('message', (m) => got.push(m));
  return got;
}

let focus: FakeFocus;
let dir: string;
const clients: ImClient[] = [];

async function client(user: string, extra: Partial<ImClientOptions> = {}): Promise<ImClient> {
  const c = await ImClient.start({
    user, domain: 'localhost', server: { host: '127.0.0.1', port: focus.port, transport: 'UDP' },
    rejoinWindowMs: 60_000, storeFile: path.join(dir, `${user}.json`), msrpLossGraceMs: 50, ...extra,
  });
  clients.push(c);
  focus.users.set(user, c.sipPort);
  return c;
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imedge-groups-'));
  focus = await fakeFocus();
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close(300);
  await focus.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('OMA IM 7.1.1.6: an ad-hoc group is an INVITE to the factory with SDP + URI list (RFC 5366); the session is the focus', async () => {
  const alice = await client('alice');
  const bob = await client('bob');
  const carol = await client('carol');
  const atBob = next<ImSession>(bob, 'session');
  const atCarol = next<ImSession>(carol, 'session');
  const sa = await alice.startGroup(['bob', 'carol@localhost', 'sip:bob@localhost', 'alice']);
  const [sb, sc] = await Promise.all([atBob, atCarol]);
  await Promise.all([sb.ready(), sc.ready()]);

  const invite = focus.requests.find((r) => r.method === 'INVITE')!;
  expect(invite.uri).toBe('sip:conference-factory@localhost');
  expect(invite.headers.to?.uri).toBe('sip:conference-factory@localhost');
  expect(headerText(invite, 'require')).toBe('recipient-list-invite');
  expect(headerText(invite, 'supported')).toBe('replaces');
  const ct = headerText(invite, 'content-type')!;
  expect(ct).toMatch(/^multipart\/mixed;boundary=/);
  const parts = parseMultipart(ct, invite.body);
  expect(parts.map((p) => p.mediaType)).toEqual(['application/sdp', 'application/resource-lists+xml']);
  expect(parts[1].headers['content-disposition']).toBe('recipient-list');
  const offer = findMsrpMedia(parseSdp(parts[0].body))!;
  expect(offer.setup).toBe('actpass');
  expect(offer.acceptTypes).toContain('message/cpim');
  // each user once, the initiator not listed
  expect(parseResourceLists(parts[1].body).map((e) => e.uri)).toEqual(['sip:bob@localhost', 'sip:carol@localhost']);

  const conf = [...focus.conferences.values()][0];
  expect(sa.group).toBe(true);
  expect(sa.identity).toBe(conf.identity);
  expect(sa.identity).toMatch(/^sip:conf-1@127\.0\.0\.1:\d+;transport=tcp$/);
  // the invitees see the focus too
  expect(sb.group).toBe(true);
  expect(sb.identity).toBe(conf.identity);
  expect(sc.group).toBe(true);

  // text/plain goes as it is, the focus wraps it; every receiver learns the sender from CPIM From
  const atA = collect(sa);
  const atC = collect(sc);
  expect((await sb.send('hello group ✓')).status).toBe(200);
  await until(() => atA.length === 1 && atC.length === 1, 'the fan-out');
  for (const m of [atA[0], atC[0]]) {
    expect(m.sender).toEqual({ uri: 'sip:bob@localhost', anonymous: false });
    expect(m.contentType).toBe('text/plain');
    expect(m.body.toString('utf8')).toBe('hello group ✓');
    expect(m.cpim?.to).toEqual([`<${conf.identity}>`]);
  }
  expect(conf.received[0].contentType).toBe('text/plain');
});

test('OMA IM 7.1.1.6 step 5: a list over MAX-ADHOC-GROUP-SIZE is refused before anything is sent; the limit itself is allowed', async () => {
  const alice = await client('alice', { maxAdhocGroupSize: 2 });
  await client('bob');
  await client('carol');
  const err = await alice.startGroup(['bob', 'carol', 'dave']).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(AdhocGroupTooLargeError);
  expect(err).toMatchObject({ invited: 3, maxAdhocGroupSize: 2 });
  expect((err as Error).message).toMatch(/too many invited users: 3.*MAX-ADHOC-GROUP-SIZE.*nothing was sent/);
  expect(focus.requests).toHaveLength(0);
  // the same user twice and the user itself do not count
  const s = await alice.startGroup(['bob', 'sip:bob@LOCALHOST:5060', 'carol', 'alice']);
  expect(s.group).toBe(true);
  expect(alice.maxAdhocGroupSize).toBe(2);
});

test('OMA IM 7.1.1.6 step 5: the focus refusing with 403 + Warning reaches the user with the warning text', async () => {
  const alice = await client('alice');
  focus.refuseFactory = { status: 403, warning: 'Too many invited users: 12 listed, MAX-ADHOC-GROUP-SIZE is 10' };
  const err = await alice.startGroup(['bob']).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SipStatusError);
  expect(err).toMatchObject({ status: 403, warningText: 'Too many invited users: 12 listed, MAX-ADHOC-GROUP-SIZE is 10' });
  expect((err as Error).message).toBe('INVITE failed: 403 Forbidden (Too many invited users: 12 listed, MAX-ADHOC-GROUP-SIZE is 10)');
});

test('pre-defined group: joinGroup is an INVITE to sip:<group-id>@<domain>; a second member joins the same session', async () => {
  focus.groups.add('sales');
  const alice = await client('alice');
  const bob = await client('bob');
  const sa = await alice.joinGroup('sales');
  const sb = await bob.joinGroup('sip:sales@localhost');
  const invites = focus.requests.filter((r) => r.method === 'INVITE');
  expect(invites.map((r) => r.uri)).toEqual(['sip:sales@localhost', 'sip:sales@localhost']);
  expect(headerText(invites[0], 'content-type')).toBe('application/sdp');
  expect(sa.group && sb.group).toBe(true);
  expect(sa.identity).toBe(sb.identity);
  expect(sa.peerAllow).toContain('BYE');
  const atB = collect(sb);
  await sa.send('to the sales team');
  await until(() => atB.length === 1, 'message');
  expect(atB[0].sender?.uri).toBe('sip:alice@localhost');
});

test('OMA IM 7.1.2.3 + 7.1.1.9: removed by the focus (BYE answered 200), the identity is kept; rejoin INVITEs it and the session carries on', async () => {
  focus.groups.add('ops');
  const alice = await client('alice');
  const bob = await client('bob');
  const sa = await alice.joinGroup('ops');
  const sb = await bob.joinGroup('ops');
  const conf = [...focus.conferences.values()][0];
  const pa = conf.participants.find((p) => p.aor === 'sip:alice@localhost')!;
  const ended = next<EndReason>(sa, 'ended');
  expect(await focus.bye(pa)).toBe(200);
  expect(await ended).toBe('bye-received');
  expect(alice.rejoinable().map((e) => e.sessionId)).toEqual([conf.identity]);

  const again = await alice.rejoin(conf.identity);
  const rejoinInvite = focus.requests.filter((r) => r.method === 'INVITE').at(-1)!;
  expect(rejoinInvite.uri).toBe(conf.identity);
  expect(again.group).toBe(true);
  expect(again.identity).toBe(conf.identity);
  expect(alice.rejoinable()).toEqual([]);
  const atA = collect(again);
  await sb.send('welcome back');
  await until(() => atA.length === 1, 'message after rejoin');
  expect(atA[0].sender?.uri).toBe('sip:bob@localhost');

  // leaving (7.1.1.12) keeps it too, and the store outlives the client (file)
  expect(await again.leave()).toBe(200);
  const reopened = await ImClient.start({ user: 'alice', domain: 'localhost', server: { host: '127.0.0.1', port: focus.port, transport: 'UDP' }, storeFile: path.join(dir, 'alice.json') });
  clients.push(reopened);
  expect(reopened.rejoinable().map((e) => e.sessionId)).toEqual([conf.identity]);
  await expect(reopened.rejoin('sip:conf-99@127.0.0.1')).rejects.toThrow(NoStoredSessionError);
});

test('OMA IM 7.1.1.9 step 1: an expired identity cannot be rejoined; the error says so', async () => {
  focus.groups.add('ops');
  const alice = await client('alice', { rejoinWindowMs: 1 });
  const sa = await alice.joinGroup('ops');
  const id = sa.identity;
  await sa.leave();
  await new Promise((r) => setTimeout(r, 5));
  await expect(alice.rejoin(id)).rejects.toThrow(/no stored IM Session Identity .* \(or it expired\): cannot rejoin/);
});

test('an INVITE from a focus (Contact ;isfocus) is a group session; anonymous senders and display names come from CPIM From', async () => {
  const bob = await client('bob', { acceptTypes: ['text/plain'] });
  const incoming = next<ImSession>(bob, 'session');
  const rs = await focus.invite('bob', {});
  expect(rs.status).toBe(200);
  // bob's own types lack message/cpim; a focus's session takes it all the same
  expect(findMsrpMedia(parseSdp(rs.body))!.acceptTypes).toEqual(['message/cpim', 'text/plain']);
  const sb = await incoming;
  await sb.ready();
  const conf = [...focus.conferences.values()][0];
  expect(sb.group).toBe(true);
  expect(sb.identity).toBe(conf.identity);
  const got = collect(sb);
  await focus.fanOut(conf, { name: 'Anonymous', uri: 'sip:anonymous@anonymous.invalid' }, 'who am I');
  await focus.fanOut(conf, { name: 'Carol Émile', uri: 'sip:carol@localhost' }, 'named');
  await until(() => got.length === 2, 'two messages');
  expect(got[0].sender).toEqual({ uri: 'sip:anonymous@anonymous.invalid', name: 'Anonymous', anonymous: true });
  expect(got[1].sender).toEqual({ uri: 'sip:carol@localhost', name: 'Carol Émile', anonymous: false });
  expect(got[1].body.toString()).toBe('named');
});

test('OMA IM 7.1.1.6 steps 3 and 8, Appendix M: extending a 1-1 session; the URI list and the INVITE carry Replaces; the old session is replaced', async () => {
  const alice = await client('alice');
  const bob = await client('bob');
  await client('carol');
  // the 1-1 session runs directly between alice and bob; alice's next requests go to the focus
  alice.setServer({ host: '127.0.0.1', port: bob.sipPort, transport: 'UDP' });
  const atBob = next<ImSession>(bob, 'session');
  const old = await alice.invite('bob');
  const oldB = await atBob;
  await oldB.ready();
  alice.setServer({ host: '127.0.0.1', port: focus.port, transport: 'UDP' });
  const oldEndedA = next<EndReason>(old, 'ended');
  const oldEndedB = next<EndReason>(oldB, 'ended');
  const newAtBob = next<ImSession>(bob, 'session');

  const group = await old.inviteMore(['carol']);
  expect(group.group).toBe(true);

  const invite = focus.requests.find((r) => r.method === 'INVITE')!;
  const replacesHeader = parseReplaces(headerText(invite, 'replaces')!);
  expect(replacesHeader).toEqual({ callId: old.callId, toTag: old.dialog.remoteTag, fromTag: old.dialog.localTag, earlyOnly: false });
  const ct = headerText(invite, 'content-type')!;
  const list = parseResourceLists(parseMultipart(ct, invite.body)[1].body).map((e) => e.uri);
  expect(list).toHaveLength(2);
  expect(list[1]).toBe('sip:carol@localhost');
  const enc = (s: string) => encodeURIComponent(s);
  expect(list[0]).toBe(`sip:bob@localhost?Replaces=${enc(old.callId)}%3Bto-tag%3D${enc(old.dialog.remoteTag)}%3Bfrom-tag%3D${enc(old.dialog.localTag)}`);
  expect(parseReplaces(splitUriHeaders(list[0])!.headers.get('replaces')!)).toEqual(replacesHeader);

  // the focus invites bob with Replaces: bob takes the new session and BYEs the old dialog
  const newB = await newAtBob;
  await newB.ready();
  expect(newB.group).toBe(true);
  expect(await oldEndedB).toBe('replaced');
  expect(await oldEndedA).toBe('replaced');
  expect(bob.sessions()).toEqual([newB]);
  // nothing to rejoin: the old sessions were 1-1 and replaced
  expect(alice.rejoinable()).toEqual([]);
  expect(bob.rejoinable()).toEqual([]);
  const atB = collect(newB);
  await group.send('now we are three');
  await until(() => atB.length === 1, 'group message');
  expect(atB[0].sender?.uri).toBe('sip:alice@localhost');
});

test('extending refuses a group session, an empty addition, and a list over MAX-ADHOC-GROUP-SIZE (the original peer counts)', async () => {
  focus.groups.add('g');
  const alice = await client('alice', { maxAdhocGroupSize: 2 });
  const bob = await client('bob');
  const g = await alice.joinGroup('g');
  await expect(g.inviteMore(['bob'])).rejects.toThrow(/only a 1-1 session/);
  alice.setServer({ host: '127.0.0.1', port: bob.sipPort, transport: 'UDP' });
  const atBob = next<ImSession>(bob, 'session');
  const s = await alice.invite('bob');
  await (await atBob).ready();
  await expect(s.inviteMore(['bob', 'alice'])).rejects.toThrow(/at least one user/);
  await expect(s.inviteMore(['carol', 'dave'])).rejects.toBeInstanceOf(AdhocGroupTooLargeError);
  await expect(s.inviteMore(['not a uri'])).rejects.toThrow(/not a SIP address/);
  expect(s.ended).toBe(false);
});
