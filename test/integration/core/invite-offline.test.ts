// Issue 8 item 6: an INVITE to a user the server knows but who has no binding now gets 480
// Temporarily Unavailable (RFC 3261 21.4.18); to a user it does not know, 404 (21.4.5).
// Known = provisioned with `imedge user add` (a binding alone does not outlive its expiry).
import { RawUa } from '../../helpers/raw-ua';
import { SipPeer } from '../../helpers/sip-peer';
import { runCli, startServer, tempDir, type ServerHandle } from '../../helpers/server';

describe.each(['UDP', 'TCP'] as const)('INVITE to a user without a binding over %s', (transport) => {
  let server: ServerHandle;
  const uas: RawUa[] = [];
  beforeAll(async () => {
    const dataDir = tempDir();
    for (const user of ['dave', 'erin']) {
      const r = await runCli(['user', 'add', user, '--data-dir', dataDir], { input: 'pw\n' });
      expect(r.code).toBe(0);
    }
    server = await startServer({ dataDir });
  });
  afterAll(async () => {
    for (const u of uas) await u.close();
    expect(await server.stop()).toBe(0);
  });
  const ua = async (name: string) => {
    const u = await RawUa.open(name, server.sipPort, transport);
    uas.push(u);
    return u;
  };
  const unregister = async (user: string) => {
    const p = await SipPeer.open(transport, server.sipPort);
    const on = await p.request({ method: 'REGISTER', uri: 'sip:localhost', from: `sip:${user}@localhost`, to: `sip:${user}@localhost`, contact: `<${p.contactUri}>`, headers: { Expires: '300' } });
    const off = await p.request({ method: 'REGISTER', uri: 'sip:localhost', from: `sip:${user}@localhost`, to: `sip:${user}@localhost`, contact: `<${p.contactUri}>`, headers: { Expires: '0' } });
    p.close();
    return [on.status, off.status];
  };

  test('RFC 3261 21.4.18: a provisioned user who never registered gets 480', async () => {
    const alice = await ua(`alice-never-${transport}`);
    const rs = await alice.invite('dave');
    expect(rs.status).toBe(480);
  });

  test('RFC 3261 21.4.18: a provisioned user who unregistered gets 480', async () => {
    expect(await unregister('erin')).toEqual([200, 200]);
    const alice = await ua(`alice-gone-${transport}`);
    expect((await alice.invite('erin')).status).toBe(480);
  });

  test('RFC 3261 21.4.5: a user who is neither provisioned nor registered gets 404, even after a past registration', async () => {
    const ghost = `ghost-${transport}`;
    expect(await unregister(ghost)).toEqual([200, 200]);
    const alice = await ua(`alice-ghost-${transport}`);
    expect((await alice.invite(ghost)).status).toBe(404);
    expect((await alice.invite('nobody-at-all')).status).toBe(404);
  });
});
