// Attack finding F4: four source addresses filled sip.maxTransactions with MESSAGEs to a
// registered "sink" whose contact never answers, and for Timer F (32 s) everyone's MESSAGE and
// even OPTIONS to the server got 503. These tests send the attacker's bytes over real loopback
// sockets to the real `imedge serve` with a small table (16) and assert what it answers.
import * as dgram from 'node:dgram';
import { startServer, type ServerHandle } from '../../helpers/server';
import { SipPeer, header, rid } from '../../helpers/sip-peer';
import { until } from '../../helpers/group';
import { CALM, metric } from '../phones/tools';

const DOMAIN = 'localhost';
const aor = (u: string) => `sip:${u}@${DOMAIN}`;

let server: ServerHandle | undefined;
const peers: SipPeer[] = [];
const udps: dgram.Socket[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  for (const u of udps.splice(0)) u.close();
  if (server) expect(await server.stop()).toBe(0);
  server = undefined;
});

async function peer(port: number): Promise<SipPeer> {
  const p = await SipPeer.open('UDP', port);
  peers.push(p);
  return p;
}

async function registered(port: number, user: string): Promise<SipPeer> {
  const p = await peer(port);
  const r = await p.request({ method: 'REGISTER', uri: `sip:${DOMAIN}`, from: aor(user), to: aor(user), contact: `<${p.contactUri}>`, headers: { Expires: '300' } });
  expect(r.status).toBe(200);
  return p;
}

/** A registered user whose contact takes every request and never answers. */
async function sink(port: number): Promise<{ callIds: () => number }> {
  const s = await registered(port, 'sink');
  s.onRequest = () => undefined;
  return { callIds: () => new Set(s.received.filter((m) => m.method === 'MESSAGE').map((m) => header(m, 'call-id'))).size };
}

/** The attacker: `count` MESSAGEs to the sink from each of 4 loopback addresses; collects the answers. */
async function flood(port: number, count: number): Promise<string[]> {
  const answers: string[] = [];
  for (let a = 1; a <= 4; a++) {
    const ip = `127.0.30.${a}`;
    const sock = dgram.createSocket('udp4');
    udps.push(sock);
    sock.on('message', (m) => answers.push(m.toString('latin1')));
    await new Promise<void>((r) => sock.bind(0, ip, () => r()));
    const lp = sock.address().port;
    for (let i = 0; i < count; i++) {
      const msg =
        `MESSAGE sip:sink@${DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP ${ip}:${lp};branch=z9hG4bK${rid()};rport\r\nMax-Forwards: 70\r\n` +
        `From: <sip:atk${a}@${DOMAIN}>;tag=${rid()}\r\nTo: <sip:sink@${DOMAIN}>\r\nCall-ID: ${rid()}\r\nCSeq: 1 MESSAGE\r\n` +
        `Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi`;
      sock.send(Buffer.from(msg, 'latin1'), port, '127.0.0.1');
    }
  }
  return answers;
}

describe('F4: forwarded requests toward a contact that never answers (sip.maxTransactions 16)', () => {
  it('sip.maxTransactionsPerTarget (default an eighth: 2): 4 sources send 16 MESSAGEs to the sink; 2 are forwarded, 14 answered 480 + Retry-After at once (counted); OPTIONS to the server and a MESSAGE between two live users get 200', async () => {
    server = await startServer({ env: { ...CALM, IMEDGE_SIP__MAX_TRANSACTIONS: '16' } });
    const port = server.sipPort;
    const s = await sink(port);
    const bob = await registered(port, 'bob');
    const alice = await peer(port);
    const answers = await flood(port, 4);
    await until(() => answers.length === 14, '14 MESSAGEs answered at once');
    for (const a of answers) {
      expect(a).toMatch(/^SIP\/2\.0 480 /);
      expect(a).toMatch(/\r\nRetry-After: \d+\r\n/i);
    }
    await until(() => s.callIds() === 2, 'the share forwarded to the sink');
    expect(await metric(server, 'imedge_sip_overload_per_target_total')).toBe(14);
    const opt = await alice.request({ method: 'OPTIONS', uri: `sip:${DOMAIN}`, from: aor('alice'), to: `sip:${DOMAIN}` });
    expect(opt.status).toBe(200);
    const msg = await alice.request({ method: 'MESSAGE', uri: aor('bob'), from: aor('alice'), to: aor('bob'), headers: { 'Content-Type': 'text/plain' }, body: 'still here' });
    expect(msg.status).toBe(200);
    expect(bob.received.some((m) => m.method === 'MESSAGE')).toBe(true);
    // the sink got nothing beyond its share
    expect(s.callIds()).toBe(2);
  });

  it('the local reserve: with the share raised to the whole table, 4 sources fill all 16 slots; a MESSAGE gets 503, but OPTIONS to the server and REGISTER get 200 (counted)', async () => {
    server = await startServer({ env: { ...CALM, IMEDGE_SIP__MAX_TRANSACTIONS: '16', IMEDGE_SIP__MAX_TRANSACTIONS_PER_TARGET: '16' } });
    const port = server.sipPort;
    const s = await sink(port);
    await registered(port, 'bob');
    const alice = await peer(port);
    const answers = await flood(port, 4);
    // every source holds its quarter: the table is full of requests waiting on the sink
    await until(() => s.callIds() === 16, 'all 16 forwarded to the sink');
    expect(answers).toHaveLength(0);
    const msg = await alice.request({ method: 'MESSAGE', uri: aor('bob'), from: aor('alice'), to: aor('bob'), headers: { 'Content-Type': 'text/plain' }, body: 'x' });
    expect(msg.status).toBe(503);
    const opt = await alice.request({ method: 'OPTIONS', uri: `sip:${DOMAIN}`, from: aor('alice'), to: `sip:${DOMAIN}` });
    expect(opt.status).toBe(200);
    const reg = await alice.request({ method: 'REGISTER', uri: `sip:${DOMAIN}`, from: aor('alice'), to: aor('alice'), contact: `<${alice.contactUri}>`, headers: { Expires: '300' } });
    expect(reg.status).toBe(200);
    expect(await metric(server, 'imedge_sip_local_reserve_total')).toBe(2);
    expect(await metric(server, 'imedge_sip_overload_total')).toBe(1);
  });
});
