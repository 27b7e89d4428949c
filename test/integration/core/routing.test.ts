// Where the real `imedge serve` sends requests for a registered user, and what it answers to
// OPTIONS, over real loopback sockets (issue 15 items 1, 2, 5, 6).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, startServer, tempDir, type ServerHandle } from '../../helpers/server';
import { SipPeer, header, headers, type WireMessage } from '../../helpers/sip-peer';
import { authedRequest, CALM } from '../phones/tools';

const DOMAIN = 'localhost';
const aor = (u: string) => `sip:${u}@${DOMAIN}`;
const INSTANCE = '"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>"';

const register = (p: SipPeer, user: string, contact: string) =>
  p.request({ method: 'REGISTER', uri: `sip:${DOMAIN}`, from: aor(user), to: aor(user), contact, headers: { Expires: '300' } });

const message = (p: SipPeer, to: string, text: string) =>
  p.request({ method: 'MESSAGE', uri: aor(to), from: aor('alice'), to: aor(to), headers: { 'Content-Type': 'text/plain' }, body: text });

const messagesAt = (p: SipPeer) => p.received.filter((m: WireMessage) => m.method === 'MESSAGE');

describe('item 1: where a MESSAGE for a registered user goes', () => {
  let plain: ServerHandle;
  let natted: ServerHandle;
  const peers: SipPeer[] = [];
  const open = async (transport: 'UDP' | 'TCP', port: number) => {
    const p = await SipPeer.open(transport, port);
    peers.push(p);
    return p;
  };
  beforeAll(async () => {
    [plain, natted] = await Promise.all([startServer({ env: CALM }), startServer({ env: { ...CALM, IMEDGE_REGISTRAR__NAT_TEST: 'address-port' } })]);
  });
  afterAll(async () => {
    peers.forEach((p) => p.close());
    await Promise.all([plain.stop(), natted.stop()]);
  });

  test('RFC 3261 16.6 step 6: to the Contact URI, not to the port the REGISTER came from (UDP)', async () => {
    const registering = await open('UDP', plain.sipPort);
    const phone = await open('UDP', plain.sipPort);
    const r = await register(registering, 'erin', `<${phone.contactUri}>`);
    expect(r.status).toBe(200);
    expect(header(r, 'require')).toBeUndefined();
    const sender = await open('UDP', plain.sipPort);
    expect((await message(sender, 'erin', 'to the contact')).status).toBe(200);
    expect(messagesAt(phone).map((m) => m.body.toString())).toEqual(['to the contact']);
    expect(messagesAt(registering)).toHaveLength(0);
  });

  test('RFC 5626 5.3: with +sip.instance and reg-id, on the flow the REGISTER came in on; the 200 says Require: outbound', async () => {
    const registering = await open('UDP', plain.sipPort);
    const elsewhere = await open('UDP', plain.sipPort);
    const r = await register(registering, 'olga', `<sip:olga@127.0.0.1:${elsewhere.port};ob>;+sip.instance=${INSTANCE};reg-id=1`);
    expect(r.status).toBe(200);
    expect(header(r, 'require')).toBe('outbound');
    const sender = await open('UDP', plain.sipPort);
    expect((await message(sender, 'olga', 'on the flow')).status).toBe(200);
    expect(messagesAt(registering).map((m) => m.body.toString())).toEqual(['on the flow']);
    expect(messagesAt(elsewhere)).toHaveLength(0);
  });

  test('registrar.natTest=address-port: to the address the REGISTER came from when the Contact differs', async () => {
    const registering = await open('UDP', natted.sipPort);
    const elsewhere = await open('UDP', natted.sipPort);
    expect((await register(registering, 'nora', `<${elsewhere.contactUri}>`)).status).toBe(200);
    const sender = await open('UDP', natted.sipPort);
    expect((await message(sender, 'nora', 'through the NAT')).status).toBe(200);
    expect(messagesAt(registering).map((m) => m.body.toString())).toEqual(['through the NAT']);
    expect(messagesAt(elsewhere)).toHaveLength(0);
  });

  test('over TCP the registering connection is reused while it is open, whatever port the Contact names', async () => {
    const phone = await open('TCP', plain.sipPort);
    // a Contact on a port nothing listens on: only the open connection can deliver
    expect((await register(phone, 'tess', `<sip:tess@127.0.0.1:9;transport=tcp>`)).status).toBe(200);
    const sender = await open('UDP', plain.sipPort);
    expect((await message(sender, 'tess', 'same connection')).status).toBe(200);
    expect(messagesAt(phone).map((m) => m.body.toString())).toEqual(['same connection']);
  });
});

describe('items 2 and 6: OPTIONS with digest required', () => {
  let server: ServerHandle;
  const peers: SipPeer[] = [];
  const creds = (user: string) => ({ user, password: 's3cret' });
  beforeAll(async () => {
    const dataDir = tempDir();
    const pw = path.join(dataDir, 'pw');
    fs.writeFileSync(pw, 's3cret\n');
    for (const u of ['alice', 'bob', 'dave']) expect((await runCli(['user', 'add', u, '--data-dir', dataDir, '--password-file', pw])).code).toBe(0);
    server = await startServer({ dataDir, env: { ...CALM, IMEDGE_AUTH__MODE: 'required' } });
  });
  afterAll(async () => {
    peers.forEach((p) => p.close());
    await server.stop();
  });
  const open = async () => {
    const p = await SipPeer.open('UDP', server.sipPort);
    peers.push(p);
    return p;
  };
  const options = (uri: string) => ({ method: 'OPTIONS', uri, from: aor('alice'), to: uri });

  test('RFC 3261 11.2 / 20.35: OPTIONS to the server: 200 with Allow, Accept, Server and no User-Agent, no credentials needed', async () => {
    const r = await (await open()).request(options(`sip:${DOMAIN}`));
    expect(r.status).toBe(200);
    expect(header(r, 'allow')).toContain('MESSAGE');
    expect(header(r, 'accept')).toBeDefined();
    expect(header(r, 'server')).toBe('imedge');
    expect(header(r, 'user-agent')).toBeUndefined();
  });

  test('RFC 3261 11.2: OPTIONS to a user without credentials is challenged (407) and never reaches the phone', async () => {
    const bob = await open();
    expect((await authedRequest(bob, { method: 'REGISTER', uri: `sip:${DOMAIN}`, from: aor('bob'), to: aor('bob'), contact: `<${bob.contactUri}>` }, creds('bob'))).status).toBe(200);
    const r = await (await open()).request(options(aor('bob')));
    expect(r.status).toBe(407);
    expect(headers(r, 'proxy-authenticate').length).toBeGreaterThan(0);
    expect(bob.received.filter((m) => m.method === 'OPTIONS')).toHaveLength(0);
    // authenticated, it is proxied to the phone and the phone's answer comes back
    bob.onRequest = (m, p) => p.answer(m, 200, 'OK', ['Allow: MESSAGE']);
    const ok = await authedRequest(await open(), options(aor('bob')), creds('alice'));
    expect(ok.status).toBe(200);
    expect(header(ok, 'allow')).toBe('MESSAGE');
    expect(bob.received.filter((m) => m.method === 'OPTIONS')).toHaveLength(1);
  });

  test('RFC 3261 11.2: OPTIONS to an unknown user is 404, to an offline user 480, as an INVITE would get', async () => {
    expect((await authedRequest(await open(), options(aor('nobody')), creds('alice'))).status).toBe(404);
    expect((await authedRequest(await open(), options(aor('dave')), creds('alice'))).status).toBe(480);
  });
});

describe('item 5: rport', () => {
  let server: ServerHandle;
  beforeAll(async () => (server = await startServer({ env: CALM })));
  afterAll(() => server.stop());

  test.each(['TCP', 'UDP'] as const)('RFC 3581 4: rport is filled with the source port over %s', async (transport) => {
    const p = await SipPeer.open(transport, server.sipPort);
    try {
      const r = await p.request({ method: 'OPTIONS', uri: `sip:${DOMAIN}`, from: aor('alice'), to: `sip:${DOMAIN}` });
      expect(header(r, 'via')).toMatch(new RegExp(`;rport=${p.port}(;|$)`));
      expect(header(r, 'via')).toMatch(/;received=127\.0\.0\.1/);
    } finally {
      p.close();
    }
  });
});
