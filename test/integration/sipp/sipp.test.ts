// SIPp (Debian sip-tester) drives the server as a peer no one here wrote. Scenario files are
// named after the response they expect; SIPp exits 0 only when every call succeeded.
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { startServer, type ServerHandle } from '../../helpers/server';

const SCEN = path.resolve(__dirname, '../../fixtures/sipp');

function sipp(server: ServerHandle, scenario: string, opts: { service: string; transport?: 'u1' | 't1'; localPort: number; timeoutS?: number }): Promise<{ code: number | null; out: string }> {
  const args = [
    `127.0.0.1:${server.sipPort}`,
    '-sf', path.join(SCEN, scenario),
    '-s', opts.service,
    '-i', '127.0.0.1',
    '-p', String(opts.localPort),
    '-t', opts.transport ?? 'u1',
    '-m', '1',
    '-timeout', `${opts.timeoutS ?? 10}s`,
    '-timeout_error',
    '-nostdin',
    '-bg',
  ].filter((a) => a !== '-bg');
  return new Promise((resolve) => {
    const p = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    // a missing binary fails at once with its cause, not after the scenario timeout
    p.on('error', (err) => resolve({ code: -1, out: `cannot run sipp: ${err.message}` }));
    p.on('exit', (code) => resolve({ code, out }));
  });
}

/** SIPp is a peer we did not write: without it these tests cannot run, and must say so. */
function requireSipp(): void {
  const r = spawnSync('sipp', ['-v'], { encoding: 'utf8' });
  if (r.error) throw new Error(`SIPp is not installed (${r.error.message}): apt-get install sip-tester (.ci/run does)`);
}

const port = () => 20000 + Math.floor(Math.random() * 20000);

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
