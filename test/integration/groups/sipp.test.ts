// Group sessions with SIPp (Debian sip-tester), a SIP peer nobody here wrote: as the initiator
// sending the conference factory INVITE (RFC 5366, OMA IM 7.1.1.6) and as an invited
// participant (RFC 5366 3) whose MSRP side is a plain TCP listener the test holds, so that the
// focus must dial it and bind with an empty SEND (RFC 4975 5.4, RFC 6135). Real server
// process, real sockets; the MSRP bytes at SIPp's a=path are read raw (test/helpers/msrp-peer).
import { startServer, type ServerHandle } from '../../helpers/server';
import { scaled } from '../../helpers/node-exe';
import { RawUa } from '../../helpers/raw-ua';
import { RawMsrpPeer, type PeerMessage } from '../../helpers/msrp-peer';
import { SipPeer, header, rid } from '../../helpers/sip-peer';
import { requireSipp, sipp, sippPort } from '../../helpers/sipp';
import { delivered, factoryBody, FACTORY, until, type Delivered } from '../../helpers/group';
import { getHeader } from '../../../src/msrp/wire';

let s: ServerHandle;
const closers: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  requireSipp();
  s = await startServer();
});
afterAll(async () => {
  for (const c of closers) await c();
  expect(await s.stop()).toBe(0);
});

async function users(...names: string[]): Promise<RawUa[]> {
  const out = await Promise.all(names.map((n) => RawUa.open(n, s.sipPort)));
  closers.push(...out.map((u) => () => u.close()));
  return out;
}

async function listener(): Promise<RawMsrpPeer> {
  const l = await RawMsrpPeer.listen();
  closers.push(() => l.close());
  return l;
}

/** A message the raw listener received, read as the switch's CPIM. */
const cpim = (m: PeerMessage): Delivered => delivered({ messageId: '', contentType: m.contentType ?? '', body: m.body });

/** RFC 4975 5.4: the first request the focus sent on the connection it dialled is an empty SEND to our URI. */
function expectBindingSend(l: RawMsrpPeer): void {
  expect(l.connections).toHaveLength(1);
  const first = l.connections[0]!.frames[0]!;
  expect(first.head.kind).toBe('request');
  if (first.head.kind !== 'request') return;
  expect(first.head.method).toBe('SEND');
  expect(first.head.hasBody).toBe(false);
  expect(getHeader(first.head, 'To-Path')).toBe(l.uri);
  expect(getHeader(first.head, 'From-Path')).toMatch(/^msrp:\/\/127\.0\.0\.1:\d+\/\S+;tcp$/);
  expect(l.bindSends).toHaveLength(1);
}

test('RFC 5366 / OMA IM 7.1.1.6: SIPp sends the factory INVITE (multipart/mixed, Require: recipient-list-invite) and finds Contact;isfocus with a sip:conf- URI; the listed users join; its BYE ends the session (7.2.2.8 1a)', async () => {
  const [bob, carol] = (await users('gs-bob', 'gs-carol')) as [RawUa, RawUa];
  const msrp = await listener();
  // SIPp's -cid_str: %u is the call number (1)
  const callIdBase = `gs-factory-${rid()}`;
  const callId = `${callIdBase}-1`;
  const local = sippPort();
  const run = sipp(s.sipPort, 'factory-invite-expect-isfocus.xml', {
    service: 'gs-alice',
    localPort: local,
    timeoutS: 40,
    keys: { msrp_path: msrp.uri, invitee1: bob.user, invitee2: carol.user },
    args: ['-cid_str', `${callIdBase}-%u`],
  });
  for (const u of [bob, carol]) {
    await until(() => u.incomingReady !== undefined, `${u.user} invited`, 15_000);
    await u.incomingReady;
    expect(u.msrpError).toBeUndefined();
    // RFC 3892: the focus names who asked for the invitation
    expect(header(u.invites[0]!, 'referred-by')).toBe('<sip:gs-alice@localhost>');
  }
  // SIPp offered a=setup:passive: the focus dialled its a=path and bound the session
  await msrp.until(() => msrp.bindSends.length === 1, 'binding SEND at SIPp\'s path');
  expectBindingSend(msrp);
  await bob.endpoint!.send(Buffer.from('hi SIPp'), { contentType: 'text/plain' });
  await msrp.until(() => msrp.messages.length === 1, 'bob\'s message at SIPp\'s path');
  expect(msrp.messages[0]!.contentType).toBe('message/cpim');
  expect(cpim(msrp.messages[0]!)).toEqual({ from: expect.stringContaining('<sip:gs-bob@localhost>'), contentType: 'text/plain', text: 'hi SIPp' });
  await until(() => carol.messages.length === 1, 'carol got bob\'s message');

  // "go on": one INFO in SIPp's call (not answered: SIPp answers only its remote host); then its BYE
  const go = await SipPeer.open('UDP', local);
  closers.push(() => go.close());
  go.sendRaw(go.build({ method: 'INFO', uri: `sip:gs-alice@127.0.0.1:${local}`, from: 'sip:test@localhost', to: 'sip:gs-alice@localhost', callId }));
  const done = await run;
  expect({ code: done.code, out: done.code === 0 ? '' : done.out }).toEqual({ code: 0, out: '' });
  // 7.2.2.8 rule 1a: the ad-hoc initiator left: the focus BYEs the others
  await until(() => bob.byes.length === 1 && carol.byes.length === 1, 'the others removed');
  expect(header(bob.byes[0]!, 'reason')).toMatch(/1a/);
}, scaled(60_000));

describe.each([
  ['no a=setup line (an RFC 4975 endpoint)', 'a=sendrecv'],
  ['a=setup:passive (RFC 6135)', 'a=setup:passive'],
])('SIPp as an invited participant answering %s', (what, setupLine) => {
  test(`RFC 4975 5.4 / RFC 6135: the focus dials SIPp's a=path and binds with an empty SEND; the others' messages reach it in message/cpim; its own reach them (${what})`, async () => {
    const tag = setupLine === 'a=sendrecv' ? 'n' : 'p';
    const [alice, bob] = (await users(`gp${tag}-alice`, `gp${tag}-bob`)) as [RawUa, RawUa];
    const sippUser = `gp${tag}-sipp`;
    const msrp = await listener();
    const local = sippPort();
    const reg = await sipp(s.sipPort, 'register-expect-200.xml', { service: sippUser, localPort: local });
    expect({ code: reg.code, out: reg.code === 0 ? '' : reg.out }).toEqual({ code: 0, out: '' });
    // the INVITE is retransmitted over UDP until SIPp is up on its port
    const uas = sipp(s.sipPort, 'invite-uas-group-200-msrp-expect-bye.xml', { service: sippUser, localPort: local, timeoutS: 40, keys: { msrp_path: msrp.uri, setup_line: setupLine } });

    const rs = await alice.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody([`sip:${sippUser}@localhost`, `sip:${bob.user}@localhost`]) });
    expect(rs.status).toBe(200);
    await until(() => bob.incomingReady !== undefined, 'bob invited');
    await bob.incomingReady;
    await msrp.until(() => msrp.bindSends.length === 1, 'binding SEND at SIPp\'s path', 15_000);
    expectBindingSend(msrp);

    await bob.endpoint!.send(Buffer.from('from bob'), { contentType: 'text/plain' });
    await alice.endpoint!.send(Buffer.from('from alice'), { contentType: 'text/plain' });
    await msrp.until(() => msrp.messages.length === 2, 'both messages at SIPp\'s path');
    const got = msrp.messages.map(cpim);
    expect(got.map((d) => d.text).sort()).toEqual(['from alice', 'from bob']);
    for (const d of got) expect(d.from).toContain(`<sip:${d.text === 'from bob' ? bob.user : alice.user}@localhost>`);
    expect(msrp.messages.every((m) => m.contentType === 'message/cpim')).toBe(true);

    // the listener sends on the connection the focus opened: the others hear SIPp's user
    expect(await msrp.send(Buffer.from('from sipp'))).toBe(200);
    await until(() => alice.messages.some((m) => delivered(m).text === 'from sipp') && bob.messages.some((m) => delivered(m).text === 'from sipp'), 'SIPp\'s message fanned out');
    expect(delivered(alice.messages.find((m) => delivered(m).text === 'from sipp')!).from).toContain(`<sip:${sippUser}@localhost>`);

    // the initiator leaves (7.2.2.8 1a): SIPp gets the focus's BYE and its scenario ends well
    expect((await alice.requestInDialog('BYE')).status).toBe(200);
    const done = await uas;
    expect({ code: done.code, out: done.code === 0 ? '' : done.out }).toEqual({ code: 0, out: '' });
  }, scaled(60_000));
});

test('OMA IM 7.2.1.9: the MSRP connection the focus dialled to SIPp\'s a=path closes: the focus BYEs SIPp; the others go on', async () => {
  const [alice, bob] = (await users('gl-alice', 'gl-bob')) as [RawUa, RawUa];
  const sippUser = 'gl-sipp';
  const msrp = await listener();
  const local = sippPort();
  const reg = await sipp(s.sipPort, 'register-expect-200.xml', { service: sippUser, localPort: local });
  expect({ code: reg.code, out: reg.code === 0 ? '' : reg.out }).toEqual({ code: 0, out: '' });
  const uas = sipp(s.sipPort, 'invite-uas-group-200-msrp-expect-bye.xml', { service: sippUser, localPort: local, timeoutS: 40, keys: { msrp_path: msrp.uri, setup_line: 'a=setup:passive' } });
  const rs = await alice.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody([`sip:${sippUser}@localhost`, `sip:${bob.user}@localhost`]) });
  expect(rs.status).toBe(200);
  await until(() => bob.incomingReady !== undefined, 'bob invited');
  await bob.incomingReady;
  await msrp.until(() => msrp.bindSends.length === 1, 'binding SEND at SIPp\'s path', 15_000);
  // SIPp's side of the MSRP connection goes away: its scenario ends well only on the focus's BYE
  await msrp.close();
  const done = await uas;
  expect({ code: done.code, out: done.code === 0 ? '' : done.out }).toEqual({ code: 0, out: '' });
  await alice.endpoint!.send(Buffer.from('still here'), { contentType: 'text/plain' });
  await until(() => bob.messages.length === 1, 'bob still hears alice');
  expect(alice.byes.length + bob.byes.length).toBe(0);
  expect((await alice.requestInDialog('BYE')).status).toBe(200);
}, scaled(60_000));
