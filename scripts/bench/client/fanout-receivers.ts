/**
 * The receivers of the fan-out table: N MSRP connections in one process, each bound to its own
 * session (an empty SEND first, RFC 4975 5.4, as an endpoint does), answering every SEND with
 * 200 and recording when each message's last chunk was read. Messages are told apart by the
 * index stamped at the end of their body (the switch gives them its own Message-IDs). Bodies
 * are never gathered: the parser hands slices, only the stamp's bytes are kept.
 * Runs as a forked child of the bench.
 */
import type { Socket } from 'node:net';
import {
  encodeRequest,
  getHeader,
  MsrpParser,
  type MsrpFlag,
  type MsrpFrameHead,
  type MsrpParserHandler,
  type MsrpWireError,
} from '../../../src/msrp/wire';
import { serveRpc } from '../rpc';
import type { ClientTarget } from '../relays/types';
import { connectTcp } from './endpoint';
import { clockNow, STAMP_BYTES } from './protocol';

export interface ReceiversSetupArg {
  readonly targets: readonly { readonly target: ClientTarget; readonly ownUri: string }[];
  /** process.hrtime.bigint() of the parent, as text: every timestamp is ns after it. */
  readonly baseNs: string;
  readonly timeoutMs: number;
}

export interface ReceiversExpectArg {
  readonly firstIndex: number;
  readonly count: number;
  /** Smallest body a message may have (the sender's payload; the switch adds its envelope). */
  readonly minBytes: number;
  readonly timeoutMs: number;
}

export interface ReceiversExpectResult {
  /** count x receivers: doneNs[r * count + i] = when receiver r read message firstIndex + i. */
  readonly doneNs: Float64Array;
  /** Messages shorter than minBytes, without a stamp, or received twice. */
  readonly bad: number;
  readonly errors: readonly string[];
}

const BIND_TID = 'bind0001';
const MAX_ERRORS = 20;

function firstUri(path: string | undefined): string {
  return (path ?? '').trim().split(/[ \t]+/)[0];
}

/** The stamp "m" + 10 digits as a number, or -1. */
function stampIndex(tail: Buffer, len: number): number {
  if (len < STAMP_BYTES || tail[0] !== 0x6d) return -1;
  let n = 0;
  for (let i = 1; i < STAMP_BYTES; i++) {
    const d = tail[i] - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

interface Expectation {
  readonly arg: ReceiversExpectArg;
  readonly doneNs: Float64Array;
  /** Messages still missing, over all receivers. */
  missing: number;
  bad: number;
  readonly resolve: (r: ReceiversExpectResult) => void;
  readonly timer: NodeJS.Timeout;
}

/** One receiver connection. */
class Leg implements MsrpParserHandler {
  private readonly parser: MsrpParser;
  /** The last STAMP_BYTES body bytes of the frame being read, and how many are valid. */
  private readonly tail = Buffer.alloc(STAMP_BYTES);
  private tailLen = 0;
  private bytes = 0;
  private answerFor = '';
  private answerLines = '';
  /** Responses to the frames of the socket read being parsed: written once it is parsed. */
  private answers = '';
  private bound: ((ok: boolean) => void) | undefined;
  /** Closed by us (close()): not an error. */
  closing = false;

  constructor(
    readonly index: number,
    readonly socket: Socket,
    private readonly owner: Receivers,
  ) {
    this.parser = new MsrpParser(this, { maxBodyBytes: 1024 * 1024 });
    socket.on('data', (d: Buffer) => {
      this.parser.feed(d);
      // one write per socket read, as imedge's own endpoint answers (Outbound: one flush per
      // turn). A write per 200 made this process the busiest of the 50-receiver row (a quarter
      // of its CPU in writes) and handed the switch one small segment per answer to read,
      // about a third of the switch's CPU per delivery: a cost of this client, not of the switch
      if (this.answers.length === 0) return;
      const out = this.answers;
      this.answers = '';
      socket.write(out);
    });
    socket.on('error', (e) => owner.note(`receiver ${index}: socket: ${e.message}`));
    socket.on('close', () => {
      if (!this.closing) owner.note(`receiver ${index}: connection closed`);
      this.bound?.(false);
    });
  }

  /** Binds the session: an empty SEND to the relay's / switch's URI for it; resolves on its 200. */
  bind(t: ClientTarget, ownUri: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`receiver ${this.index}: bind not answered in ${timeoutMs} ms`)), timeoutMs);
      this.bound = (ok) => {
        clearTimeout(timer);
        this.bound = undefined;
        if (ok) resolve();
        else reject(new Error(`receiver ${this.index}: bind refused or connection closed`));
      };
      this.socket.write(
        encodeRequest({ transactionId: BIND_TID, method: 'SEND', toPath: t.handshakeToPath, fromPath: [ownUri], messageId: BIND_TID }),
      );
    });
  }

  onFrameHead(head: MsrpFrameHead): void {
    this.bytes = 0;
    this.tailLen = 0;
    if (head.kind === 'response' && head.transactionId === BIND_TID) this.bound?.(head.status === 200);
  }

  onBodyChunk(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (chunk.length >= STAMP_BYTES) {
      chunk.copy(this.tail, 0, chunk.length - STAMP_BYTES);
      this.tailLen = STAMP_BYTES;
      return;
    }
    // a short piece: shift the kept bytes left and append it
    const keep = Math.min(this.tailLen, STAMP_BYTES - chunk.length);
    this.tail.copy(this.tail, 0, this.tailLen - keep, this.tailLen);
    chunk.copy(this.tail, keep);
    this.tailLen = keep + chunk.length;
  }

  onFrameEnd(flag: MsrpFlag, head: MsrpFrameHead): void {
    if (head.kind !== 'request') return;
    if (head.method !== 'SEND') {
      // RFC 4975 7.1.2: REPORTs get no response; other methods are not ours
      if (head.method !== 'REPORT') this.answer(head, 501, 'Not Implemented');
      return;
    }
    // RFC 4975 7.2: a 200 unless Failure-Report is "no" or "partial"
    const fr = getHeader(head, 'Failure-Report');
    if (fr !== 'no' && fr !== 'partial') this.answer(head, 200, 'OK');
    if (flag === '$' && head.hasBody) this.owner.message(this.index, stampIndex(this.tail, this.tailLen), this.bytes);
  }

  onError(e: MsrpWireError): void {
    this.owner.note(`receiver ${this.index}: wire: ${e.kind}: ${e.message}`);
    if (e.recovery === 'close') this.socket.destroy();
  }

  /** Response path lines built once per distinct request path pair (one per leg in practice). */
  private answer(head: MsrpFrameHead, status: number, comment: string): void {
    const to = getHeader(head, 'To-Path');
    const from = getHeader(head, 'From-Path');
    const key = `${to ?? ''}\n${from ?? ''}`;
    if (key !== this.answerFor) {
      this.answerFor = key;
      // RFC 4975 7.2: a response goes to the previous hop only
      this.answerLines = `To-Path: ${firstUri(from)}\r\nFrom-Path: ${firstUri(to)}\r\n`;
    }
    const tid = head.transactionId;
    this.answers += `MSRP ${tid} ${status} ${comment}\r\n${this.answerLines}-------${tid}$\r\n`;
  }
}

class Receivers {
  private legs: Leg[] = [];
  private base = 0n;
  private expectation: Expectation | undefined;
  private readonly errors: string[] = [];
  /** Messages outside any expectation (late, early or unknown): a fault of the run. */
  private stray = 0;

  constructor(private readonly maxLegs: number) {}

  async setup(arg: ReceiversSetupArg): Promise<number> {
    if (this.legs.length + arg.targets.length > this.maxLegs) throw new Error(`more than ${this.maxLegs} receivers`);
    this.base = BigInt(arg.baseNs);
    for (const { target, ownUri } of arg.targets) {
      const leg = new Leg(this.legs.length, await connectTcp(target.host, target.port, arg.timeoutMs), this);
      this.legs.push(leg);
      if (target.handshake !== 'bind') throw new Error(`receivers bind with an empty SEND, not ${target.handshake}`);
      await leg.bind(target, ownUri, arg.timeoutMs);
    }
    return this.legs.length;
  }

  note(text: string): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push(text);
  }

  message(leg: number, index: number, bytes: number): void {
    const e = this.expectation;
    const i = e === undefined ? -1 : index - e.arg.firstIndex;
    if (e === undefined || index < 0 || i < 0 || i >= e.arg.count) {
      this.stray++;
      return;
    }
    const at = leg * e.arg.count + i;
    if (!Number.isNaN(e.doneNs[at]) || bytes < e.arg.minBytes) {
      e.bad++;
      if (!Number.isNaN(e.doneNs[at])) return;
    }
    e.doneNs[at] = Number(process.hrtime.bigint() - this.base);
    if (--e.missing === 0) {
      clearTimeout(e.timer);
      this.expectation = undefined;
      e.resolve({ doneNs: e.doneNs, bad: e.bad + this.takeStray(), errors: this.errors });
    }
  }

  private takeStray(): number {
    const n = this.stray;
    this.stray = 0;
    return n;
  }

  /** Resolves once every receiver has read every message of the range; rejects on timeout. */
  expect(arg: ReceiversExpectArg): Promise<ReceiversExpectResult> {
    if (this.expectation !== undefined) return Promise.reject(new Error('an expectation is already waiting'));
    if (this.legs.length === 0) return Promise.reject(new Error('no receivers'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const missing = this.expectation?.missing ?? 0;
        this.expectation = undefined;
        reject(new Error(`receivers: ${missing} deliveries missing after ${arg.timeoutMs} ms (${this.errors.join('; ')})`));
      }, arg.timeoutMs);
      const n = arg.count * this.legs.length;
      this.expectation = { arg, doneNs: new Float64Array(n).fill(Number.NaN), missing: n, bad: 0, resolve, timer };
    });
  }

  /** Closes every receiver connection; setup() may then open new ones. */
  close(): void {
    for (const l of this.legs) {
      l.closing = true;
      l.socket.destroy();
    }
    this.legs = [];
  }
}

function main(): void {
  const r = new Receivers(5000);
  serveRpc({
    setup: (a: ReceiversSetupArg) => r.setup(a),
    expect: (a: ReceiversExpectArg) => r.expect(a),
    clock: clockNow,
    close: () => r.close(),
  });
}

main();
