// Issue 8 item 2: anonymity at the server (RFC 3323, RFC 3325 9.3; OMA IM 7.1.1.12 step 3). A
// request with Privacy: id reaches the other side with an anonymous From, no asserted
// identity, and no Contact, Call-ID or Via that names the sender: checked on the raw bytes
// the other side received over real sockets.
import { startServer, type ServerHandle } from '../../helpers/server';
import { RawUa, msrpOffer } from '../../helpers/raw-ua';
import { header, headers, type WireMessage } from '../../helpers/sip-peer';

// A busy neighbour on the shared test machine must not put the server under pressure (503).
const CALM = { IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' };

const until = async (pred: () => boolean, what: string, ms = 8000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`condition not met in time: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const ANONYMOUS_FROM = /^"Anonymous" <sip:anonymous@anonymous\.invalid>;tag=[0-9a-f]+$/;
const CALLER = 'zorroanon';

let s: ServerHandle;
beforeAll(async () => {
  s = await startServer({ env: CALM });
});
afterAll(async () => {
  expect(await s.stop()).toBe(0);
});

/** What in these bytes names the caller: its user, its SIP address, its Call-ID and From tag. */
function namesOf(ua: RawUa, callId: string | undefined, fromTag: string | undefined): string[] {
  return [CALLER, `127.0.0.1:${ua.peer.port}`, ...(callId ? [callId] : []), ...(fromTag ? [fromTag] : [])];
}

function expectNothingNaming(msgs: WireMessage[], names: string[]): void {
  expect(msgs.length).toBeGreaterThan(0);
  for (const m of msgs) {
    const raw = m.raw.toString('latin1');
    for (const n of names) expect({ startLine: m.startLine, found: raw.includes(n) ? n : undefined }).toEqual({ startLine: m.startLine, found: undefined });
    expect(header(m, 'from')).toMatch(ANONYMOUS_FROM);
    expect(header(m, 'p-asserted-identity')).toBeUndefined();
    expect(header(m, 'p-preferred-identity')).toBeUndefined();
  }
}

const identityHeaders = ['Privacy: id', `P-Asserted-Identity: <sip:${CALLER}@localhost>`, `P-Preferred-Identity: "Zorro" <sip:${CALLER}@localhost>`, `Subject: hello from ${CALLER}`];

test('RFC 3323 / RFC 3325 9.3 (OMA IM 7.1.1.12 step 3): an anonymous INVITE, re-INVITE and BYE reach the callee with nothing that names the caller', async () => {
  const alice = await RawUa.open(CALLER, s.sipPort);
  const bob = await RawUa.open('bob-priv', s.sipPort);
  try {
    const rs = await alice.invite(bob.user, { headers: identityHeaders });
    expect(rs.status).toBe(200);
    await bob.incomingReady;
    const names = namesOf(alice, alice.dialog?.callId, alice.dialog?.localTag);
    // the session works as any other
    await alice.endpoint!.send(Buffer.from('from nobody'), { contentType: 'text/plain' });
    await until(() => bob.messages.length === 1, 'message at the callee');

    const re = await alice.requestInDialog('INVITE', [...identityHeaders, 'Content-Type: application/sdp'], Buffer.from(msrpOffer(alice['msrpUri' as never], { acceptTypes: ['text/plain'] })));
    expect(re.status).toBe(200);
    expect((await alice.requestInDialog('BYE', ['Privacy: id'])).status).toBe(200);
    await until(() => bob.byes.length === 1, 'BYE at the callee');

    const got = bob.peer.received.filter((m) => m.method === 'INVITE' || m.method === 'BYE' || m.method === 'ACK');
    expect(got.filter((m) => m.method === 'INVITE').length).toBeGreaterThanOrEqual(2);
    expect(got.filter((m) => m.method === 'BYE')).toHaveLength(1);
    expectNothingNaming(got, names);
    // Contact and Via are the server's own
    for (const m of got) {
      if (header(m, 'contact')) expect(header(m, 'contact')).toMatch(/^<sip:im-[0-9a-f]+@/);
      expect(headers(m, 'via')).toHaveLength(1);
    }
    // Privacy stays on the request, so further hops add no identity either
    expect(header(got[0], 'privacy')).toBe('id');
  } finally {
    await alice.close();
    await bob.close();
  }
});

test('RFC 3323 / RFC 3325 9.3: a page-mode MESSAGE with Privacy: id reaches the callee with nothing that names the sender; the sender gets the 200', async () => {
  const alice = await RawUa.open(CALLER, s.sipPort);
  const bob = await RawUa.open('bob-page', s.sipPort);
  try {
    const callId = `c${Date.now()}@${CALLER}.example`;
    const rs = await alice.peer.request({
      method: 'MESSAGE', uri: `sip:${bob.user}@localhost`, from: `sip:${CALLER}@localhost`, to: `sip:${bob.user}@localhost`, callId,
      contact: `<${alice.peer.contactUri}>`,
      // attack finding: Referred-By, History-Info and X- headers reached the callee
      headers: {
        Privacy: 'id', Subject: `from ${CALLER}`, 'P-Asserted-Identity': `<sip:${CALLER}@localhost>`, 'Content-Type': 'text/plain',
        'Referred-By': `<sip:${CALLER}@localhost>`, 'History-Info': `<sip:${CALLER}@localhost>;index=1`, 'X-Caller': CALLER,
      },
      body: 'a secret admirer',
    });
    expect(rs.status).toBe(200);
    const got = bob.peer.received.filter((m) => m.method === 'MESSAGE');
    expect(got).toHaveLength(1);
    expect(got[0].body.toString()).toBe('a secret admirer');
    expectNothingNaming(got, namesOf(alice, callId, undefined));
    expect(header(got[0], 'contact')).toBeUndefined();
    expect(headers(got[0], 'via')).toHaveLength(1);
  } finally {
    await alice.close();
    await bob.close();
  }
});

test('without Privacy the callee sees the caller (the check above can fail)', async () => {
  const alice = await RawUa.open(CALLER, s.sipPort);
  const bob = await RawUa.open('bob-open', s.sipPort);
  try {
    expect((await alice.invite(bob.user)).status).toBe(200);
    await bob.incomingReady;
    const inv = bob.peer.received.find((m) => m.method === 'INVITE')!;
    expect(header(inv, 'from')).toContain(`sip:${CALLER}@localhost`);
    expect((await alice.requestInDialog('BYE')).status).toBe(200);
  } finally {
    await alice.close();
    await bob.close();
  }
});

test('RFC 3325 5 (attack finding): an identity a client asserts itself (P-Asserted-Identity, Remote-Party-ID) never reaches the callee of a MESSAGE', async () => {
  const alice = await RawUa.open('mallory-pai', s.sipPort);
  const bob = await RawUa.open('bob-pai', s.sipPort);
  try {
    const rs = await alice.peer.request({
      method: 'MESSAGE', uri: `sip:${bob.user}@localhost`, from: `sip:${alice.user}@localhost`, to: `sip:${bob.user}@localhost`,
      headers: { 'P-Asserted-Identity': '"The CEO" <sip:ceo@localhost>, <tel:+15551234>', 'Remote-Party-ID': '<sip:ceo@localhost>;party=calling', 'P-Preferred-Identity': '<sip:ceo@localhost>', 'Content-Type': 'text/plain' },
      body: 'wire the money',
    });
    expect(rs.status).toBe(200);
    const got = bob.peer.received.filter((m) => m.method === 'MESSAGE');
    expect(got).toHaveLength(1);
    expect(got[0].raw.toString('latin1')).not.toMatch(/ceo|15551234/i);
  } finally {
    await alice.close();
    await bob.close();
  }
});
