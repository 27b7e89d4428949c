// `imedge chat` in group sessions (OMA IM 7.1.1.6, 7.1.1.9), run in-process (runChat) against
// the hand-built focus and ImClients over real loopback sockets.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { runChat, type ChatFlags } from '../../../src/cli/chat';
import { ImClient, type ImSession } from '../../../src/client';
import { fakeFocus, type FakeFocus } from './fake-focus';

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

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let focus: FakeFocus;
let dir: string;
const peers: ImClient[] = [];

const flags = (extra: Partial<ChatFlags>): ChatFlags => ({
  server: `127.0.0.1:${focus.port}`, domain: 'localhost', transport: 'udp', timeout: '5', register: false, localHost: '127.0.0.1', sipPort: '0',
  maxAdhocGroupSize: '10', user: 'alice', ...extra,
});

async function peer(user: string): Promise<ImClient> {
  const c = await ImClient.start({ user, domain: 'localhost', server: { host: '127.0.0.1', port: focus.port, transport: 'UDP' } });
  peers.push(c);
  focus.users.set(user, c.sipPort);
  return c;
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imedge-chat-groups-'));
  focus = await fakeFocus();
});
afterEach(async () => {
  for (const c of peers.splice(0)) await c.close(200);
  await focus.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('--group: interactive ad-hoc session; group messages print their sender; /invite is refused in a group; /quit prints how to rejoin', async () => {
  const bob = await peer('bob');
  await peer('carol');
  let sb: ImSession | undefined;
  bob.on('session', (s) => (sb = s));
  const t = io();
  const store = path.join(dir, 'alice.json');
  const run = runChat(flags({ group: 'bob, carol', storeFile: store }), t.io);
  await until(() => t.err().includes('joined group session') && sb !== undefined, 'group session');
  // a focus without the conference event package: chat says so once and goes on without a roster
  await until(() => t.err().includes('conference state unavailable: SUBSCRIBE failed: 489 Bad Event'), 'the refused SUBSCRIBE');
  await sb!.ready();
  await sb!.send('hi all');
  await until(() => t.out().includes('sip:bob@localhost> hi all'), 'printed with its sender');
  const input = t.io.input as PassThrough;
  input.write('/invite dave\n');
  await until(() => t.err().includes('cannot /invite here'), 'refusal');
  input.write('/quit\n');
  expect(await run).toBe(0);
  const conf = [...focus.conferences.values()][0];
  expect(t.err()).toContain('left (BYE 200)');
  expect(t.err()).toContain(`to rejoin: imedge chat --user alice --rejoin '${conf.identity}' --store-file ${store}`);
});

test('--rejoin IDENTITY: back in the group with the stored identity; without one, exit 1 and say so (OMA IM 7.1.1.9 step 1)', async () => {
  focus.groups.add('ops');
  const store = path.join(dir, 'alice.json');
  const t1 = io();
  const first = runChat(flags({ join: 'ops', storeFile: store }), t1.io);
  await until(() => t1.err().includes('joined group session'), 'joined');
  (t1.io.input as PassThrough).write('/quit\n');
  expect(await first).toBe(0);
  const identity = [...focus.conferences.values()][0].identity;
  const t2 = io();
  const again = runChat(flags({ rejoin: identity, storeFile: store, send: 'back' }), t2.io);
  expect(await again).toBe(0);
  expect(focus.requests.filter((r) => r.method === 'INVITE').at(-1)!.uri).toBe(identity);
  expect([...focus.conferences.values()][0].received.map((m) => m.body.toString())).toEqual(['back']);
  const t3 = io();
  expect(await runChat(flags({ rejoin: 'sip:conf-77@127.0.0.1', storeFile: store, send: 'x' }), t3.io)).toBe(1);
  expect(t3.err()).toMatch(/imedge chat: no stored IM Session Identity for sip:conf-77@127\.0\.0\.1 \(or it expired\): cannot rejoin/);
});

test('OMA IM 7.1.1.6 step 5: --max-adhoc-group-size refuses a longer --group before sending; exit 1 with the reason', async () => {
  const t = io();
  expect(await runChat(flags({ group: 'bob,carol,dave', maxAdhocGroupSize: '2', send: 'x' }), t.io)).toBe(1);
  expect(t.err()).toBe('imedge chat: too many invited users: 3, the most an ad-hoc group may have is 2 (MAX-ADHOC-GROUP-SIZE); nothing was sent\n');
  expect(focus.requests).toHaveLength(0);
});

test('the focus refusing with 403 + Warning: chat prints the Warning text', async () => {
  focus.refuseFactory = { status: 403, warning: 'Too many invited users: 11 listed, MAX-ADHOC-GROUP-SIZE is 10' };
  const t = io();
  expect(await runChat(flags({ group: 'bob', send: 'x' }), t.io)).toBe(1);
  expect(t.err()).toBe('imedge chat: INVITE failed: 403 Forbidden (Too many invited users: 11 listed, MAX-ADHOC-GROUP-SIZE is 10)\n');
});

test('/invite extends the 1-1 session: the focus BYEs the old dialog, chat carries on in the group', async () => {
  focus.peers.add('bob');
  const carol = await peer('carol');
  let sc: ImSession | undefined;
  carol.on('session', (s) => (sc = s));
  const t = io();
  const run = runChat(flags({ to: 'bob' }), t.io);
  await until(() => t.err().includes('connected to sip:bob@localhost'), '1-1 session');
  const input = t.io.input as PassThrough;
  input.write('/invite carol\n');
  await until(() => t.err().includes('extended to group session') && sc !== undefined, 'group');
  // the 1-1 dialog was ended by the focus; chat is still running, now in the group
  await until(() => focus.conferences.get('p2p-1')!.participants[0].gone, 'old dialog BYEd');
  await sc!.ready();
  const got: string[] = [];
  sc!.on('message', (m) => got.push(`${m.sender?.uri}: ${m.body.toString()}`));
  input.write('in the group now\n');
  await until(() => got.length === 1, 'message to carol');
  expect(got).toEqual(['sip:alice@localhost: in the group now']);
  await sc!.send('hello alice');
  await until(() => t.out().includes('sip:carol@localhost> hello alice'), 'carol printed');
  input.write('/quit\n');
  expect(await run).toBe(0);
  expect(t.err()).not.toContain('session ended');
});

test('bad usage: two targets, --listen with a target, empty --group, bad --max-adhoc-group-size, --page to a group', async () => {
  for (const f of [
    flags({ to: 'bob', group: 'carol' }),
    flags({ join: 'g', rejoin: 'sip:conf-1@h' }),
    flags({ listen: true, group: 'bob' }),
    flags({ group: ' , ' }),
    flags({ group: 'bob', maxAdhocGroupSize: '0' }),
    flags({ group: 'bob', send: 'x', page: true }),
  ]) {
    const t = io();
    expect(await runChat(f, t.io)).toBe(2);
    expect(t.err()).toMatch(/^imedge chat: /);
  }
});

test('--listen: a focus\'s INVITE is a group session (identity in the JSON line); messages carry their CPIM sender', async () => {
  const t = io();
  const run = runChat(flags({ user: 'bob', listen: true, once: true }), t.io);
  await until(() => t.out().includes('"listening"'), 'listening line');
  focus.users.set('bob', JSON.parse(t.out().split('\n')[0]).sipPort as number);
  expect((await focus.invite('bob', {})).status).toBe(200);
  const conf = [...focus.conferences.values()][0];
  await until(() => conf.participants.length === 1, 'bob in the conference');
  expect(await focus.fanOut(conf, { name: 'Carol', uri: 'sip:carol@localhost' }, 'hello bob')).toEqual([200]);
  await until(() => t.out().includes('"message"'), 'message line');
  expect(await focus.bye(conf.participants[0])).toBe(200);
  expect(await run).toBe(0);
  const events = t.out().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(events.map((e) => e.event)).toEqual(['listening', 'session', 'message', 'ended']);
  expect(events[1]).toMatchObject({ group: true, identity: conf.identity });
  expect(events[2]).toMatchObject({ contentType: 'text/plain', body: 'hello bob', sender: { uri: 'sip:carol@localhost', name: 'Carol', anonymous: false } });
});
