// Issue 15 item 4: a phone's refresh after imedge restarted (even after SIGKILL) is accepted
// with the nonce it already holds, instead of a plain 401 that makes it ask for a password.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { answerChallenge } from '../../../src/sip/message/digest';
import type { AuthValue } from '../../../src/sip/message/types';
import { runCli, startServer, tempDir, type ServerHandle } from '../../helpers/server';
import { SipPeer, header, rid } from '../../helpers/sip-peer';
import { CALM } from '../phones/tools';

const authText = (a: AuthValue) => 'Digest ' + Object.entries(a).filter(([k]) => k !== 'scheme').map(([k, v]) => `${k}=${v}`).join(', ');

test('RFC 7616 3.3: the nonce key lives in <dataDir>/nonce-secret (0600), so a nonce survives a SIGKILL and restart', async () => {
  const dataDir = tempDir();
  const pw = path.join(dataDir, 'pw');
  fs.writeFileSync(pw, 's3cret\n');
  expect((await runCli(['user', 'add', 'erin', '--data-dir', dataDir, '--password-file', pw])).code).toBe(0);
  const env = { ...CALM, IMEDGE_AUTH__MODE: 'required' };
  let server: ServerHandle = await startServer({ dataDir, env });
  expect(fs.statSync(path.join(dataDir, 'nonce-secret')).mode & 0o777).toBe(0o600);
  const phone = await SipPeer.open('UDP', server.sipPort);
  try {
    const callId = rid();
    const spec = { method: 'REGISTER', uri: 'sip:localhost', from: 'sip:erin@localhost', to: 'sip:erin@localhost', callId, contact: `<${phone.contactUri}>` };
    const challenge = await phone.request({ ...spec, cseq: 1 });
    expect(challenge.status).toBe(401);
    const params = Object.fromEntries([...header(challenge, 'www-authenticate')!.replace(/^Digest\s+/, '').matchAll(/(\w+)=("[^"]*"|[^,]+)/g)].map((m) => [m[1], m[2]]));
    const ch = { scheme: 'Digest', ...params } as AuthValue;
    const first = await phone.request({ ...spec, cseq: 2, headers: { Authorization: authText(answerChallenge(ch, { user: 'erin', password: 's3cret' }, 'REGISTER', 'sip:localhost', 1)) } });
    expect(first.status).toBe(200);

    expect(await server.stop('SIGKILL')).toBeNull();
    server = await startServer({ dataDir, env });
    phone.serverPort = server.sipPort;

    // the refresh a phone sends: same nonce, next nonce count
    const refresh = await phone.request({ ...spec, cseq: 3, headers: { Authorization: authText(answerChallenge(ch, { user: 'erin', password: 's3cret' }, 'REGISTER', 'sip:localhost', 2)) } });
    expect(refresh.status).toBe(200);
  } finally {
    phone.close();
    await server.stop();
  }
});
