// Issue 11 item 4: every SIP torture message (test/fixtures/torture/sip) as one UDP datagram
// to a live server: exactly the expected outcome, and OPTIONS still gets 200 after each.
import { startServer, type ServerHandle } from '../../helpers/server';
import { SipPeer } from '../../helpers/sip-peer';
import { describeObserved, fill, loadCases, udpExchange } from './torture';

const cases = loadCases('sip');

describe('SIP torture set over UDP (RFC 4475 categories)', () => {
  let server: ServerHandle;
  let probe: SipPeer;
  beforeAll(async () => {
    server = await startServer();
    probe = await SipPeer.open('UDP', server.sipPort);
  });
  afterAll(async () => {
    probe.close();
    expect(await server.stop()).toBe(0);
  });

  test('the set holds at least 60 messages, each with an expected UDP outcome', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    for (const c of cases) expect([c.file, c.expect.udp]).toEqual([c.file, expect.stringMatching(/^(\d{3}|drop)$/)]);
  });

  test.each(cases.map((c) => [c.file, c] as const))('%s', async (_f, c) => {
    const expected = c.expect.udp!;
    const got = await udpExchange(server.sipPort, fill(c.template, `udp-${c.file.slice(0, 2)}`, 'UDP'), expected === 'drop' ? 400 : 3000);
    expect(`${c.file}: ${describeObserved(got)}`).toBe(`${c.file}: ${expected}`);
    const r = await probe.request({ method: 'OPTIONS', uri: 'sip:localhost', from: 'sip:probe@localhost', to: 'sip:localhost' }, 3000);
    expect(r.status).toBe(200);
  });
});
