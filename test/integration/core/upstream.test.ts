// Requests for another domain go to sip.outboundProxy as a loose route (RFC 3261 16.6, 19.1.1):
// the Request-URI stays the target, the Route names the proxy with ;lr.
import { startServer } from '../../helpers/server';
import { SipPeer, header } from '../../helpers/sip-peer';

test('MESSAGE to another domain is sent to the upstream proxy with the Request-URI unchanged', async () => {
  const proxy = await SipPeer.open('UDP', 9);
  proxy.onRequest = (m, p) => p.answer(m, 202, 'Accepted');
  const s = await startServer({ env: { IMEDGE_SIP__OUTBOUND_PROXY: `sip:127.0.0.1:${proxy.port}` } });
  // The proxy's answers go back to imedge (UDP: to the source of the request).
  proxy.serverPort = s.sipPort;
  const alice = await SipPeer.open('UDP', s.sipPort);
  const rs = await alice.request({ method: 'MESSAGE', uri: 'sip:carol@elsewhere.example', from: 'sip:alice@localhost', to: 'sip:carol@elsewhere.example', body: 'hi', headers: { 'Content-Type': 'text/plain' } });
  expect(rs.status).toBe(202);
  const got = proxy.received.find((m) => m.method === 'MESSAGE')!;
  expect(got.startLine).toBe('MESSAGE sip:carol@elsewhere.example SIP/2.0');
  expect(header(got, 'route')).toMatch(/;lr/);
  alice.close();
  proxy.close();
  await s.stop();
});
