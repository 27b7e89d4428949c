// 1-1 IM sessions through the participating IM function (B2BUA + MSRP relay), driven by raw
// SIP peers and real MSRP endpoints over loopback (OMA IM 7.1.1.5, 7.2.1.10, 9.1.1).
import { sessionFigures } from '../../helpers/figures';
import { startServer, type ServerHandle } from '../../helpers/server';
import { RawUa, msrpOffer } from '../../helpers/raw-ua';
import { header } from '../../helpers/sip-peer';

// A busy neighbour on the shared test machine must not put the server under pressure (503).
const CALM = { IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' };

const sessions = (s: ServerHandle): Promise<Record<string, number>> => sessionFigures(s.httpPort);

const until = async (pred: () => boolean | Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe.each(['UDP', 'TCP'] as const)('1-1 session over SIP %s', (transport) => {
  let server: ServerHandle;
  const uas: RawUa[] = [];
  const ua = async (name: string) => {
    const u = await RawUa.open(name, server.sipPort, transport);
    uas.push(u);
    return u;
  };
  beforeAll(async () => {
    server = await startServer({ env: CALM });
  });
  afterAll(async () => {
    for (const u of uas) await u.close();
    expect(await server.stop()).toBe(0);
  });

  test('setup, messages both ways byte-exact and in order, BYE releases everything', async () => {
    const alice = await ua(`alice${transport}`);
    const bob = await ua(`bob${transport}`);
    const rs = await alice.invite(bob.user);
    expect(rs.status).toBe(200);
    await bob.incomingReady;
    const texts = Array.from({ length: 200 }, (_, i) => `msg ${i} — ünïcødé ✓`);
    for (const t of texts) await alice.endpoint!.send(Buffer.from(t), { contentType: 'text/plain' });
    await until(() => bob.messages.length === texts.length);
    expect(bob.messages.map((m) => m.body.toString('utf8'))).toEqual(texts);
    await bob.endpoint!.send(Buffer.from('reply from bob'), { contentType: 'text/plain' });
    await until(() => alice.messages.length === 1);
    expect(alice.messages[0].body.toString()).toBe('reply from bob');
    expect((await sessions(server))['1-1']).toBe(1);
    const bye = await alice.requestInDialog('BYE');
    expect(bye.status).toBe(200);
    await until(() => bob.byes.length === 1);
    await until(async () => (await sessions(server))['1-1'] === 0);
    const st = await sessions(server);
    expect(st.livePairs).toBe(0);
    expect(st.liveLegs).toBe(0);
  });

  test('a 2 MiB message crosses in chunks', async () => {
    const alice = await ua(`big-a${transport}`);
    const bob = await ua(`big-b${transport}`);
    expect((await alice.invite(bob.user)).status).toBe(200);
    await bob.incomingReady;
    const big = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + 3) & 0xff;
    const r = await alice.endpoint!.send(big, { contentType: 'text/plain' });
    expect(r.status).toBe(200);
    expect(r.chunks).toBeGreaterThan(1);
    await until(() => bob.messages.length === 1, 10000);
    expect(bob.messages[0].body.equals(big)).toBe(true);
    expect((await bob.requestInDialog('BYE')).status).toBe(200);
    await until(() => alice.byes.length === 1);
  });

  test('OMA IM 7.1.1.5: re-INVITE modifies the session; MSRP continues without loss', async () => {
    const alice = await ua(`mod-a${transport}`);
    const bob = await ua(`mod-b${transport}`);
    expect((await alice.invite(bob.user)).status).toBe(200);
    await bob.incomingReady;
    const sending = (async () => {
      for (let i = 0; i < 100; i++) await alice.endpoint!.send(Buffer.from(`m${i}`), { contentType: 'text/plain' });
    })();
    const re = await alice.requestInDialog('INVITE', ['Content-Type: application/sdp'], Buffer.from(msrpOffer(alice['msrpUri' as never], { acceptTypes: ['text/plain'], maxSize: 4096 })));
    expect(re.status).toBe(200);
    expect(re.body.toString()).toContain('a=accept-types:text/plain');
    await sending;
    await until(() => bob.messages.length === 100);
    expect(bob.messages.map((m) => m.body.toString())).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    const upd = await alice.requestInDialog('UPDATE');
    expect(upd.status).toBe(405);
    expect(header(upd, 'allow')).not.toContain('UPDATE');
    expect((await alice.requestInDialog('BYE')).status).toBe(200);
  });

  test('RFC 3264 6: an offer of audio + message is answered with both m= lines, audio rejected (port 0) in its place; the re-INVITE answer too', async () => {
    const alice = await ua(`av-a${transport}`);
    const bob = await ua(`av-b${transport}`);
    const withAudio = (offer: string) => offer.replace('m=message', 'm=audio 49170 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\nm=message');
    const rs = await alice.invite(bob.user, { wrap: (offer) => ({ contentType: 'application/sdp', body: Buffer.from(withAudio(offer)) }) });
    expect(rs.status).toBe(200);
    const mLines = (body: Buffer) => body.toString().split('\r\n').filter((l) => l.startsWith('m='));
    expect(mLines(rs.body)).toEqual(['m=audio 0 RTP/AVP 0 8', expect.stringMatching(/^m=message [1-9]\d* TCP\/MSRP \*$/)]);
    await bob.incomingReady;
    // the callee was offered the message stream only (imedge relays MSRP, not audio)
    expect(mLines(bob.invites[bob.invites.length - 1].body)).toHaveLength(1);
    const re = await alice.requestInDialog('INVITE', ['Content-Type: application/sdp'], Buffer.from(withAudio(msrpOffer(alice['msrpUri' as never], { acceptTypes: ['text/plain'] }))));
    expect(re.status).toBe(200);
    expect(mLines(re.body)).toEqual(['m=audio 0 RTP/AVP 0 8', expect.stringMatching(/^m=message [1-9]\d* TCP\/MSRP \*$/)]);
    await alice.endpoint!.send(Buffer.from('still chatting'), { contentType: 'text/plain' });
    await until(() => bob.messages.length === 1);
    expect((await alice.requestInDialog('BYE')).status).toBe(200);
  });

  test('RFC 3261 21.4.26: an offer with more m= lines than imedge takes (16) is unacceptable, 488, not 400 (outside attack F4)', async () => {
    const alice = await ua(`mm-a${transport}`);
    const bob = await ua(`mm-b${transport}`);
    const audio = 'm=audio 49170 RTP/AVP 0\r\n'.repeat(16);
    const rs = await alice.invite(bob.user, { wrap: (offer) => ({ contentType: 'application/sdp', body: Buffer.from(offer.replace('m=message', `${audio}m=message`)) }) });
    expect(rs.status).toBe(488);
    expect(bob.invites).toHaveLength(0);
  });

  test('callee busy (486), unregistered (480), unknown (404), no common type (488)', async () => {
    const alice = await ua(`err-a${transport}`);
    const busy = await ua(`busy${transport}`);
    busy.answerStatus = 486;
    expect((await alice.invite(busy.user)).status).toBe(486);
    expect((await alice.invite('nobody-at-all')).status).toBe(404);
    const picky = await ua(`picky${transport}`);
    picky.answerTypes = ['application/x-only-this'];
    expect((await alice.invite(picky.user)).status).toBe(488);
    await until(async () => (await sessions(server))['1-1'] === 0);
  });

  test('the callee MSRP connection dropping releases both sides with BYE', async () => {
    const alice = await ua(`drop-a${transport}`);
    const bob = await ua(`drop-b${transport}`);
    expect((await alice.invite(bob.user)).status).toBe(200);
    await bob.incomingReady;
    await until(async () => (await sessions(server)).liveLegs === 2);
    await bob.net.close();
    await until(() => alice.byes.length === 1 && bob.byes.length === 1);
    await until(async () => (await sessions(server))['1-1'] === 0);
  });

  test('OMA IM 9.1.1: large message mode (a=sendonly) carries one message', async () => {
    const alice = await ua(`lmm-a${transport}`);
    const bob = await ua(`lmm-b${transport}`);
    const rs = await alice.invite(bob.user, { direction: 'sendonly' });
    expect(rs.status).toBe(200);
    expect(rs.body.toString()).toContain('a=recvonly');
    await bob.incomingReady;
    expect((await sessions(server))['large-message']).toBe(1);
    const big = Buffer.alloc(300_000, 0x41);
    expect((await alice.endpoint!.send(big, { contentType: 'text/plain' })).status).toBe(200);
    await until(() => bob.messages.length === 1);
    expect(bob.messages[0].body.length).toBe(big.length);
    expect((await alice.requestInDialog('BYE')).status).toBe(200);
    await until(async () => (await sessions(server))['large-message'] === 0);
  });
});
