// Debian's baresip 1.0 (libre) as a phone we did not write, against the real `imedge serve`
// with digest required: registration over UDP and TCP, page-mode MESSAGE both ways with UTF-8
// text, a MESSAGE delivered to the Contact port of a registration sipsak made from another
// port (RFC 3261 16.5/16.6), and bindings that survive a SIGKILL of imedge.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, startServer, tempDir, type ServerHandle } from '../../helpers/server';
import { SipPeer, header, type WireMessage } from '../../helpers/sip-peer';
import { Baresip } from './baresip';
import { authedRequest, CALM, metric, sipsak } from './tools';

const DOMAIN = 'localhost';
const PASSWORD = 's3cret';
const aor = (u: string) => `sip:${u}@${DOMAIN}`;
const TEXT = 'héllo € — привет — 你好 — 🙂';

async function provisionedDataDir(users: string[]): Promise<string> {
  const dataDir = tempDir('imedge-phones-');
  const pw = path.join(dataDir, 'pw');
  fs.writeFileSync(pw, `${PASSWORD}\n`);
  for (const u of users) expect((await runCli(['user', 'add', u, '--data-dir', dataDir, '--password-file', pw])).code).toBe(0);
  return dataDir;
}

const serve = (dataDir: string, args: string[] = []) => startServer({ dataDir, args, env: { ...CALM, IMEDGE_AUTH__MODE: 'required' } });

/** A raw peer registered as `user` (digest), answering every request with 200. */
async function registeredPeer(transport: 'UDP' | 'TCP', port: number, user: string): Promise<SipPeer> {
  const p = await SipPeer.open(transport, port);
  const r = await authedRequest(p, { method: 'REGISTER', uri: `sip:${DOMAIN}`, from: aor(user), to: aor(user), contact: `<${p.contactUri}>`, headers: { Expires: '600' } }, { user, password: PASSWORD });
  expect(r.status).toBe(200);
  return p;
}

function waitRequest(p: SipPeer, method: string, timeoutMs = 8000): Promise<WireMessage> {
  return new Promise((resolve, reject) => {
    const seen = p.received.find((m) => m.method === method);
    if (seen) return resolve(seen);
    const prev = p.onRequest;
    const t = setTimeout(() => reject(new Error(`no ${method} reached the peer`)), timeoutMs);
    p.onRequest = (m, peer) => {
      prev(m, peer);
      if (m.method === method) {
        clearTimeout(t);
        p.onRequest = prev;
        resolve(m);
      }
    };
  });
}

const sendMessage = (from: SipPeer, user: string, to: string, text: string) =>
  authedRequest(from, { method: 'MESSAGE', uri: aor(to), from: aor(user), to: aor(to), headers: { 'Content-Type': 'text/plain;charset=utf-8' }, body: text }, { user, password: PASSWORD });

describe('baresip with digest required', () => {
  let server: ServerHandle;
  let bob: SipPeer;
  const phones: Baresip[] = [];
  beforeAll(async () => {
    server = await serve(await provisionedDataDir(['erin', 'fred', 'gina', 'bob']));
    bob = await registeredPeer('UDP', server.sipPort, 'bob');
  });
  afterAll(async () => {
    await Promise.all(phones.map((p) => p.stop()));
    bob?.close();
    await server?.stop();
  });
  const phone = async (user: string, transport: 'udp' | 'tcp', regint = 600) => {
    const p = await Baresip.start({ dir: tempDir('baresip-'), user, password: PASSWORD, domain: DOMAIN, proxyPort: server.sipPort, transport, regint, contacts: [aor('bob')] });
    phones.push(p);
    return p;
  };

  describe.each([
    ['udp', 'erin'],
    ['tcp', 'fred'],
  ] as const)('over %s', (transport, user) => {
    let p: Baresip;
    beforeAll(async () => (p = await phone(user, transport)));

    test('RFC 8760 2.4: registers with digest; its User-Agent is offered MD5 alone', async () => {
      await p.waitEvent('REGISTER_OK');
      // baresip's SIP trace holds the 401 it answered (its stdout may lag the ctrl_tcp event)
      await p.waitOutput(/SIP\/2\.0 401 Unauthorized[\s\S]*?\nContent-Length/);
      const challenge = /SIP\/2\.0 401 Unauthorized[\s\S]*?\nContent-Length/.exec(p.output)![0];
      expect(challenge.match(/^WWW-Authenticate: .*$/gm)).toEqual([expect.stringMatching(/algorithm=MD5/)]);
    });

    test('RFC 3428: MESSAGE from baresip reaches bob byte-exact (after 407)', async () => {
      await p.waitEvent('REGISTER_OK');
      bob.received.length = 0;
      const got = waitRequest(bob, 'MESSAGE');
      expect((await p.message(`${TEXT} ${transport}`)).ok).toBe(true);
      const m = await got;
      expect(m.body.equals(Buffer.from(`${TEXT} ${transport}`, 'utf8'))).toBe(true);
      expect(header(m, 'from')).toContain(`sip:${user}@localhost`);
    });

    test('RFC 3428: MESSAGE from bob reaches baresip and its 200 comes back', async () => {
      await p.waitEvent('REGISTER_OK');
      const r = await sendMessage(bob, 'bob', user, `${TEXT} (${transport})`);
      expect(r.status).toBe(200);
      await p.waitOutput(new RegExp(`${TEXT} \\(${transport}\\)`));
    });
  });

  test('RFC 3261 16.6 step 6: a MESSAGE reaches baresip on its Contact port when sipsak registered it from another port', async () => {
    // regint=0: baresip never registers itself; the only binding of gina is the one sipsak makes
    const p = await phone('gina', 'udp', 0);
    // -u: sipsak would otherwise send "gina@" as the digest user name
    const reg = await sipsak(['-U', '-i', '-v', '-s', 'sip:gina@127.0.0.1', '-r', String(server.sipPort), '-C', `sip:gina@127.0.0.1:${p.sipPort}`, '-x', '300', '-a', PASSWORD, '-u', 'gina']);
    expect(reg.code).toBe(0);
    expect(reg.out).toMatch(/usrloc tests completed successful/);
    const r = await sendMessage(bob, 'bob', 'gina', `${TEXT} via Contact`);
    expect(r.status).toBe(200);
    await p.waitOutput(new RegExp(`${TEXT} via Contact`));
  });
});

test('RFC 5626: baresip with sipnat=outbound over UDP gets Require: outbound, its STUN keep-alive answered, and MESSAGEs on its flow', async () => {
  const server = await serve(await provisionedDataDir(['erin', 'bob']));
  const phone = await Baresip.start({ dir: tempDir('baresip-'), user: 'erin', password: PASSWORD, domain: DOMAIN, proxyPort: server.sipPort, transport: 'udp', regint: 600, outbound: true });
  const bob = await registeredPeer('UDP', server.sipPort, 'bob');
  try {
    await phone.waitEvent('REGISTER_OK');
    await phone.waitOutput(/^Require: outbound/m);
    expect(phone.output).toMatch(/^Contact: [^\n]*reg-id=1/m);
    // RFC 5626 4.4.2: the STUN Binding request it sends on the flow is answered, not a parse error
    await server.waitForLog((l) => l.msg === 'keep-alive' && l.kind === 'stun');
    expect(server.lines.filter((l) => l.msg === 'malformed SIP message dropped')).toHaveLength(0);
    const r = await sendMessage(bob, 'bob', 'erin', `${TEXT} on the flow`);
    expect(r.status).toBe(200);
    await phone.waitOutput(new RegExp(`${TEXT} on the flow`));
  } finally {
    bob.close();
    await phone.stop();
    await server.stop();
  }
});

describe('baresip keeps its registration across an imedge SIGKILL and restart', () => {
  let server: ServerHandle;
  let phone: Baresip;
  let bob: SipPeer;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await provisionedDataDir(['erin', 'bob']);
    server = await serve(dataDir);
  });
  afterAll(async () => {
    await phone?.stop();
    bob?.close();
    await server?.stop();
  });

  test('bindings and nonces survive: MESSAGE both ways after the restart, no new REGISTER', async () => {
    phone = await Baresip.start({ dir: tempDir('baresip-'), user: 'erin', password: PASSWORD, domain: DOMAIN, proxyPort: server.sipPort, transport: 'udp', regint: 600, contacts: [aor('bob')] });
    await phone.waitEvent('REGISTER_OK');
    bob = await registeredPeer('UDP', server.sipPort, 'bob');
    // one authenticated MESSAGE before the crash, so baresip holds a nonce of the old process
    const before = waitRequest(bob, 'MESSAGE');
    await phone.message('before');
    await before;

    const port = server.sipPort;
    expect(await server.stop('SIGKILL')).toBeNull();
    server = await serve(dataDir, ['--sip-port', String(port)]);
    expect(server.sipPort).toBe(port);

    const r = await sendMessage(bob, 'bob', 'erin', `${TEXT} after restart`);
    expect(r.status).toBe(200);
    await phone.waitOutput(new RegExp(`${TEXT} after restart`));

    bob.received.length = 0;
    const after = waitRequest(bob, 'MESSAGE');
    await phone.message(`${TEXT} back`);
    expect((await after).body.toString('utf8')).toBe(`${TEXT} back`);
    // the restarted server never saw a REGISTER: the bindings came back from the store
    expect(await metric(server, 'imedge_sip_requests_received_total', '{method="REGISTER"}')).toBe(0);
    expect(phone.events.filter((e) => e.type === 'REGISTER_OK')).toHaveLength(1);
  });
});

test('RFC 8760 2.4: with auth.md5UserAgents emptied, baresip fails on the SHA-256 challenge (the symptom the README names)', async () => {
  const server = await startServer({ dataDir: await provisionedDataDir(['erin']), env: { ...CALM, IMEDGE_AUTH__MODE: 'required', IMEDGE_AUTH__MD5_USER_AGENTS: '' } });
  const phone = await Baresip.start({ dir: tempDir('baresip-'), user: 'erin', password: PASSWORD, domain: DOMAIN, proxyPort: server.sipPort, transport: 'udp', regint: 600 });
  try {
    await phone.waitEvent('REGISTER_FAIL');
    await phone.waitOutput(/Register: Function not implemented/);
    expect(phone.events.filter((e) => e.type === 'REGISTER_OK')).toHaveLength(0);
  } finally {
    await phone.stop();
    await server.stop();
  }
});
