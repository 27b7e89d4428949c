// RFC 3261 17.2.1: the INVITE server transaction resends its final non-2xx response (Timer G)
// on unreliable transports only; over TCP it goes once and Timer H alone bounds the wait for
// the ACK. Outside attack t14: a 487 over TCP came five times in 12 s. Real server, raw peers.
import { startServer, type ServerHandle } from '../../helpers/server';
import { header, rid, SipPeer } from '../../helpers/sip-peer';

let s: ServerHandle;
beforeAll(async () => {
  s = await startServer({ env: { IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' } });
});
afterAll(async () => {
  expect(await s.stop()).toBe(0);
});

test.each([
  ['TCP', 1],
  ['UDP', 2],
] as const)('RFC 3261 17.2.1: an un-ACKed final non-2xx to an INVITE over %s comes at least/exactly %i time(s) in 1.2 s (Timer G on UDP only)', async (transport, copies) => {
  const p = await SipPeer.open(transport, s.sipPort);
  try {
    const callId = rid();
    const rs = await p.request({ method: 'INVITE', uri: 'sip:nobody-here@localhost', from: 'sip:tg-a@localhost', to: 'sip:nobody-here@localhost', callId, contact: `<${p.contactUri}>` });
    // no offer: 488 (any final non-2xx will do)
    expect(rs.status).toBeGreaterThanOrEqual(300);
    // no ACK: the transaction stays in Completed
    await new Promise((r) => setTimeout(r, 1200));
    const n = p.responses.filter((m) => header(m, 'call-id') === callId && m.status === rs.status).length;
    if (transport === 'TCP') expect(n).toBe(copies);
    else expect(n).toBeGreaterThanOrEqual(copies);
  } finally {
    p.close();
  }
});
