/**
 * The clients of the conference-state benchmark (issue 10), in one forked process: raw SIP UAs
 * against a real `imedge serve`. One phase at a time: a creator starts the session of a
 * pre-defined group (INVITE to the group URI), S watchers SUBSCRIBE (Event: conference) to its
 * IM Session Identity as list members the group's allow-conference-state admits, and J joiners
 * join it (INVITE to the group URI, ACK, MSRP connect, the empty SEND that binds the session).
 * Every NOTIFY is timed as it is read; a watcher answers it at once or after a set delay.
 * All timestamps are ms on this process's monotonic clock, from the phase's start.
 */
import { randomBytes } from 'node:crypto';
import { findMsrpMedia, parseSdp } from '../../../src/sdp';
import { encodeRequest, msrpUriPort, parseMsrpUri } from '../../../src/msrp/wire';
import { serveRpc } from '../rpc';
import { connectedUsers } from './conference-scan';
import { connectTcp, MsrpEndpoint } from './endpoint';
import { hdr, rid, SipPeer, type SipMsg } from './sip-raw';

export interface NotifySetupArg {
  readonly sipPort: number;
  readonly domain: string;
  /** sip:<group>@<domain> */
  readonly groupUri: string;
  readonly creator: string;
  readonly watchers: readonly string[];
  readonly joiners: readonly string[];
  /** A watcher answers each NOTIFY this long after reading it (0: at once). */
  readonly answerDelayMs: number;
  readonly timeoutMs: number;
}

export interface NotifySetupResult {
  /** The IM Session Identity the watchers subscribed to. */
  readonly identity: string;
}

export interface NotifyJoinsArg {
  /** paced: one join at a time, the next once every watcher has the last one; burst: all at once */
  readonly mode: 'paced' | 'burst';
  /** paced: pause after every watcher has a join, before the next one */
  readonly gapMs: number;
  /** After every watcher has every join: how long to go on counting NOTIFYs (late ones). */
  readonly settleMs: number;
  readonly timeoutMs: number;
}

export interface NotifyJoinsResult {
  /** per joiner: its INVITE written */
  readonly inviteMs: Float64Array;
  /** per joiner: the empty SEND that completes its join written (the server marks it joined on reading it) */
  readonly joinMs: Float64Array;
  /** watchers x joiners: seenMs[w * J + j] = the first NOTIFY at watcher w that shows joiner j connected; NaN: none */
  readonly seenMs: Float64Array;
  /** NOTIFYs the watchers read from the first join to the end of the settle time */
  readonly received: number;
  readonly errors: readonly string[];
}

const MAX_ERRORS = 20;

interface Dialog {
  readonly callId: string;
  readonly fromTag: string;
  readonly toTag: string;
  readonly target: string;
  cseq: number;
}

class Watcher {
  dialog: Dialog | undefined;
  /** NOTIFYs read, answered */
  read = 0;
  answered = 0;
  lastCseq = -1;
  /** the NOTIFY that ends the subscription was read */
  ended = false;
  constructor(
    readonly index: number,
    readonly user: string,
    readonly peer: SipPeer,
  ) {}
}

class Joiner {
  dialog: Dialog | undefined;
  msrp: MsrpEndpoint | undefined;
  constructor(
    readonly index: number,
    readonly user: string,
    readonly peer: SipPeer,
  ) {}
}

function msrpOffer(pathUri: string): Buffer {
  return Buffer.from(
    ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=message 9 TCP/MSRP *', 'a=accept-types:text/plain message/cpim', `a=path:${pathUri}`, 'a=setup:actpass', ''].join('\r\n'),
  );
}

const angle = (v: string | undefined): string | undefined => (v === undefined ? undefined : /<([^>]+)>/.exec(v)?.[1]);
const tagOf = (v: string | undefined): string | undefined => (v === undefined ? undefined : /;\s*tag=([^;>\s]+)/i.exec(v)?.[1]);

class Phase {
  readonly watchers: Watcher[] = [];
  readonly joiners: Joiner[] = [];
  private creator: Joiner | undefined;
  identity = '';
  private readonly base = process.hrtime.bigint();
  private readonly joinerIndex = new Map<string, number>();
  private seenMs = new Float64Array(0);
  /** (watcher, joiner) pairs not seen yet, in all and per joiner */
  private missing = 0;
  private missingPerJoin = new Int32Array(0);
  private counting = false;
  private received = 0;
  private wake: (() => void) | undefined;
  readonly errors: string[] = [];

  constructor(readonly arg: NotifySetupArg) {}

  now(): number {
    return Number(process.hrtime.bigint() - this.base) / 1e6;
  }

  note(text: string): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push(text);
  }

  async setup(): Promise<NotifySetupResult> {
    const a = this.arg;
    const J = a.joiners.length;
    a.joiners.forEach((u, j) => this.joinerIndex.set(`sip:${u}@${a.domain}`, j));
    this.creator = new Joiner(-1, a.creator, await SipPeer.open('UDP', a.sipPort));
    await this.register(this.creator.peer, a.creator);
    const rs = await this.join(this.creator);
    // the IM Session Identity: the focus's Contact URI (OMA IM 7.2.1.5), without the transport
    const identity = angle(hdr(rs, 'contact'))?.replace(/;transport=\w+/i, '');
    if (identity === undefined) throw new Error('no Contact in the focus 200');
    this.identity = identity;
    for (const [i, u] of a.joiners.entries()) {
      const j = new Joiner(i, u, await SipPeer.open('UDP', a.sipPort));
      this.joiners.push(j);
    }
    for (const [i, u] of a.watchers.entries()) {
      const w = new Watcher(i, u, await SipPeer.open('TCP', a.sipPort));
      w.peer.onRequest = (m, p) => this.onWatcherRequest(w, m, p);
      this.watchers.push(w);
    }
    await Promise.all([...this.joiners, ...this.watchers].map((x) => this.register(x.peer, x.user)));
    this.seenMs = new Float64Array(this.watchers.length * J).fill(Number.NaN);
    this.missing = this.watchers.length * J;
    this.missingPerJoin = new Int32Array(J).fill(this.watchers.length);
    await Promise.all(this.watchers.map((w) => this.subscribe(w)));
    // every first NOTIFY read and answered: the joins start with none in flight
    await this.until(() => this.watchers.every((w) => w.read >= 1 && w.answered >= w.read), a.timeoutMs + a.answerDelayMs, 'first NOTIFYs');
    return { identity };
  }

  private async register(peer: SipPeer, user: string): Promise<void> {
    const aor = `sip:${user}@${this.arg.domain}`;
    const rs = await peer.request(
      { method: 'REGISTER', uri: `sip:${this.arg.domain}`, from: aor, fromTag: rid(), to: aor, callId: rid(), cseq: 1, headers: [`Contact: <${peer.contactUri}>`, 'Expires: 600'] },
      this.arg.timeoutMs,
    );
    if (rs.status !== 200) throw new Error(`REGISTER ${user}: ${rs.status}`);
  }

  /** RFC 6665 4.1.2.1: SUBSCRIBE to the IM Session Identity (OMA IM 7.1.1.11). */
  private async subscribe(w: Watcher): Promise<void> {
    const callId = rid();
    const fromTag = rid();
    const rs = await w.peer.request(
      {
        method: 'SUBSCRIBE', uri: this.identity, from: `sip:${w.user}@${this.arg.domain}`, fromTag, to: this.identity, callId, cseq: 1,
        headers: [`Contact: <${w.peer.contactUri}>`, 'Event: conference', 'Accept: application/conference-info+xml', 'Expires: 600'],
      },
      this.arg.timeoutMs,
    );
    if (rs.status !== 200) throw new Error(`SUBSCRIBE ${w.user}: ${rs.status}`);
    w.dialog = { callId, fromTag, toTag: tagOf(hdr(rs, 'to')) ?? '', target: angle(hdr(rs, 'contact')) ?? this.identity, cseq: 1 };
  }

  private onWatcherRequest(w: Watcher, m: SipMsg, p: SipPeer): void {
    if (m.method !== 'NOTIFY') return p.answer(m, 200);
    const at = this.now();
    const cseq = Number((hdr(m, 'cseq') ?? '').split(/\s+/)[0]);
    if (cseq <= w.lastCseq) return; // a resent NOTIFY (UDP): its answer is on its way
    w.lastCseq = cseq;
    w.read++;
    if (/^\s*terminated/i.test(hdr(m, 'subscription-state') ?? '')) w.ended = true;
    if (this.counting) {
      this.received++;
      this.record(w, m.body.toString('utf8'), at);
    }
    const answer = (): void => {
      w.answered++;
      p.answer(m, 200);
      this.wake?.();
    };
    if (this.arg.answerDelayMs > 0) setTimeout(answer, this.arg.answerDelayMs);
    else answer();
  }

  private record(w: Watcher, body: string, at: number): void {
    const J = this.joiners.length;
    for (const uri of connectedUsers(body)) {
      const j = this.joinerIndex.get(uri);
      if (j === undefined) continue;
      const k = w.index * J + j;
      if (!Number.isNaN(this.seenMs[k])) continue;
      this.seenMs[k] = at;
      this.missing--;
      this.missingPerJoin[j]--;
    }
    this.wake?.();
  }

  /** Resolves once pred() holds (checked on every NOTIFY read or answered), rejects after timeoutMs. */
  private until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        reject(new Error(`${what}: not done in ${timeoutMs} ms`));
      }, timeoutMs);
      this.wake = () => {
        if (!pred()) return;
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** OMA IM 7.2.1.5: INVITE to the group URI, ACK, then the MSRP leg; the member is joined once the focus reads the bind. */
  private async join(j: Joiner, times?: { invite: Float64Array; join: Float64Array }): Promise<SipMsg> {
    const a = this.arg;
    const ownUri = `msrp://127.0.0.1:9/${randomBytes(6).toString('hex')};tcp`;
    const callId = rid();
    const fromTag = rid();
    const from = `sip:${j.user}@${a.domain}`;
    if (times !== undefined) times.invite[j.index] = this.now();
    const rs = await j.peer.request(
      { method: 'INVITE', uri: a.groupUri, from, fromTag, to: a.groupUri, callId, cseq: 1, headers: [`Contact: <${j.peer.contactUri}>`], contentType: 'application/sdp', body: msrpOffer(ownUri) },
      a.timeoutMs,
    );
    if (rs.status !== 200) throw new Error(`join ${j.user}: ${rs.status}`);
    const toTag = tagOf(hdr(rs, 'to')) ?? '';
    const target = angle(hdr(rs, 'contact')) ?? a.groupUri;
    j.dialog = { callId, fromTag, toTag, target, cseq: 1 };
    j.peer.fire({ method: 'ACK', uri: target, from, fromTag, to: a.groupUri, toTag, callId, cseq: 1 });
    const media = findMsrpMedia(parseSdp(rs.body));
    if (media === undefined) throw new Error(`join ${j.user}: no MSRP media in the answer`);
    if (media.setup === 'active') throw new Error(`join ${j.user}: the focus would dial (a=setup:active); the bench dials it`);
    const focus = parseMsrpUri(media.path[0] ?? '');
    if (focus === undefined) throw new Error(`join ${j.user}: bad a=path ${media.path[0]}`);
    const ep = new MsrpEndpoint(await connectTcp(focus.host, msrpUriPort(focus), a.timeoutMs));
    // a switch SEND to this member: a 200, as an endpoint does (RFC 4975 7.2)
    ep.onRequest = (f) => ep.answer(f);
    j.msrp = ep;
    if (times !== undefined) times.join[j.index] = this.now();
    const res = await ep.transact(
      encodeRequest({ transactionId: 'bind0001', method: 'SEND', toPath: media.path, fromPath: [ownUri], messageId: 'bind0001' }),
      'bind0001',
      a.timeoutMs,
    );
    if (res.head.kind !== 'response' || res.head.status !== 200) throw new Error(`join ${j.user}: the bind was not answered 200`);
    return rs;
  }

  async joins(arg: NotifyJoinsArg): Promise<NotifyJoinsResult> {
    const J = this.joiners.length;
    const times = { invite: new Float64Array(J).fill(Number.NaN), join: new Float64Array(J).fill(Number.NaN) };
    this.received = 0;
    this.counting = true;
    const deadline = Date.now() + arg.timeoutMs;
    const left = (): number => Math.max(1, deadline - Date.now());
    try {
      if (arg.mode === 'paced') {
        for (const j of this.joiners) {
          await this.join(j, times);
          await this.until(() => this.missingPerJoin[j.index] === 0, left(), `every watcher has join ${j.index}`);
          // the last NOTIFY's 200 reaches the server before the next join: nothing is coalesced
          await this.until(() => this.watchers.every((w) => w.answered >= w.read), left(), 'NOTIFYs answered');
          if (arg.gapMs > 0) await new Promise((r) => setTimeout(r, arg.gapMs));
        }
      } else {
        await Promise.all(this.joiners.map((j) => this.join(j, times)));
        await this.until(() => this.missing === 0, left(), 'every watcher has every join');
      }
    } catch (e) {
      this.note(e instanceof Error ? e.message : String(e));
    }
    await new Promise((r) => setTimeout(r, arg.settleMs));
    this.counting = false;
    for (const x of [...this.watchers, ...this.joiners]) for (const e of x.peer.errors) this.note(`${x.user}: ${e}`);
    return { inviteMs: times.invite, joinMs: times.join, seenMs: this.seenMs, received: this.received, errors: this.errors };
  }

  /** Unsubscribe (RFC 6665 4.2.1.2, Expires: 0) before anyone leaves, so that the leaves notify nobody; then BYE. */
  async teardown(): Promise<void> {
    const t = this.arg.timeoutMs;
    await Promise.all(
      this.watchers.map(async (w) => {
        const d = w.dialog;
        if (d === undefined) return;
        d.cseq++;
        await w.peer
          .request(
            {
              method: 'SUBSCRIBE', uri: d.target, from: `sip:${w.user}@${this.arg.domain}`, fromTag: d.fromTag, to: this.identity, toTag: d.toTag, callId: d.callId, cseq: d.cseq,
              headers: [`Contact: <${w.peer.contactUri}>`, 'Event: conference', 'Expires: 0'],
            },
            t,
          )
          .catch(() => undefined);
      }),
    );
    // the final NOTIFYs answered before the sockets close: no NOTIFY transaction is left to time out
    await this.until(() => this.watchers.every((w) => w.dialog === undefined || (w.ended && w.answered >= w.read)), t, 'final NOTIFYs').catch(() => undefined);
    const all = [...this.joiners, ...(this.creator !== undefined ? [this.creator] : [])];
    await Promise.all(
      all.map(async (j) => {
        const d = j.dialog;
        if (d === undefined) return;
        d.cseq++;
        await j.peer
          .request({ method: 'BYE', uri: d.target, from: `sip:${j.user}@${this.arg.domain}`, fromTag: d.fromTag, to: this.arg.groupUri, toTag: d.toTag, callId: d.callId, cseq: d.cseq }, t)
          .catch(() => undefined);
      }),
    );
    this.close();
  }

  close(): void {
    for (const j of [...this.joiners, ...(this.creator !== undefined ? [this.creator] : [])]) {
      j.msrp?.close();
      j.peer.close();
    }
    for (const w of this.watchers) w.peer.close();
  }
}

let phase: Phase | undefined;

serveRpc({
  setup: async (arg: NotifySetupArg): Promise<NotifySetupResult> => {
    phase?.close();
    phase = new Phase(arg);
    return phase.setup();
  },
  joins: (arg: NotifyJoinsArg): Promise<NotifyJoinsResult> => {
    if (phase === undefined) throw new Error('joins before setup');
    return phase.joins(arg);
  },
  teardown: async (): Promise<void> => {
    const p = phase;
    phase = undefined;
    await p?.teardown();
  },
  close: (): void => {
    phase?.close();
    phase = undefined;
  },
});
