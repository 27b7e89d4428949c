// A participant's re-INVITE to the focus (OMA IM 7.1.1.5): one without an offer (a session
// refresh) got 488; now it gets 200 with the focus's offer for the running session (RFC 3261
// 14.1: same path, the focus's current a=setup role), and every 2xx of the focus to a re-INVITE is
// resent over UDP until its ACK (13.3.1.4). Real server, raw UAs over UDP.
import { startServer, type ServerHandle } from '../../helpers/server';
import { RawUa, msrpOffer } from '../../helpers/raw-ua';
import { header } from '../../helpers/sip-peer';
import { FACTORY, delivered, factoryBody, until } from '../../helpers/group';

let s: ServerHandle;
const uas: RawUa[] = [];
beforeAll(async () => {
  s = await startServer({ env: { IMEDGE_SIP__T1_MS: '50', IMEDGE_SIP__T2_MS: '200', IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' } });
});
afterAll(async () => {
  for (const u of uas) await u.close();
  expect(await s.stop()).toBe(0);
});

test('RFC 3261 14.1 / 13.2.1 / 13.3.1.4: an offerless re-INVITE to the focus gets 200 with the focus\'s offer (same path), resent until the ACK; an offer that keeps the path too; messages still fan out', async () => {
  const [alice, bob] = await Promise.all(['fr-alice', 'fr-bob'].map((n) => RawUa.open(n, s.sipPort)));
  uas.push(alice, bob);
  const rs = await alice.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody([`sip:${bob.user}@localhost`]), headers: ['Require: recipient-list-invite'] });
  expect(rs.status).toBe(200);
  const focusPath = /a=path:(\S+)/.exec(rs.body.toString())?.[1];
  await until(() => bob.incomingReady !== undefined, 'bob invited');
  await bob.incomingReady;
  const d = alice.dialog!;
  for (const withOffer of [false, true]) {
    d.cseq += 1;
    const key = `${d.callId}|${d.cseq} INVITE`;
    const copies = () => alice.peer.responses.filter((m) => `${header(m, 'call-id')}|${header(m, 'cseq')}` === key && m.status === 200).length;
    const body = withOffer ? Buffer.from(msrpOffer(alice['msrpUri' as never], { setup: 'active' })) : Buffer.alloc(0);
    const re = await alice.peer.requestRaw(alice.inDialogBytes('INVITE', d.cseq, withOffer ? ['Content-Type: application/sdp'] : [], body), key);
    expect(re.status).toBe(200);
    expect(re.body.toString()).toContain(`a=path:${focusPath}`);
    if (!withOffer) expect(re.body.toString()).toMatch(/a=setup:(active|passive)\r\n/); // the running role, not actpass
    await until(() => copies() >= 2, 'the 200 resent while no ACK came');
    alice.peer.sendRaw(alice.inDialogBytes('ACK', d.cseq, []));
    await new Promise((r) => setTimeout(r, 300));
    const n = copies();
    await new Promise((r) => setTimeout(r, 500));
    expect(copies()).toBe(n);
  }
  await alice.endpoint!.send(Buffer.from('after the refreshes'), { contentType: 'text/plain' });
  await until(() => bob.messages.length === 1, 'message fanned out');
  expect(delivered(bob.messages[0]!).text).toBe('after the refreshes');
  expect(bob.byes).toHaveLength(0);
  expect((await alice.requestInDialog('BYE')).status).toBe(200);
});
