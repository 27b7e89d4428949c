// Second limits re-attack (F1, high in open mode): two servers each holding contacts for one
// user that name the other forked one MESSAGE 2-3 ways at every hop; Max-Forwards bounds each
// chain to 70 hops but not the tree (~2^70), so it never ended (RSS 65 -> 550 MB on both).
// RFC 5393: parallel branches share the request's Max-Breadth (60 when absent), so at most 60
// copies are under way at once and every chain ends at Max-Forwards: the MESSAGE gets a final
// answer and the work done is bounded.
import { SipPeer, header } from '../../helpers/sip-peer';
import { startServer, type ServerHandle } from '../../helpers/server';

const CALM = { IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' };
let a: ServerHandle;
let b: ServerHandle;
beforeAll(async () => {
  [a, b] = await Promise.all([startServer({ env: CALM }), startServer({ env: CALM })]);
});
afterAll(async () => {
  expect(await a.stop()).toBe(0);
  expect(await b.stop()).toBe(0);
});

async function messagesIn(s: ServerHandle): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${s.httpPort}/metrics`)).text();
  const m = /^imedge_sip_requests_received_total\{method="MESSAGE"\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** Registers `pp` at `at` with contacts naming `other` (UDP and TCP), over UDP from the test. */
async function pointAt(at: ServerHandle, other: ServerHandle): Promise<void> {
  const p = await SipPeer.open('UDP', at.sipPort);
  try {
    const contact = [`<sip:pp@127.0.0.1:${other.sipPort}>`, `<sip:pp@127.0.0.1:${other.sipPort};transport=tcp>`].join(', ');
    const rs = await p.request({ method: 'REGISTER', uri: 'sip:localhost', from: 'sip:pp@localhost', to: 'sip:pp@localhost', contact, headers: { Expires: '300' } });
    expect(rs.status).toBe(200);
  } finally {
    p.close();
  }
}

test('RFC 5393 5.3.3: a MESSAGE between two servers whose contacts name each other ends with a final answer; the copies are bounded by Max-Breadth x Max-Forwards', async () => {
  await pointAt(a, b);
  await pointAt(b, a);
  const peer = await SipPeer.open('UDP', a.sipPort);
  try {
    const rs = await peer.request({ method: 'MESSAGE', uri: 'sip:pp@localhost', from: 'sip:mallory@localhost', to: 'sip:pp@localhost', headers: { 'Content-Type': 'text/plain', 'Max-Forwards': '16' }, body: 'hi' }, 60_000);
    // every chain ended at Max-Forwards (483), or a branch gave up: never a 2xx, never silence
    expect(rs.status).toBeGreaterThanOrEqual(400);
    expect(header(rs, 'call-id')).toBeDefined();
    // with 16 hops and a breadth of 60 at most 60 copies are under way at once: far fewer than
    // the 2^16 a tree of two contacts per hop would make
    const total = (await messagesIn(a)) + (await messagesIn(b));
    expect(total).toBeLessThanOrEqual(60 * 16 + 1);
    // and nothing goes on after the answer
    await new Promise((r) => setTimeout(r, 500));
    expect((await messagesIn(a)) + (await messagesIn(b))).toBe(total);
  } finally {
    peer.close();
  }
}, 90_000);
