// Two ImClients through the real `imedge serve` (compiled): REGISTER, a 1-1 session relayed by
// the participating IM function, re-INVITE modification, BYE, large message mode.
import { ImClient, type EndReason, type ImSession, type InboundMessage, type PagerMessage } from '../../../src/client';
import { startServer, type ServerHandle } from '../../helpers/server';

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each(['UDP', 'TCP'] as const)('through the server over SIP/%s', (transport) => {
  let server: ServerHandle;
  let alice: ImClient;
  let bob: ImClient;
  beforeAll(async () => {
    server = await startServer();
  });
  beforeEach(async () => {
    const base = { domain: 'localhost', server: { host: '127.0.0.1', port: server.sipPort, transport } };
    alice = await ImClient.start({ ...base, user: `alice${transport}` });
    bob = await ImClient.start({ ...base, user: `bob${transport}` });
    await alice.register(300);
    await bob.register(300);
  });
  afterEach(async () => {
    await alice.close(500);
    await bob.close(500);
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  test('session, messages both ways, modify by re-INVITE, BYE answered 200 on both legs', async () => {
    const incoming = new Promise<ImSession>((r) => bob.once('session', r));
    const sa = await alice.invite(`bob${transport}`);
    const sb = await incoming;
    await sb.ready();
    const atA: InboundMessage[] = [];
    const atB: InboundMessage[] = [];
    sa.on('message', (m) => atA.push(m));
    sb.on('message', (m) => atB.push(m));
    const text = 'through the box: €✓';
    expect((await sa.send(text)).status).toBe(200);
    expect((await sb.send(Buffer.alloc(100_000, 7), { contentType: 'message/cpim' })).status).toBe(200);
    await sa.modify({ acceptTypes: ['text/plain'] });
    expect((await sa.send('after modify')).status).toBe(200);
    await until(() => atB.length === 2 && atA.length === 1, 'messages');
    expect(atB.map((m) => m.body.toString())).toEqual([text, 'after modify']);
    expect(atA[0].body.equals(Buffer.alloc(100_000, 7))).toBe(true);
    const endedB = new Promise<EndReason>((r) => sb.once('ended', r));
    expect(await sa.leave()).toBe(200);
    expect(await endedB).toBe('bye-received');
  });

  test('1,000 messages each way in order and byte-exact, a 2 MiB message, then BYE leaves no session or leg', async () => {
    const incoming = new Promise<ImSession>((r) => bob.once('session', r));
    const sa = await alice.invite(`bob${transport}`);
    const sb = await incoming;
    await sb.ready();
    const atA: Buffer[] = [];
    const atB: Buffer[] = [];
    sa.on('message', (m) => atA.push(m.body));
    sb.on('message', (m) => atB.push(m.body));
    const text = (who: string, i: number) => `${who} ${i} — ✓ ü 你好`;
    await Promise.all([
      (async () => {
        for (let i = 0; i < 1000; i++) expect((await sa.send(text('a', i))).status).toBe(200);
      })(),
      (async () => {
        for (let i = 0; i < 1000; i++) expect((await sb.send(text('b', i))).status).toBe(200);
      })(),
    ]);
    const big = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    expect((await sa.send(big, { contentType: 'text/plain' })).status).toBe(200);
    await until(() => atB.length === 1001 && atA.length === 1000, 'all messages');
    expect(atB.slice(0, 1000).map((b) => b.toString('utf8'))).toEqual(Array.from({ length: 1000 }, (_, i) => text('a', i)));
    expect(atA.map((b) => b.toString('utf8'))).toEqual(Array.from({ length: 1000 }, (_, i) => text('b', i)));
    expect(atB[1000].equals(big)).toBe(true);
    const endedA = new Promise<EndReason>((r) => sa.once('ended', r));
    expect(await sb.leave()).toBe(200);
    expect(await endedA).toBe('bye-received');
    // The server's view: no session, no MSRP pair, no leg.
    const http = await import('node:http');
    const metrics = await new Promise<string>((resolve) => http.get({ host: '127.0.0.1', port: server.httpPort, path: '/metrics' }, (res) => {
      let t = '';
      res.on('data', (d) => (t += d));
      res.on('end', () => resolve(t));
    }));
    const fig = (re: RegExp) => Number(re.exec(metrics)?.[1]);
    await until(() => true, 'noop');
    expect(fig(/^imedge_sessions\{kind="1-1"\} (\d+)/m)).toBe(0);
    expect(fig(/^imedge_msrp\{figure="livePairs"\} (\d+)/m)).toBe(0);
    expect(fig(/^imedge_msrp\{figure="liveLegs"\} (\d+)/m)).toBe(0);
  });

  test('OMA IM 9.1.1: large message mode through the server; page mode for a short one', async () => {
    const got: PagerMessage[] = [];
    bob.on('message', (m) => got.push(m));
    const big = Buffer.alloc(5000, 'L');
    expect(await alice.sendMessage(`bob${transport}`, big)).toMatchObject({ mode: 'large', status: 200 });
    expect(await alice.sendMessage(`bob${transport}`, 'short')).toMatchObject({ mode: 'page', status: 200 });
    await until(() => got.length === 2, 'both messages');
    expect(got.find((m) => m.mode === 'large')?.body.equals(big)).toBe(true);
    expect(got.find((m) => m.mode === 'page')?.body.toString()).toBe('short');
  });
});
