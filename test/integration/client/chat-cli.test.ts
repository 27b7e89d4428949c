// `imedge chat` run in-process (runChat) against ImClients over real loopback sockets.
import { PassThrough } from 'node:stream';
import { runChat, type ChatFlags } from '../../../src/cli/chat';
import { ImClient, type ImSession } from '../../../src/client';

function io() {
  const out = new PassThrough();
  const err = new PassThrough();
  const outText: string[] = [];
  const errText: string[] = [];
  out.on('data', (d) => outText.push(String(d)));
  err.on('data', (d) => errText.push(String(d)));
  let interrupt: () => void = () => undefined;
  const interrupted = new Promise<void>((r) => (interrupt = r));
  return { io: { out, err, input: new PassThrough(), interrupted }, out: () => outText.join(''), err: () => errText.join(''), interrupt };
}

const flags = (extra: Partial<ChatFlags>): ChatFlags => ({
  server: '127.0.0.1:9', domain: 'localhost', transport: 'udp', timeout: '5', register: false, localHost: '127.0.0.1', sipPort: '0', ...extra,
});

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let peer: ImClient | undefined;
afterEach(async () => {
  await peer?.close(200);
  peer = undefined;
});

test('--send --wait-reply prints the reply and exits 0; the session is left with BYE', async () => {
  peer = await ImClient.start({ user: 'bob', domain: 'localhost', server: { host: '127.0.0.1', port: 9, transport: 'UDP' } });
  const ended: string[] = [];
  peer.on('session', (s: ImSession) => {
    s.on('message', (m) => void s.send(`echo: ${m.body.toString()}`));
    s.on('ended', (r) => ended.push(r));
  });
  const t = io();
  const code = await runChat(flags({ user: 'alice', to: 'bob', send: 'hi ünï', waitReply: true, server: `127.0.0.1:${peer.sipPort}` }), t.io);
  expect(code).toBe(0);
  expect(t.out()).toBe('echo: hi ünï\n');
  expect(t.err()).toContain('delivered: 200');
  await until(() => ended.length === 1, 'BYE at the peer');
  expect(ended).toEqual(['bye-received']);
});

test('--listen --once --reply prints JSON lines and answers each message', async () => {
  const t = io();
  const run = runChat(flags({ user: 'bob', listen: true, once: true, reply: 'pong' }), t.io);
  await until(() => t.out().includes('"listening"'), 'listening line');
  const port = JSON.parse(t.out().split('\n')[0]).sipPort as number;
  peer = await ImClient.start({ user: 'alice', domain: 'localhost', server: { host: '127.0.0.1', port, transport: 'UDP' } });
  const s = await peer.invite('bob');
  const replies: string[] = [];
  s.on('message', (m) => replies.push(m.body.toString()));
  await s.send('ping');
  await until(() => replies.length === 1, 'the reply');
  expect(replies).toEqual(['pong']);
  await s.leave();
  expect(await run).toBe(0);
  const events = t.out().trim().split('\n').map((l) => JSON.parse(l));
  expect(events.map((e) => e.event)).toEqual(['listening', 'session', 'message', 'sent', 'ended']);
  expect(events[2]).toMatchObject({ mode: 'session', peer: 'sip:alice@localhost', contentType: 'text/plain', body: 'ping' });
  expect(events[4]).toMatchObject({ reason: 'bye-received' });
});

test('a refused INVITE exits 1 and prints the SIP status', async () => {
  peer = await ImClient.start({ user: 'bob', domain: 'localhost', server: { host: '127.0.0.1', port: 9, transport: 'UDP' }, incoming: () => 603 });
  const t = io();
  const code = await runChat(flags({ user: 'alice', to: 'bob', send: 'hi', server: `127.0.0.1:${peer.sipPort}` }), t.io);
  expect(code).toBe(1);
  expect(t.err()).toMatch(/INVITE failed: 603 Decline/);
});

test('bad usage exits 2', async () => {
  for (const f of [
    flags({ to: 'bob' }),
    flags({ user: 'a' }),
    flags({ user: 'a', to: 'b', transport: 'sctp' }),
    flags({ user: 'a', to: 'b', server: 'host:notaport' }),
    flags({ user: 'a', to: 'b', waitReply: true }),
    flags({ user: 'a', to: 'b', listen: true }),
  ]) {
    const t = io();
    expect(await runChat(f, t.io)).toBe(2);
    expect(t.err()).toMatch(/^imedge chat: /);
  }
});

test('interactive: typed lines are sent, received lines printed, /modify re-INVITEs, /quit leaves with BYE', async () => {
  peer = await ImClient.start({ user: 'bob', domain: 'localhost', server: { host: '127.0.0.1', port: 9, transport: 'TCP' } });
  const got: string[] = [];
  const modified: (readonly string[])[] = [];
  const ended: string[] = [];
  let bobSession: ImSession | undefined;
  peer.on('session', (s) => {
    bobSession = s;
    s.on('message', (m) => got.push(m.body.toString()));
    s.on('modified', (m) => modified.push(m.acceptTypes));
    s.on('ended', (r) => ended.push(r));
  });
  const t = io();
  const run = runChat(flags({ user: 'alice', to: 'bob', transport: 'tcp', server: `127.0.0.1:${peer.sipPort}` }), t.io);
  await until(() => bobSession !== undefined && t.err().includes('connected'), 'session');
  const input = t.io.input as PassThrough;
  input.write('hello there\n');
  await until(() => got.length === 1, 'first line');
  await bobSession!.send('hi alice');
  await until(() => t.out().includes('sip:bob@localhost> hi alice'), 'printed reply');
  input.write('/modify text/plain\n');
  await until(() => modified.length === 1, 're-INVITE');
  expect(modified[0]).toEqual(['text/plain']);
  input.write('/quit\n');
  expect(await run).toBe(0);
  expect(ended).toEqual(['bye-received']);
  expect(t.err()).toContain('left (BYE 200)');
});

test('--password warns that the command line is visible and points at --password-file', async () => {
  const t2 = io();
  peer = await ImClient.start({ user: 'bob', domain: 'localhost', server: { host: '127.0.0.1', port: 9, transport: 'UDP' } });
  peer.on('session', (s: ImSession) => s.on('message', () => undefined));
  await runChat(flags({ user: 'alice', to: 'bob', send: 'x', password: 'pw', server: `127.0.0.1:${peer.sipPort}` }), t2.io);
  expect(t2.err()).toMatch(/warning: --password is visible .*--password-file/);
});
