// Outside attack findings on the caller's early dialog: the relayed 180 (with imedge's To tag,
// so an early dialog, RFC 3261 12.1.1) carried no Contact, and a BYE the caller sent in that
// early dialog ended its INVITE with 480. RFC 3261 15.1.2: the BYE gets 200 and the INVITE 487,
// and imedge CANCELs its INVITE toward the callee. SIPp is the ringing callee. Real server.
import { startServer, type ServerHandle } from '../../helpers/server';
import { RawUa } from '../../helpers/raw-ua';
import { header, rid, type WireMessage } from '../../helpers/sip-peer';
import { requireSipp, sipp, sippPort } from '../../helpers/sipp';

const until = async (pred: () => boolean, what: string, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`condition not met in time: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('RFC 3261 12.1.1 / 15.1.2: the caller\'s early dialog', () => {
  let s: ServerHandle;
  beforeAll(async () => {
    requireSipp();
    s = await startServer({ env: { IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' } });
  });
  afterAll(async () => {
    expect(await s.stop()).toBe(0);
  });

  test('the relayed 180 carries imedge\'s Contact; a BYE in that early dialog gets 200, the INVITE 487, and the ringing callee a CANCEL', async () => {
    const bob = 'bob-early';
    const port = sippPort();
    expect((await sipp(s.sipPort, 'register-expect-200.xml', { service: bob, localPort: port })).code).toBe(0);
    const callee = sipp(s.sipPort, 'invite-uas-180-expect-cancel.xml', { service: bob, localPort: port, timeoutS: 20 });
    await new Promise((r) => setTimeout(r, 300)); // SIPp binds its port after start-up
    const alice = await RawUa.open('alice-early', s.sipPort);
    try {
      const invite = alice.invite(bob);
      let ringing: WireMessage | undefined;
      await until(() => (ringing = alice.peer.responses.find((m) => m.status === 180)) !== undefined, '180 at the caller');
      const r = ringing as WireMessage;
      expect(header(r, 'to')).toMatch(/;tag=/);
      const contact = /<([^>]+)>/.exec(header(r, 'contact') ?? '')?.[1];
      expect(contact).toMatch(/^sip:/);
      const callId = header(r, 'call-id') as string;
      const bye = [
        `BYE ${contact} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${alice.peer.port};branch=z9hG4bK${rid()};rport`,
        'Max-Forwards: 70',
        `From: ${header(r, 'from')}`,
        `To: ${header(r, 'to')}`,
        `Call-ID: ${callId}`,
        'CSeq: 2 BYE',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      expect((await alice.peer.requestRaw(Buffer.from(bye), `${callId}|2 BYE`)).status).toBe(200);
      expect((await invite).status).toBe(487);
      const done = await callee;
      expect({ code: done.code, out: done.code === 0 ? '' : done.out }).toEqual({ code: 0, out: '' });
    } finally {
      await alice.close();
    }
  });
});
