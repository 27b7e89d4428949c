/**
 * The switch's data path: one sender's request streamed into every other participant's leg,
 * inside the CPIM envelope (see MsrpSwitch for the policies). Nothing here holds a message:
 * body bytes go from the sender's socket read into each receiver's ring.
 */
import type { WaitOutcome } from '../../util/waiter';
import {
  containsEndLine,
  cpimBlockEnd,
  encodeCpimHeaders,
  encodeEndLine,
  formatByteRange,
  formatCpimDateTime,
  isByteRange,
  parseCpimHeaders,
  roomInMessage,
  toStatusReason,
  type ByteRange,
  type MsrpFields,
  type MsrpFlag,
  type MsrpRequestHead,
  type MsrpResponseHead,
} from '../wire';
import type { MsrpConnection, MsrpNetCounters, TransactionIds } from '../net';
import { mimeHeadersOf, rewriteHeaders, wrapPrefix, type ConferenceAddress } from './envelope';
import type { MsrpSwitchCounters, ResolvedSwitchOptions } from './options';
import { Mode, type Chunk, type ChunkFate, type OpenMessage, type Outcome, type Participant, type Receiver, type Target } from './participant';
import type { Reporter } from './reports';

/** What the data path needs from its switch. */
export interface FanoutContext {
  readonly options: ResolvedSwitchOptions;
  readonly conference: ConferenceAddress;
  readonly counts: MsrpSwitchCounters;
  readonly netCounters: MsrpNetCounters;
  /** msrp.maxMessageSize: a sender's message larger than this is refused 413 (RFC 4975 7.1, 10.4). */
  readonly maxMessageSize: number;
  /** Transaction ids of frames the switch makes itself (piecewise copies, reports). */
  readonly tids: TransactionIds;
  readonly messageIds: TransactionIds;
  readonly reporter: Reporter;
  participants(): Iterable<Participant>;
}

/** Byte-Range of a chunk that names none (RFC 4975 7.1.1: the whole message, size unknown). */
const WHOLE: ByteRange = Object.freeze({ start: 1, end: null, total: null });
const EMPTY = Buffer.alloc(0);
const CPIM_TYPE = 'Content-Type: message/cpim\r\n\r\n';

export class Fanout {
  constructor(private readonly ctx: FanoutContext) {}

  onHead(p: Participant, head: MsrpRequestHead, fields: MsrpFields): void {
    if (p.removed) return;
    // the peer's own URI, for frames to it while its a=path is not known yet
    if (p.session.remotePath === undefined) p.learnedPath = head.headers[1].value;
    const c: Chunk = { head, fields, mode: Mode.Drop, msg: undefined, fate: undefined, targets: [], track: false, acc: undefined, outPos: 1, outTotal: null, room: 0 };
    p.cur = c;
    if (head.method === 'REPORT') {
      // about a copy the switch sent: its sender hears from the switch itself (MsrpSwitch)
      c.mode = Mode.Absorb;
      this.ctx.counts.reportsAbsorbed++;
      return;
    }
    if (!head.hasBody) {
      c.mode = Mode.Bind; // RFC 4975 5.4: an empty SEND binds the connection; answered at its end
      return;
    }
    const range = fields.byteRange ?? WHOLE;
    const messageId = fields.messageId as string; // checkHead: every SEND has one
    c.room = roomInMessage(range, this.ctx.maxMessageSize);
    if (c.room < 0) {
      // a later chunk's message is open already: refusing it drops that message too
      c.msg = range.start === 1 ? undefined : p.open.get(messageId);
      this.refuseOversize(p, c);
      return;
    }
    let msg: OpenMessage | undefined;
    if (range.start === 1) {
      // RFC 4975 7.3: a type outside what this session's SDP accepts is refused, never relayed
      if (!this.accepts(fields.contentType)) {
        this.refuse(p, c, 415, 'Content-Type not accepted in this session');
        return;
      }
      if (!p.open.has(messageId) && p.open.size >= this.ctx.options.maxOpenMessagesPerSender) {
        this.refuse(p, c, 413, 'too many messages in progress');
        return;
      }
      msg = this.openMessage(p, head, fields);
      p.open.set(messageId, msg);
      this.ctx.counts.messagesIn++;
    } else {
      msg = p.open.get(messageId);
      if (msg === undefined) {
        // RFC 4975 7.1.1 lets chunks come in any order, but the envelope goes before byte 1
        this.refuse(p, c, 400, 'first chunk of this message not received');
        return;
      }
    }
    this.ctx.counts.chunksIn++;
    c.msg = msg;
    c.track = msg.outcome.successWanted || fields.failureReport !== 'no';
    c.fate = { outcome: msg.outcome, byteRange: fields.byteRange, failureReport: fields.failureReport, bytes: 0 };
    c.targets = this.targetsOf(msg, head.transactionId, c.track);
    if (range.start !== 1) {
      this.beginChunk(p, c, undefined);
      return;
    }
    const ct = fields.contentType;
    if (ct !== undefined && ct.type === 'message' && ct.subtype === 'cpim') {
      c.mode = Mode.AwaitCpim;
      c.acc = EMPTY;
      return;
    }
    let prefix: Buffer;
    try {
      prefix = wrapPrefix(p.from, this.ctx.conference, this.dateTime(), mimeHeadersOf(head));
    } catch {
      this.refuse(p, c, 400, 'Content headers cannot be wrapped in CPIM');
      return;
    }
    msg.delta = prefix.length;
    this.beginChunk(p, c, prefix);
  }

  private accepts(ct: { readonly type: string; readonly subtype: string } | undefined): boolean {
    const list = this.ctx.options.acceptTypes;
    if (list === undefined) return true;
    if (ct === undefined) return false;
    const type = ct.type.toLowerCase();
    const full = `${type}/${ct.subtype.toLowerCase()}`;
    return list.some((t) => t === '*' || t === full || t === `${type}/*`);
  }

  onBody(p: Participant, data: Buffer): void {
    const c = p.cur;
    if (c === undefined) return;
    if ((c.mode === Mode.Forward || c.mode === Mode.AwaitCpim) && (c.fate as ChunkFate).bytes + data.length > c.room) {
      // streamed past msrp.maxMessageSize: the copies end with '#' where they are (RFC 4975 7.1)
      this.refuseOversize(p, c);
      return;
    }
    if (c.mode === Mode.Forward) {
      (c.fate as ChunkFate).bytes += data.length;
      this.fanOut(c, data);
    } else if (c.mode === Mode.AwaitCpim) {
      (c.fate as ChunkFate).bytes += data.length;
      this.gatherCpim(p, c, data);
    }
  }

  /**
   * The sender's frame ended. `broken` (no end-line read: parse error or connection lost) leaves
   * nothing to answer; a '#' read from the wire is the sender aborting the chunk, still a
   * transaction that gets its response.
   */
  onEnd(p: Participant, flag: MsrpFlag, broken: boolean): void {
    const c = p.cur;
    p.cur = undefined;
    if (c === undefined) return;
    const conn = broken ? undefined : p.session.connection;
    if (c.mode === Mode.Bind) {
      this.ctx.counts.bindSends++;
      if (conn !== undefined) this.ctx.reporter.answer(conn, c.head, c.fields, 200);
    } else if (c.mode === Mode.AwaitCpim) {
      // the message headers did not end within the first chunk
      if (flag !== '#') this.refuse(p, c, 400, 'CPIM headers must end in the first chunk');
      else this.abortUnsent(p, c, conn);
    } else if (c.mode === Mode.Forward) {
      this.endChunk(p, c, flag, conn);
    }
  }

  /** RFC 4975 7.1 / 7.2: the sender aborted a message whose CPIM headers had not all arrived. */
  private abortUnsent(p: Participant, c: Chunk, conn: MsrpConnection | undefined): void {
    this.dropMessage(p, c);
    if (conn !== undefined) this.ctx.reporter.answer(conn, c.head, c.fields, 200);
  }

  /**
   * A receiver leaves: copies being streamed to it are cut ('#'), so its leg ends on a frame
   * boundary, and their senders hear that it missed those chunks.
   */
  cutReceiver(receiver: Participant): void {
    const reason = receiver.slow ? 'participant removed: too slow' : 'participant left';
    for (const q of this.ctx.participants()) {
      const c = q.cur;
      if (c === undefined || c.mode !== Mode.Forward) continue;
      let cut = false;
      this.cutCopies(c, (t) => (t.p === receiver ? (cut = true) : false));
      if (cut) this.ctx.reporter.receiverFailed(c.fate as ChunkFate, receiver, receiver.slow ? 408 : 481, reason);
    }
  }

  /** A sender leaves: the chunk it was sending is aborted at every receiver. */
  abortSender(p: Participant): void {
    const c = p.cur;
    p.cur = undefined;
    if (c === undefined) return;
    this.cutCopies(c, () => true);
    if (c.msg !== undefined) c.msg.outcome.failed = true;
  }

  // ---- one chunk --------------------------------------------------------------------------

  /** The message's state at its first chunk: receivers are the bound participants now. */
  private openMessage(p: Participant, head: MsrpRequestHead, fields: MsrpFields): OpenMessage {
    const receivers: Receiver[] = [];
    const conns = new Set<MsrpConnection>();
    let sharing = false;
    for (const q of this.ctx.participants()) {
      const conn = q.session.connection;
      if (q === p || conn === undefined || conn.closed) continue;
      receivers.push({ p: q, conn, feed: p.feedTo(q) });
      if (conns.has(conn)) sharing = true;
      else conns.add(conn);
    }
    const outcome: Outcome = {
      sender: p,
      messageId: fields.messageId as string,
      fromPath: head.headers[1].value,
      successWanted: fields.successReport === 'yes',
      total: (fields.byteRange ?? WHOLE).total,
      received: 0,
      outstanding: 0,
      confirmed: 0,
      ended: false,
      failed: false,
      reported: false,
    };
    return { id: this.ctx.messageIds.next(), receivers, sharing, delta: 0, outcome };
  }

  /** The receivers of this chunk still there, each with its producer and how its copy is framed. */
  private targetsOf(msg: OpenMessage, tid: string, track: boolean): Target[] {
    // connections carrying two live receivers of this chunk; only looked for when the message
    // started with such a pair (RFC 4975 5.4, rare): one Set per message at most, not per chunk
    const shared = msg.sharing ? this.sharedConns(msg) : undefined;
    const targets: Target[] = [];
    for (const r of msg.receivers) {
      const q = r.p;
      const conn = r.conn;
      if (q.removed || conn.closed || q.session.connection !== conn || q.pathLines() === undefined) continue;
      const piecewise = shared !== undefined && shared.has(conn);
      const w = conn.transactions;
      // a piecewise copy takes a fresh transaction id per frame, checked then
      const tracked = track && (piecewise || (w.size < w.capacity && !w.has(tid)));
      targets.push({ p: q, conn, feed: r.feed, tracked, piecewise, open: false });
    }
    return targets;
  }

  /** Connections that carry more than one of the message's receivers still there. */
  private sharedConns(msg: OpenMessage): Set<MsrpConnection> | undefined {
    const seen = new Set<MsrpConnection>();
    let shared: Set<MsrpConnection> | undefined;
    for (const r of msg.receivers) {
      const q = r.p;
      if (q.removed || r.conn.closed || q.session.connection !== r.conn || q.pathLines() === undefined) continue;
      if (seen.has(r.conn)) (shared ??= new Set()).add(r.conn);
      else seen.add(r.conn);
    }
    return shared;
  }

  /**
   * Writes the chunk's head (and the envelope, on a first chunk) into every streamed target
   * leg. The head's shared part is built once per chunk; per receiver only its path lines differ.
   */
  private beginChunk(p: Participant, c: Chunk, prefix: Buffer | undefined): void {
    const msg = c.msg as OpenMessage;
    const tid = c.head.transactionId;
    const range = c.fields.byteRange ?? WHOLE;
    const d = msg.delta;
    // RFC 4975 7.1.1: the receiver's bytes are the envelope then the sender's, shifted by delta
    const out: ByteRange = {
      start: prefix !== undefined ? 1 : range.start + d,
      end: range.end === null ? null : range.end + d,
      total: range.total === null ? null : range.total + d,
    };
    if (!isByteRange(out)) {
      this.refuse(p, c, 400, 'Byte-Range out of bounds once wrapped');
      return;
    }
    // the sender's transaction id frames the streamed copies: its body cannot hold that
    // end-line (RFC 4975 7.1), and neither may the envelope
    if (prefix !== undefined && containsEndLine(prefix, tid)) {
      this.refuse(p, c, 400, 'the envelope would hold the end-line');
      return;
    }
    c.outPos = out.start;
    c.outTotal = out.total;
    const start = Buffer.from(`MSRP ${tid} SEND\r\n`, 'latin1');
    const common = `Message-ID: ${msg.id}\r\nByte-Range: ${formatByteRange(out)}\r\n`;
    // the head's pieces, one array per kind of copy for the whole chunk, the envelope (first
    // chunk) last: beginFrame copies the pieces into the ring at once (or, held back, the array
    // itself), so only the middle one, the receiver's path lines, is swapped per receiver
    const env = prefix ?? EMPTY;
    let tracked: Buffer[] | undefined;
    let untracked: Buffer[] | undefined;
    let streamed = 0;
    let piecewise = false;
    for (const t of c.targets) {
      // a receiver that left while a CPIM envelope was being read gets nothing
      if (t.p.removed || t.conn.closed) continue;
      t.open = true;
      if (t.piecewise) {
        piecewise = true;
        continue;
      }
      const pieces = t.tracked
        ? (tracked ??= [start, EMPTY, Buffer.from(`${common}${CPIM_TYPE}`, 'latin1'), env])
        : (untracked ??= [start, EMPTY, Buffer.from(`${common}Failure-Report: no\r\n${CPIM_TYPE}`, 'latin1'), env]);
      pieces[1] = t.p.pathLines() as Buffer;
      t.conn.out.beginFrame(pieces, t.feed);
      streamed++;
    }
    c.mode = Mode.Forward;
    if (prefix === undefined) return;
    this.ctx.counts.bytesOut += streamed * prefix.length;
    // a piecewise copy gets the envelope as its first piece
    if (piecewise) {
      for (const t of c.targets) {
        if (t.piecewise && t.open && !t.conn.closed) {
          this.writePiece(c, t, prefix, '+');
          this.ctx.counts.bytesOut += prefix.length;
        }
      }
    }
    c.outPos += prefix.length;
  }

  /** Body bytes into every target leg: copied into each ring (the only copy made). */
  private fanOut(c: Chunk, data: Buffer): void {
    if (data.length === 0) return;
    let n = 0;
    for (const t of c.targets) {
      if (!t.open || t.conn.closed) continue;
      if (t.piecewise) this.writePiece(c, t, data, '+');
      else t.conn.out.body(data, t.feed);
      n++;
    }
    this.ctx.counts.bytesOut += n * data.length;
    c.outPos += data.length;
  }

  /**
   * A whole frame for one piece of a piecewise copy (RFC 4975 7.1.1: a message may be sent in
   * any number of chunks): its own transaction id, one that the piece cannot hold as an
   * end-line, and its own answer to wait for.
   */
  private writePiece(c: Chunk, t: Target, data: Buffer, flag: MsrpFlag): void {
    const msg = c.msg as OpenMessage;
    let tid = this.ctx.tids.next();
    while (containsEndLine(data, tid)) tid = this.ctx.tids.next();
    let range: ByteRange = { start: c.outPos, end: c.outPos + data.length - 1, total: c.outTotal };
    // a sender that sends more than the total it declared: the copy says "total unknown"
    if (!isByteRange(range)) range = { start: range.start, end: range.end, total: null };
    if (!isByteRange(range)) {
      this.ctx.reporter.receiverFailed(c.fate as ChunkFate, t.p, 400, 'Byte-Range out of bounds once wrapped');
      return;
    }
    const wait = t.tracked && flag !== '#';
    const head = Buffer.from(`MSRP ${tid} SEND\r\n`, 'latin1');
    const tail = Buffer.from(
      `Message-ID: ${msg.id}\r\nByte-Range: ${formatByteRange(range)}\r\n${wait ? '' : 'Failure-Report: no\r\n'}${CPIM_TYPE}`,
      'latin1',
    );
    const out = t.conn.out;
    out.beginFrame([head, t.p.pathLines() as Buffer, tail], t.feed);
    out.body(data, t.feed);
    out.endFrame(encodeEndLine(tid, flag, true), t.feed);
    this.ctx.counts.framesOut++;
    if (wait) this.track(c, t, tid);
  }

  /**
   * First chunk of a message/cpim body: hold its message headers (at most maxCpimHeaderBytes)
   * until their empty line, rewrite them (envelope.rewriteHeaders), then stream the rest.
   */
  private gatherCpim(p: Participant, c: Chunk, data: Buffer): void {
    const acc = c.acc as Buffer;
    const cap = this.ctx.options.maxCpimHeaderBytes;
    const take = data.subarray(0, Math.max(0, cap - acc.length));
    const next = acc.length === 0 ? Buffer.from(take) : Buffer.concat([acc, take]);
    const end = cpimBlockEnd(next, 0, acc.length);
    if (end < 0) {
      if (next.length >= cap) this.refuse(p, c, 400, 'CPIM headers too large');
      else c.acc = next;
      return;
    }
    c.acc = undefined;
    const parsed = parseCpimHeaders(next.subarray(0, end));
    if (!parsed.ok) {
      this.refuse(p, c, 400, `malformed CPIM: ${parsed.error.kind}`);
      return;
    }
    const rw = rewriteHeaders(parsed.value, p.from, this.ctx.conference, this.dateTime());
    if (!rw.ok) {
      this.refuse(p, c, rw.status, rw.reason);
      return;
    }
    let prefix: Buffer;
    try {
      prefix = encodeCpimHeaders(rw.headers);
    } catch {
      this.refuse(p, c, 400, 'CPIM headers cannot be written back');
      return;
    }
    (c.msg as OpenMessage).delta = prefix.length - end;
    this.beginChunk(p, c, prefix);
    if (c.mode !== Mode.Forward) return;
    this.fanOut(c, next.subarray(end));
    this.fanOut(c, data.subarray(take.length));
  }

  /** The sender's chunk ended: end every copy, wait for each receiver's answer, answer the sender. */
  private endChunk(p: Participant, c: Chunk, flag: MsrpFlag, conn: MsrpConnection | undefined): void {
    const msg = c.msg as OpenMessage;
    const fate = c.fate as ChunkFate;
    const outcome = msg.outcome;
    const tid = c.head.transactionId;
    outcome.received += fate.bytes;
    let endLine: Buffer | undefined;
    const missed: [Participant, number, string | undefined][] = [];
    for (const t of c.targets) {
      if (!t.open) continue;
      t.open = false;
      if (t.conn.closed) {
        // the receiver went away while the chunk streamed: it missed this chunk
        if (flag !== '#') missed.push([t.p, t.p.slow ? 408 : 481, undefined]);
        continue;
      }
      if (t.piecewise) {
        // every piece went out whole with '+': the message's end (or abort) is an empty frame
        if (flag !== '+') this.writePiece(c, t, EMPTY, flag);
      } else {
        t.conn.out.endFrame((endLine ??= encodeEndLine(tid, flag, true)), t.feed);
        this.ctx.counts.framesOut++;
        if (flag !== '#' && c.track) {
          if (t.tracked) this.track(c, t, tid);
          else {
            // the receiver's waiter was full (or had this id): its fate would be unknown, say so
            this.ctx.counts.untracked++;
            missed.push([t.p, 408, 'switch cannot track this receiver']);
          }
        }
      }
      if (flag === '$') this.ctx.counts.deliveries++;
    }
    if (flag !== '+') {
      if (p.open.get(outcome.messageId) === msg) p.open.delete(outcome.messageId);
      outcome.ended = true;
      if (flag === '#') outcome.failed = true;
    }
    // RFC 4975 7.1 / 7.2: a chunk its sender aborted with '#' is still a SEND transaction and gets its response
    if (conn !== undefined) this.ctx.reporter.answer(conn, c.head, c.fields, 200);
    for (const [q, status, reason] of missed) this.ctx.reporter.receiverFailed(fate, q, status, reason);
    this.ctx.reporter.maybeSucceed(outcome);
  }

  /** Waits for the receiver's answer to one copy (one frame) of the chunk. */
  private track(c: Chunk, t: Target, tid: string): void {
    const fate = c.fate as ChunkFate;
    if (t.conn.transactions.wait(tid, (o, r) => this.onAnswer(fate, t, o, r))) {
      fate.outcome.outstanding++;
      return;
    }
    this.ctx.counts.untracked++;
    this.ctx.reporter.receiverFailed(fate, t.p, 408, 'switch cannot track this receiver');
  }

  /**
   * A receiver answered one copy (or timed out, or its connection went). Runs from that
   * receiver's data, close and timer paths: a throw closes that connection only.
   */
  private onAnswer(fate: ChunkFate, t: Target, outcome: WaitOutcome, res: MsrpResponseHead | undefined): void {
    try {
      const o = fate.outcome;
      o.outstanding--;
      const reporter = this.ctx.reporter;
      if (outcome === 'answer' && res !== undefined && res.status === 200) {
        o.confirmed++;
        reporter.maybeSucceed(o);
        return;
      }
      if (outcome === 'timeout') this.ctx.netCounters.transactionTimeouts++;
      if (outcome === 'answer' && res !== undefined) reporter.receiverFailed(fate, t.p, res.status, toStatusReason(res.comment));
      else if (outcome === 'timeout') reporter.receiverFailed(fate, t.p, 408, undefined);
      else if (t.p.slow) reporter.receiverFailed(fate, t.p, 408, 'participant removed: too slow');
      else reporter.receiverFailed(fate, t.p, 481, 'participant connection lost');
    } catch (err) {
      t.conn.fail(err, 'switch: receiver answer');
    }
  }

  /**
   * The sender's open chunk has kept other senders' copies waiting on a receiver leg for
   * frameHoldMs (RFC 4975 5.4: one frame at a time per connection): it is refused 413 (RFC 4975
   * 10.5: stop sending this message) and its copies end with '#', so the others go out.
   */
  cutHolding(p: Participant): void {
    const c = p.cur;
    if (c === undefined || c.mode !== Mode.Forward) return;
    this.ctx.counts.framesCut++;
    this.refuse(p, c, 413, 'chunk held other participants back too long');
    p.session.connection?.holdCut();
  }

  /** msrp.maxMessageSize: the chunk is refused 413 (RFC 4975 7.1, 10.4) and its message dropped. */
  private refuseOversize(p: Participant, c: Chunk): void {
    this.ctx.counts.oversizeRefused++;
    this.refuse(p, c, 413, 'message larger than this conference takes');
  }

  /** Refuses the chunk with an error response; its message is dropped (copies begun are cut). */
  private refuse(p: Participant, c: Chunk, status: number, reason: string): void {
    this.ctx.counts.refused++;
    const conn = p.session.connection;
    if (conn !== undefined && !conn.closed) conn.reject(c.head, status, reason);
    this.dropMessage(p, c);
  }

  private dropMessage(p: Participant, c: Chunk): void {
    c.mode = Mode.Drop;
    c.acc = undefined;
    this.cutCopies(c, () => true);
    const msg = c.msg;
    if (msg === undefined) return;
    msg.outcome.failed = true;
    if (p.open.get(msg.outcome.messageId) === msg) p.open.delete(msg.outcome.messageId);
  }

  /**
   * Ends the open copies that match with '#' (RFC 4975 7.1: aborted), so those legs are on a
   * frame boundary; a piecewise copy gets an empty aborted frame.
   */
  private cutCopies(c: Chunk, which: (t: Target) => boolean): void {
    let abort: Buffer | undefined;
    for (const t of c.targets) {
      if (!t.open || !which(t)) continue;
      t.open = false;
      if (t.conn.closed) continue;
      if (t.piecewise) this.writePiece(c, t, EMPTY, '#');
      else t.conn.out.endFrame((abort ??= encodeEndLine(c.head.transactionId, '#', true)), t.feed);
    }
  }

  private dateTime(): string {
    return formatCpimDateTime(this.ctx.options.now());
  }
}
