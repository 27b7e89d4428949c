// Issue 15 item 4: a phone's refresh after imedge restarted (even after SIGKILL) never gets a
// plain 401 that makes it ask for a password: its nonce is recognised as genuine. Second attack
// round: the nonce-counts seen before the restart are gone, so the refresh is not accepted as
// is (a sniffed Authorization would be, once, with the attacker's Contact): it gets stale=true
// and a fresh nonce, which the phone answers by itself.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { answerChallenge } from '../../../src/sip/message/digest';
import type { AuthValue } from '../../../src/sip/message/types';
import { runCli, startServer, tempDir, type ServerHandle } from '../../helpers/server';
import { SipPeer, header, rid } from '../../helpers/sip-peer';
import { CALM } from '../phones/tools';

const authText = (a: AuthValue) => 'Digest ' + Object.entries(a).filter(([k]) => k !== 'scheme').map(([k, v]) => `${k}=${v}`).join(', ');

test('RFC 7616 3.3: the nonce key lives in <dataDir>/nonce-secret (0600): after a SIGKILL and restart a refresh gets stale=true, never a password prompt, and a replay is refused', async () => {
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

    // a replay of the Authorization used before the restart (what a sniffer holds)
    const replay = await phone.request({ ...spec, cseq: 3, headers: { Authorization: authText(answerChallenge(ch, { user: 'erin', password: 's3cret' }, 'REGISTER', 'sip:localhost', 1)) } });
    expect(replay.status).toBe(401);
    // the refresh a phone sends: same nonce, next nonce count -> stale=true, no password prompt
    const refresh = await phone.request({ ...spec, cseq: 4, headers: { Authorization: authText(answerChallenge(ch, { user: 'erin', password: 's3cret' }, 'REGISTER', 'sip:localhost', 2)) } });
    expect(refresh.status).toBe(401);
    expect(header(refresh, 'www-authenticate')).toMatch(/stale=true/i);
    const fresh = Object.fromEntries([...header(refresh, 'www-authenticate')!.replace(/^Digest\s+/, '').matchAll(/(\w+)=("[^"]*"|[^,]+)/g)].map((m) => [m[1], m[2]]));
    const again = await phone.request({ ...spec, cseq: 5, headers: { Authorization: authText(answerChallenge({ scheme: 'Digest', ...fresh } as AuthValue, { user: 'erin', password: 's3cret' }, 'REGISTER', 'sip:localhost', 1)) } });
    expect(again.status).toBe(200);
  } finally {
    phone.close();
    await server.stop();
  }
});
