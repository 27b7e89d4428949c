// The client's conference state subscription against a hand-driven focus on a raw UDP socket,
// for what a well-behaved imedge never sends: bodies that are not conference-info, stale and
// partial versions (RFC 4575 4.6), a NOTIFY that overtakes the 200 (RFC 6665 4.1.2.4), 423 with
// Min-Expires, NOTIFYs of no subscription, and the termination reasons of RFC 6665 4.1.3. The
// test writes every SIP byte the focus sends.
import { ImClient, type ConferenceEnded, type ConferenceWatch, type RosterEntry } from '../../../src/client';
import { createLogger } from '../../../src/log';
import { SipPeer, header, rid, type WireMessage } from '../../helpers/sip-peer';

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const TAG = 'focus1';

/** The focus side: records SUBSCRIBEs, answers them as told, sends NOTIFYs in their dialogs. */
class RawFocus {
  readonly subs: WireMessage[] = [];
  /** How the next SUBSCRIBEs are answered: status and extra header lines; 'hold' leaves them unanswered. */
  answerWith: (m: WireMessage) => { status: number; extra?: string[] } | 'hold' = () => ({ status: 200, extra: [`Expires: ${600}`] });
  private seq = 0;

  constructor(
    readonly peer: SipPeer,
    readonly identity: string,
  ) {
    peer.onRequest = (m) => {
      if (m.method !== 'SUBSCRIBE') return peer.answer(m, 200);
      this.subs.push(m);
      const a = this.answerWith(m);
      if (a !== 'hold') this.respond(m, a.status, a.extra);
    };
  }

  respond(m: WireMessage, status: number, extra: string[] = []): void {
    const to = header(m, 'to') ?? '';
    const lines = [
      `SIP/2.0 ${status} ${status === 200 ? 'OK' : 'Refused'}`,
      ...m.headers.filter(([k]) => k.toLowerCase() === 'via').map(([, v]) => `Via: ${v}`),
      `From: ${header(m, 'from')}`,
      `To: ${/;tag=/.test(to) ? to : `${to};tag=${TAG}`}`,
      `Call-ID: ${header(m, 'call-id')}`,
      `CSeq: ${header(m, 'cseq')}`,
      `Contact: <${this.identity}>;isfocus`,
      ...extra,
      'Content-Length: 0',
      '',
      '',
    ];
    this.peer.sendRaw(lines.join('\r\n'));
  }

  /** A NOTIFY in the dialog of `sub` (its Call-ID, its From as our To); resolves with the client's answer. */
  notify(sub: WireMessage, o: { state?: string; body?: string; contentType?: string; event?: string; callId?: string; toTag?: string } = {}): Promise<WireMessage> {
    const body = Buffer.from(o.body ?? '', 'utf8');
    const callId = o.callId ?? header(sub, 'call-id')!;
    const cseq = ++this.seq;
    const contact = /<([^>]+)>/.exec(header(sub, 'contact') ?? '')![1]!;
    const to = o.toTag !== undefined ? (header(sub, 'from') ?? '').replace(/;tag=[^;]+/, `;tag=${o.toTag}`) : header(sub, 'from');
    const lines = [
      `NOTIFY ${contact} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.peer.port};branch=z9hG4bK${rid()};rport`,
      'Max-Forwards: 70',
      `From: <${this.identity}>;tag=${TAG}`,
      `To: ${to}`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} NOTIFY`,
      `Contact: <${this.identity}>;isfocus`,
      `Event: ${o.event ?? 'conference'}`,
      `Subscription-State: ${o.state ?? 'active;expires=600'}`,
      ...(body.length > 0 ? [`Content-Type: ${o.contentType ?? 'application/conference-info+xml'}`] : []),
      `Content-Length: ${body.length}`,
      '',
      '',
    ];
    return this.peer.requestRaw(Buffer.concat([Buffer.from(lines.join('\r\n'), 'utf8'), body]), `${callId}|${cseq} NOTIFY`);
  }
}

type U = { entity: string; status?: string; display?: string; state?: 'full' | 'partial' | 'deleted' };

/** An RFC 4575 document, written out by hand. */
function doc(identity: string, version: number, users: U[], state: 'full' | 'partial' = 'full'): string {
  const us = users
    .map((u) => {
      const st = u.state !== undefined ? ` state="${u.state}"` : '';
      const dt = u.display !== undefined ? `<display-text>${u.display}</display-text>` : '';
      const ep = u.status !== undefined ? `<endpoint entity="${u.entity}"><status>${u.status}</status></endpoint>` : '';
      return `<user entity="${u.entity}"${st}>${dt}${ep}</user>`;
    })
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="${identity}" state="${state}" version="${version}"><users>${us}</users></conference-info>`;
}

const A: U = { entity: 'sip:alice@localhost', status: 'connected' };
const B: U = { entity: 'sip:bob@localhost', status: 'connected', display: 'Bob' };
const C: U = { entity: 'sip:carol@localhost', status: 'connected' };

let peer: SipPeer;
let client: ImClient;
let focus: RawFocus;
let n = 0;
let logLines: Record<string, unknown>[] = [];
beforeEach(async () => {
  peer = await SipPeer.open('UDP', 0);
  logLines = [];
  const logger = createLogger({ level: 'warn', destination: { write: (l: string) => void logLines.push(JSON.parse(l) as Record<string, unknown>) } });
  client = await ImClient.start({ user: 'alice', domain: 'localhost', server: { host: '127.0.0.1', port: peer.port, transport: 'UDP' }, logger });
  peer.serverPort = client.sipPort;
  focus = new RawFocus(peer, `sip:conf-raw${++n}@127.0.0.1:${peer.port}`);
});
afterEach(async () => {
  await client.close(200);
  peer.close();
});

function record(w: ConferenceWatch) {
  const log = { rosters: [] as (readonly RosterEntry[])[], joined: [] as RosterEntry[], left: [] as RosterEntry[], ended: [] as ConferenceEnded[] };
  w.on('roster', (r) => log.rosters.push(r));
  w.on('joined', (e) => log.joined.push(e));
  w.on('left', (e) => log.left.push(e));
  w.on('conference-ended', (e) => log.ended.push(e));
  return log;
}

async function subscribed(expiresS = 120): Promise<{ w: ConferenceWatch; seen: ReturnType<typeof record>; sub: WireMessage }> {
  const w = client.subscribeConference(focus.identity, { expiresS });
  const seen = record(w);
  await w.ready();
  return { w, seen, sub: focus.subs[focus.subs.length - 1]! };
}

test('RFC 6665 4.1.2.1: the SUBSCRIBE asks for Event: conference with conference-info and our Expires; a NOTIFY whose body is garbage (or another type) is answered 200, counted, and changes nothing; the next good one is applied', async () => {
  const { w, seen, sub } = await subscribed(120);
  expect(sub.startLine).toBe(`SUBSCRIBE ${focus.identity} SIP/2.0`);
  expect(header(sub, 'event')).toBe('conference');
  expect(header(sub, 'accept')).toBe('application/conference-info+xml');
  expect(header(sub, 'expires')).toBe('120');
  expect((await focus.notify(sub, { body: doc(focus.identity, 1, [A, B]) })).status).toBe(200);
  expect(seen.rosters).toHaveLength(1);
  expect(seen.rosters[0]!.map((e) => e.name)).toEqual(['sip:alice@localhost', 'Bob']);
  // a listener that throws stays the listener's problem
  w.on('roster', () => {
    throw new Error('listener bug');
  });
  expect((await focus.notify(sub, { body: '<<< not xml at all \u0000' })).status).toBe(200);
  expect((await focus.notify(sub, { body: '<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" version="2"/>' })).status).toBe(200);
  expect((await focus.notify(sub, { body: doc(focus.identity, 2, [A]), contentType: 'text/plain' })).status).toBe(200);
  expect(w.stats.malformed).toBe(3);
  const ignored = logLines.filter((l) => l.msg === 'conference NOTIFY body ignored');
  expect(ignored.map((l) => l.malformed)).toEqual([1, 2, 3]);
  expect(ignored[2]!.reason).toMatch(/Content-Type is "text\/plain"/);
  expect(seen.rosters).toHaveLength(1);
  expect(w.roster.map((e) => e.entity)).toEqual(['sip:alice@localhost', 'sip:bob@localhost']);
  expect((await focus.notify(sub, { body: doc(focus.identity, 2, [A, B, C]) })).status).toBe(200);
  expect(seen.joined.map((e) => e.entity)).toEqual(['sip:carol@localhost']);
  expect(logLines.some((l) => l.msg === 'conference listener threw')).toBe(true);
  expect(w.state).toBe('active');
});

test('RFC 4575 4.6: a version not newer is discarded; partial state of the next version is applied (a deleted user has left); partial state after a gap asks for full state with an in-dialog SUBSCRIBE', async () => {
  const { w, seen, sub } = await subscribed();
  await focus.notify(sub, { body: doc(focus.identity, 3, [A, B, C]) });
  await focus.notify(sub, { body: doc(focus.identity, 3, [A]) });
  await focus.notify(sub, { body: doc(focus.identity, 1, [A]) });
  expect(w.stats.stale).toBe(2);
  expect(seen.left).toEqual([]);
  await focus.notify(sub, { body: doc(focus.identity, 4, [{ entity: C.entity, state: 'deleted' }, { entity: B.entity, state: 'partial', display: 'Robert' }], 'partial') });
  expect(seen.left.map((e) => e.entity)).toEqual(['sip:carol@localhost']);
  expect(w.roster.map((e) => e.name)).toEqual(['sip:alice@localhost', 'Robert']);
  // the endpoint of bob kept its status through the partial user update
  expect(w.roster[1]!.status).toBe('connected');
  const before = focus.subs.length;
  await focus.notify(sub, { body: doc(focus.identity, 7, [{ entity: 'sip:dave@localhost', status: 'connected' }], 'partial') });
  await until(() => focus.subs.length === before + 1, 'the re-SUBSCRIBE');
  const again = focus.subs[before]!;
  expect(header(again, 'call-id')).toBe(header(sub, 'call-id'));
  expect(header(again, 'to')).toContain(`tag=${TAG}`);
  expect(w.stats.resyncs).toBe(1);
  expect(seen.joined).toEqual([]);
  await focus.notify(sub, { body: doc(focus.identity, 8, [A, B, { entity: 'sip:dave@localhost', status: 'connected' }]) });
  expect(seen.joined.map((e) => e.entity)).toEqual(['sip:dave@localhost']);
  // RFC 6665 4.1.2.3: unsubscribe, the final NOTIFY ends it without conference-ended
  const status = w.unsubscribe();
  await until(() => focus.subs.length === before + 2, 'the unsubscribe');
  expect(header(focus.subs[before + 1]!, 'expires')).toBe('0');
  expect(await status).toBe(200);
  expect((await focus.notify(sub, { state: 'terminated;reason=timeout', body: doc(focus.identity, 9, [A]) })).status).toBe(200);
  await w.finished();
  expect(seen.ended).toEqual([]);
  expect(seen.left.map((e) => e.entity)).toEqual(['sip:carol@localhost']);
});

test('RFC 6665 4.1.2.4: a NOTIFY that overtakes the 200 makes the dialog; a NOTIFY of no subscription gets 481; another package 489', async () => {
  focus.answerWith = () => 'hold';
  const w = client.subscribeConference(focus.identity);
  const seen = record(w);
  await until(() => focus.subs.length === 1, 'SUBSCRIBE');
  const sub = focus.subs[0]!;
  expect((await focus.notify(sub, { body: doc(focus.identity, 1, [A, B]) })).status).toBe(200);
  expect(seen.rosters).toHaveLength(1);
  expect(w.state).toBe('subscribing');
  focus.respond(sub, 200, ['Expires: 600']);
  await w.ready();
  expect(w.state).toBe('active');
  expect((await focus.notify(sub, { callId: `${rid()}@nowhere`, body: doc(focus.identity, 2, [A]) })).status).toBe(481);
  expect((await focus.notify(sub, { toTag: 'not-ours', body: doc(focus.identity, 2, [A]) })).status).toBe(481);
  const bad = await focus.notify(sub, { event: 'presence', body: doc(focus.identity, 2, [A]) });
  expect(bad.status).toBe(489);
  expect(seen.rosters).toHaveLength(1);
});

test('RFC 6665 4.1.2.1: 423 Interval Too Brief: asked again with the Min-Expires, same dialog, next CSeq', async () => {
  focus.answerWith = (m) => (header(m, 'expires') === '5' ? { status: 423, extra: ['Min-Expires: 60'] } : { status: 200, extra: ['Expires: 60'] });
  const w = client.subscribeConference(focus.identity, { expiresS: 5 });
  await w.ready();
  expect(focus.subs.map((m) => header(m, 'expires'))).toEqual(['5', '60']);
  expect(header(focus.subs[1]!, 'call-id')).toBe(header(focus.subs[0]!, 'call-id'));
  expect(parseInt(header(focus.subs[1]!, 'cseq')!, 10)).toBe(parseInt(header(focus.subs[0]!, 'cseq')!, 10) + 1);
});

test('RFC 6665 4.1.3: terminated;reason=noresource ends the watch with conference-ended, and later NOTIFYs of the dialog get 481; reason=timeout subscribes again in a new dialog', async () => {
  const { w, seen, sub } = await subscribed();
  await focus.notify(sub, { body: doc(focus.identity, 1, [A, B]) });
  expect((await focus.notify(sub, { state: 'terminated;reason=noresource', body: doc(focus.identity, 2, []) })).status).toBe(200);
  expect(seen.ended).toEqual([{ reason: 'noresource' }]);
  expect(w.state).toBe('terminated');
  // the ended conference says nobody left: the end is told, not a leave per user
  expect(seen.left).toEqual([]);
  expect((await focus.notify(sub, { body: doc(focus.identity, 3, [A]) })).status).toBe(481);

  const second = await subscribed();
  await focus.notify(second.sub, { body: doc(focus.identity, 1, [A, B]) });
  const before = focus.subs.length;
  await focus.notify(second.sub, { state: 'terminated;reason=timeout' });
  await until(() => focus.subs.length === before + 1, 'a new SUBSCRIBE');
  const fresh = focus.subs[before]!;
  expect(header(fresh, 'call-id')).not.toBe(header(second.sub, 'call-id'));
  expect(header(fresh, 'to')).not.toContain('tag=');
  await until(() => second.w.state === 'active', 'active again');
  expect(second.w.stats.resubscribes).toBe(1);
  // the state carries over: the new dialog's first document tells only what changed
  await focus.notify(fresh, { body: doc(focus.identity, 1, [A, B, C]) });
  expect(second.seen.joined.map((e) => e.entity)).toEqual(['sip:carol@localhost']);
  expect(second.seen.ended).toEqual([]);
});
