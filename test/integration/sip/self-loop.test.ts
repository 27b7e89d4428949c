// Attack finding (second limits attack, F2, high in open mode): a user registered ten contacts
// naming the server itself, then one MESSAGE to that user forked ten ways back into the server
// at every hop until Max-Forwards ran out (~1,500 requests a second, RSS 70 -> 870 MB, until
// the binding expired). RFC 3261 16.3 item 4 / RFC 5393: nothing is sent to one of the server's
// own listeners; such a branch is answered 482 Loop Detected at once and counted.
import { SipPeer, type WireMessage } from '../../helpers/sip-peer';
import { startServer, type ServerHandle } from '../../helpers/server';

let s: ServerHandle;
beforeAll(async () => {
  s = await startServer({ env: { IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' } });
});
afterAll(async () => {
  expect(await s.stop()).toBe(0);
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${s.httpPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.split(' ')[1]);
}

async function messagesIn(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${s.httpPort}/metrics`)).text();
  const m = /^imedge_sip_requests_received_total\{method="MESSAGE"\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

// Over UDP the registrar reaches a contact at its own address (the REGISTER came from there);
// over TCP a request goes back over the registering connection, so no contact can name us.
test.each(['UDP'] as const)('RFC 3261 16.3 item 4 over %s: contacts naming the server itself get 482, the MESSAGE is not forked back into the server', async (transport) => {
  const peer = await SipPeer.open(transport, s.sipPort);
  try {
    const user = `loopy${transport}`;
    const contacts = Array.from({ length: 10 }, (_, i) => `<sip:${user}@127.0.0.1:${s.sipPort};x=${i}>`);
    const reg = await peer.request({ method: 'REGISTER', uri: 'sip:localhost', from: `sip:${user}@localhost`, to: `sip:${user}@localhost`, contact: contacts.join(', '), headers: { Expires: '300' } });
    expect(reg.status).toBe(200);
    const loops0 = await metric('imedge_sip_loops_refused_total');
    const in0 = await messagesIn();
    const rs: WireMessage = await peer.request({ method: 'MESSAGE', uri: `sip:${user}@localhost`, from: 'sip:mallory@localhost', to: `sip:${user}@localhost`, headers: { 'Content-Type': 'text/plain' }, body: 'hi' });
    expect(rs.status).toBe(482);
    // one MESSAGE came in (the peer's): none came back from the server to itself
    expect((await messagesIn()) - in0).toBe(1);
    expect((await metric('imedge_sip_loops_refused_total')) - loops0).toBe(10);
    // the server still serves: OPTIONS 200
    expect((await peer.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:mallory@localhost', to: 'sip:localhost' })).status).toBe(200);
  } finally {
    peer.close();
  }
});
