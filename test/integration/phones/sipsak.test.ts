// sipsak 0.9.8 (Debian) as a peer we did not write: it registers from an ephemeral port with a
// Contact on another one, and answers MD5 challenges only (issue 15 items 1 and 7).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, startServer, tempDir, type ServerHandle } from '../../helpers/server';
import { SipPeer } from '../../helpers/sip-peer';
import { authedRequest, CALM, sipsak } from './tools';

async function server(env: Record<string, string> = {}): Promise<ServerHandle> {
  const dataDir = tempDir();
  const pw = path.join(dataDir, 'pw');
  fs.writeFileSync(pw, 's3cret\n');
  for (const u of ['erin', 'bob']) expect((await runCli(['user', 'add', u, '--data-dir', dataDir, '--password-file', pw])).code).toBe(0);
  return startServer({ dataDir, env: { ...CALM, IMEDGE_AUTH__MODE: 'required', ...env } });
}

// -u: sipsak would otherwise answer the challenge as user "erin@"; -i: no Via warning
const register = (port: number, contactPort: number) =>
  sipsak(['-U', '-i', '-v', '-s', 'sip:erin@127.0.0.1', '-r', String(port), '-C', `sip:erin@127.0.0.1:${contactPort}`, '-x', '300', '-a', 's3cret', '-u', 'erin']);

describe('sipsak with the default auth.md5UserAgents', () => {
  let s: ServerHandle;
  const peers: SipPeer[] = [];
  beforeAll(async () => (s = await server()));
  afterAll(async () => {
    peers.forEach((p) => p.close());
    await s.stop();
  });

  test('RFC 3261 16.6 step 6: sipsak registers from an ephemeral port; the MESSAGE reaches its Contact port', async () => {
    const phone = await SipPeer.open('UDP', s.sipPort);
    const bob = await SipPeer.open('UDP', s.sipPort);
    peers.push(phone, bob);
    const reg = await register(s.sipPort, phone.port);
    expect(reg.out).toMatch(/usrloc tests completed successful/);
    expect(reg.code).toBe(0);
    const r = await authedRequest(bob, { method: 'MESSAGE', uri: 'sip:erin@localhost', from: 'sip:bob@localhost', to: 'sip:erin@localhost', headers: { 'Content-Type': 'text/plain;charset=utf-8' }, body: 'grüße' }, { user: 'bob', password: 's3cret' });
    expect(r.status).toBe(200);
    const got = phone.received.filter((m) => m.method === 'MESSAGE');
    expect(got).toHaveLength(1);
    expect(got[0]!.body.toString('utf8')).toBe('grüße');
  });
});

test('RFC 8760 2.4: with auth.md5UserAgents emptied, sipsak meets SHA-256 first and cannot register (the symptom the README names)', async () => {
  const s = await server({ IMEDGE_AUTH__MD5_USER_AGENTS: '' });
  try {
    const reg = await register(s.sipPort, 9);
    expect(reg.code).not.toBe(0);
    expect(reg.out).toMatch(/unsupported authentication algorithm/);
  } finally {
    await s.stop();
  }
});
