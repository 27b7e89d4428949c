// SIPp (Debian sip-tester) drives the server as a peer no one here wrote. Scenario files are
// named after the response they expect; SIPp exits 0 only when every call succeeded.
import { startServer, type ServerHandle } from '../../helpers/server';
import { requireSipp, sipp as runSipp, sippPort as port, type SippRun } from '../../helpers/sipp';

const sipp = (server: ServerHandle, scenario: string, opts: SippRun) => runSipp(server.sipPort, scenario, opts);

describe('SIPp against imedge', () => {
  let server: ServerHandle;
  beforeAll(async () => {
    requireSipp();
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  test.each(['u1', 't1'] as const)('options-expect-200 (%s): Allow without UPDATE', async (transport) => {
    const r = await sipp(server, 'options-expect-200.xml', { service: 'x', transport, localPort: port() });
    expect(r.code).toBe(0);
  });

  test('register-expect-200 then message-expect-200 delivered to a SIPp UAS', async () => {
    const bobPort = port();
    const reg = await sipp(server, 'register-expect-200.xml', { service: 'bob', localPort: bobPort });
    expect(reg.code).toBe(0);
    const uas = sipp(server, 'message-uas-200.xml', { service: 'bob', localPort: bobPort, timeoutS: 15 });
    await new Promise((r) => setTimeout(r, 500));
    const msg = await sipp(server, 'message-expect-200.xml', { service: 'bob', localPort: port() });
    expect(msg.code).toBe(0);
    expect((await uas).code).toBe(0);
  });

  test.each(['u1', 't1'] as const)('update-expect-405 (%s): OMA IM 7.1.1.5, Allow without UPDATE', async (transport) => {
    const r = await sipp(server, 'update-expect-405.xml', { service: 'bob', transport, localPort: port() });
    expect(r.code).toBe(0);
  });

  test('invite-expect-404 for a user nobody knows', async () => {
    expect((await sipp(server, 'invite-expect-404.xml', { service: 'ghost', localPort: port() })).code).toBe(0);
  });

  test('invite-expect-488 for an offer without an MSRP stream', async () => {
    expect((await sipp(server, 'invite-expect-488.xml', { service: 'anyone', localPort: port() })).code).toBe(0);
  });

  test('invite-uas-486 callee: the caller gets invite-expect-486', async () => {
    const carolPort = port();
    expect((await sipp(server, 'register-expect-200.xml', { service: 'carol', localPort: carolPort })).code).toBe(0);
    const uas = sipp(server, 'invite-uas-486.xml', { service: 'carol', localPort: carolPort, timeoutS: 15 });
    await new Promise((r) => setTimeout(r, 500));
    const r = await sipp(server, 'invite-expect-486.xml', { service: 'carol', localPort: port() });
    expect(r.code).toBe(0);
    expect((await uas).code).toBe(0);
  });

  test('message-expect-404 for a user nobody knows', async () => {
    const r = await sipp(server, 'message-expect-404.xml', { service: 'ghost', localPort: port() });
    expect(r.code).toBe(0);
  });
});
