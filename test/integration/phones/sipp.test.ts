// SIPp scenarios for issue 15 items 2 (OPTIONS to a user), 3 (CRLF keep-alives) and 5 (rport),
// named after the answer they expect, against the real `imedge serve`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, startServer, tempDir, type ServerHandle } from '../../helpers/server';
import { CALM, metric, requireTool, sipp } from './tools';

async function withUsers(users: string[]): Promise<string> {
  const dataDir = tempDir();
  const pw = path.join(dataDir, 'pw');
  fs.writeFileSync(pw, 'pw\n');
  for (const u of users) expect((await runCli(['user', 'add', u, '--data-dir', dataDir, '--password-file', pw])).code).toBe(0);
  return dataDir;
}

describe('item 2: OPTIONS to a user answered as an INVITE would be', () => {
  let open: ServerHandle;
  let required: ServerHandle;
  beforeAll(async () => {
    [open, required] = await Promise.all([startServer({ dataDir: await withUsers(['dave']), env: CALM }), startServer({ dataDir: await withUsers(['bob']), env: { ...CALM, IMEDGE_AUTH__MODE: 'required' } })]);
  });
  afterAll(() => Promise.all([open.stop(), required.stop()]));

  test.each(['u1', 't1'] as const)('options-user-expect-407 (%s): no credentials, digest required', async (transport) => {
    expect((await sipp(required.sipPort, 'options-user-expect-407.xml', { service: 'bob', transport })).code).toBe(0);
  });
  test('options-user-expect-404: a user nobody knows', async () => {
    expect((await sipp(open.sipPort, 'options-user-expect-404.xml', { service: 'ghost' })).code).toBe(0);
  });
  test('options-user-expect-480: a known user with no binding', async () => {
    expect((await sipp(open.sipPort, 'options-user-expect-480.xml', { service: 'dave' })).code).toBe(0);
  });
});

describe('items 3 and 5: keep-alives and rport', () => {
  let server: ServerHandle;
  beforeAll(async () => (server = await startServer({ env: CALM })));
  afterAll(() => server.stop());

  test('crlf-ping-tcp-expect-200: a ping after a request on TCP, no parse error', async () => {
    const r = await sipp(server.sipPort, 'crlf-ping-tcp-expect-200.xml', { transport: 't1' });
    expect(r.code).toBe(0);
    await server.waitForLog((l) => l.msg === 'keep-alive' && l.kind === 'crlf' && l.transport === 'TCP');
    expect(await metric(server, 'imedge_sip_parse_errors_total')).toBe(0);
  });

  test('crlf-ping-udp-expect-200: a CRLF-only datagram is ignored silently, no parse error', async () => {
    requireTool('socat', 'socat');
    const r = await sipp(server.sipPort, 'crlf-ping-udp-expect-200.xml', { transport: 'u1' });
    expect(r.code).toBe(0);
    await server.waitForLog((l) => l.msg === 'keep-alive' && l.kind === 'crlf' && l.transport === 'UDP');
    expect(await metric(server, 'imedge_sip_parse_errors_total')).toBe(0);
    expect(server.lines.filter((l) => l.msg === 'malformed SIP message dropped')).toHaveLength(0);
  });

  test.each(['t1', 'u1'] as const)('options-expect-rport (%s): RFC 3581 4 fills rport', async (transport) => {
    expect((await sipp(server.sipPort, 'options-expect-rport.xml', { transport })).code).toBe(0);
  });
});
