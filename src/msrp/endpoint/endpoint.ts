import { randomHex } from '../../util/random-hex';
import {
  containsEndLine,
  encodeEndLine,
  encodeRequestHead,
  type ByteRange,
  type FailureReport,
  type MsrpFields,
  type MsrpFlag,
  type MsrpRequestHead,
  type MsrpStatus,
  type SuccessReport,
} from '../wire';
import {
  reasonOf,
  responseFor,
  type MsrpConnection,
  type MsrpNet,
  type MsrpSession,
  type MsrpSetup,
  type OutboundProducer,
} from '../net';
import { WaitTimeoutError } from '../../util/waiter';
import { acceptsType } from './accept';

export interface MsrpEndpointOptions {
  /** Our URI (a=path); its session-id names the session. */
  readonly localUri: string;
  /** The peer's a=path; the first URI is dialled by an active endpoint. */
  readonly remotePath: readonly string[];
  /** RFC 6135: 'active' dials and sends first (an empty SEND); 'passive' waits. */
  readonly setup: MsrpSetup;
  /** Negotiated a=accept-types; others get 415. Default ["*"]. */
  readonly acceptTypes?: readonly string[];
  /** Chunk size for sending; default the net's maxChunkSize. */
  readonly maxChunkSize?: number;
  /** Largest message reassembled (413 beyond); default the net's maxMessageSize. */
  readonly maxMessageSize?: number;
  /** Messages being reassembled at once; default 16. */
  readonly maxIncomingMessages?: number;
}

export interface ReceivedMessage {
  readonly messageId: string;
  readonly contentType: string;
  readonly body: Buffer;
}

export interface ReceivedReport {
  readonly messageId: string;
  readonly status: MsrpStatus;
  readonly byteRange: ByteRange | undefined;
}

export interface MsrpEndpointEvents {
  onMessage?(message: ReceivedMessage): void;
  onReport?(report: ReceivedReport): void;
}

export interface SendOptions {
  readonly contentType?: string;
  readonly successReport?: SuccessReport;
  readonly failureReport?: FailureReport;
  readonly messageId?: string;
}

export interface SendResult {
  readonly messageId: string;
  /** 200 when every chunk was accepted, else the first failure (408 timeout, 481 connection lost). */
  readonly status: number;
  readonly chunks: number;
}

interface Incoming {
  readonly messageId: string;
  readonly contentType: string;
  readonly total: number | null;
  /** Whole buffer when the total is known, else the pieces so far (copies). */
  readonly buf: Buffer | undefined;
  readonly parts: Buffer[];
  received: number;
  acknowledged: number;
}

interface Current {
  head: MsrpRequestHead;
  fields: MsrpFields;
  msg: Incoming | undefined;
  pos: number;
  error: number;
  isReport: boolean;
}

function newTid(): string {
  return randomHex(8);
}

/**
 * A local MSRP session endpoint (RFC 4975): sends messages in chunks, reassembles received
 * ones, answers and reports. Used by the client library and the tests.
 */
export class MsrpEndpoint implements OutboundProducer {
  readonly session: MsrpSession;
  private readonly chunkSize: number;
  private readonly maxMessage: number;
  private readonly maxIncoming: number;
  private readonly acceptTypes: readonly string[];
  private readonly incoming = new Map<string, Incoming>();
  private cur: Current | undefined;
  /** Sends run one after another: a message's chunks are never interleaved with another's. */
  private sendChain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly net: MsrpNet,
    private readonly opts: MsrpEndpointOptions,
    private readonly events: MsrpEndpointEvents = {},
  ) {
    this.chunkSize = opts.maxChunkSize ?? net.options.maxChunkSize;
    this.maxMessage = opts.maxMessageSize ?? net.options.maxMessageSize;
    this.maxIncoming = opts.maxIncomingMessages ?? 16;
    this.acceptTypes = opts.acceptTypes ?? ['*'];
    this.session = net.openSession({
      localUri: opts.localUri,
      remotePath: opts.remotePath,
      setup: opts.setup,
      handler: {
        onRequestHead: (_s, head, fields) => this.onHead(head, fields),
        onRequestBody: (_s, chunk) => this.onBody(chunk),
        onRequestEnd: (_s, flag) => this.onEnd(flag),
        onDisconnected: () => {
          this.cur = undefined;
          this.incoming.clear();
        },
      },
    });
  }

  get connection(): MsrpConnection | undefined {
    return this.session.connection;
  }

  /**
   * Active side (RFC 6135): dials the first hop of the remote path and binds the session with
   * an empty SEND (RFC 4975 section 5.4); resolves when it was answered 200.
   */
  async connect(): Promise<void> {
    if (this.opts.setup !== 'active') throw new Error('only an active endpoint connects');
    const conn = await this.net.dialUri(this.opts.remotePath[0]);
    if (!this.net.attach(this.session, conn)) {
      conn.close();
      throw new Error('cannot attach the session to its connection');
    }
    const tid = newTid();
    const frame = Buffer.concat([
      encodeRequestHead({
        transactionId: tid,
        method: 'SEND',
        toPath: this.opts.remotePath,
        fromPath: [this.opts.localUri],
        messageId: newTid(),
      }),
      encodeEndLine(tid, '$', false),
    ]);
    const answer = conn.transactions.waitFor(tid);
    conn.sendControl(frame);
    const res = await answer;
    if (res.status !== 200) throw new Error(`binding SEND refused with ${res.status}`);
  }

  /** Sends one message as chunks of maxChunkSize (RFC 4975 section 7.1.1). */
  send(body: Buffer, options: SendOptions = {}): Promise<SendResult> {
    // writing is serialised; waiting for the answers is not, so messages pipeline
    const written = this.sendChain.then(() => this.writeMessage(body, options));
    this.sendChain = written.catch(() => undefined);
    return written.then(async (w) => {
      const statuses = await Promise.all(w.answers);
      const failed = statuses.find((s) => s !== 200);
      return { messageId: w.messageId, status: failed ?? 200, chunks: w.chunks };
    });
  }

  close(): void {
    this.net.closeSession(this.session);
  }

  /** Our frames never wait in the leg: writeMessage waits for its turn (whenTurn) before each chunk. */
  onHeld(): void {}

  private async writeMessage(
    body: Buffer,
    options: SendOptions,
  ): Promise<{ messageId: string; answers: Promise<number>[]; chunks: number }> {
    const messageId = options.messageId ?? newTid();
    const contentType = options.contentType ?? 'text/plain';
    const total = body.length;
    const answers: Promise<number>[] = [];
    let offset = 0;
    let chunks = 0;
    do {
      const conn = this.liveConnection();
      await conn.out.whenWritable();
      // other sessions may share the connection (RFC 4975 5.4): one frame at a time on it
      while (!conn.out.isTurnOf(this) && !conn.closed) await conn.out.whenTurn(this);
      if (conn.closed) throw new Error('MSRP connection lost');
      let tid = newTid();
      const chunkEnd = Math.min(total, offset + this.chunkSize);
      while (containsEndLine(body.subarray(offset, chunkEnd), tid)) tid = newTid();
      const spec = {
        transactionId: tid,
        method: 'SEND',
        toPath: this.opts.remotePath,
        fromPath: [this.opts.localUri],
        messageId,
        successReport: options.successReport,
        failureReport: options.failureReport,
        contentType,
      };
      let head = encodeRequestHead({ ...spec, byteRange: { start: offset + 1, end: chunkEnd, total } });
      // a chunk that cannot go out in one go gets end "*" so it may be cut short (section 7.1.1)
      const interruptible = head.length + (chunkEnd - offset) > conn.out.writableBytes;
      if (interruptible) head = encodeRequestHead({ ...spec, byteRange: { start: offset + 1, end: null, total } });
      conn.out.beginFrame(head, this);
      let pos = offset;
      while (pos < chunkEnd) {
        // section 7.1.1: interrupt a long SEND with '+' so waiting responses/REPORTs, and the
        // frames of other sessions on this connection, overtake it
        if (interruptible && pos > offset && (conn.out.controlWaiting > 0 || conn.out.heldFrames > 0)) break;
        const room = conn.out.writableBytes;
        if (room === 0) {
          await conn.out.whenWritable();
          if (conn.closed) throw new Error('MSRP connection lost');
          continue;
        }
        const n = Math.min(room, chunkEnd - pos);
        conn.out.body(body.subarray(pos, pos + n), this);
        pos += n;
      }
      const flag: MsrpFlag = pos < total ? '+' : '$';
      conn.out.endFrame(encodeEndLine(tid, flag, true), this);
      chunks++;
      if (options.failureReport !== 'no' && options.failureReport !== 'partial') answers.push(this.answerOf(conn, tid));
      offset = pos;
    } while (offset < total);
    return { messageId, answers, chunks };
  }

  private answerOf(conn: MsrpConnection, tid: string): Promise<number> {
    return conn.transactions.waitFor(tid).then(
      (res) => res.status,
      (err) => (err instanceof WaitTimeoutError && err.outcome === 'timeout' ? 408 : 481),
    );
  }

  private liveConnection(): MsrpConnection {
    const c = this.session.connection;
    if (c === undefined || c.closed) throw new Error('MSRP session has no connection');
    return c;
  }

  // ---- receiving --------------------------------------------------------------------------

  private onHead(head: MsrpRequestHead, fields: MsrpFields): void {
    const cur: Current = { head, fields, msg: undefined, pos: 0, error: 0, isReport: head.method === 'REPORT' };
    this.cur = cur;
    if (cur.isReport || !head.hasBody) return;
    const ct = fields.contentType;
    // RFC 4975 section 7.3 / 8.6: a type outside the negotiated accept-types gets 415
    if (ct === undefined || !acceptsType(this.acceptTypes, ct)) {
      cur.error = 415;
      return;
    }
    const range = fields.byteRange ?? { start: 1, end: null, total: null };
    const id = fields.messageId as string;
    let msg = this.incoming.get(id);
    if (msg === undefined) {
      if ((range.total !== null && range.total > this.maxMessage) || this.incoming.size >= this.maxIncoming) {
        cur.error = 413;
        return;
      }
      msg = {
        messageId: id,
        contentType: `${ct.type}/${ct.subtype}`,
        total: range.total,
        buf: range.total === null ? undefined : Buffer.allocUnsafe(range.total),
        parts: [],
        received: 0,
        acknowledged: 0,
      };
      this.incoming.set(id, msg);
    }
    cur.msg = msg;
    cur.pos = range.start - 1;
  }

  private onBody(chunk: Buffer): void {
    const cur = this.cur;
    if (cur === undefined || cur.msg === undefined || cur.error !== 0) return;
    const msg = cur.msg;
    const end = cur.pos + chunk.length;
    // section 7.3: bytes beyond the declared total or the size cap: 413
    if ((msg.buf !== undefined && end > msg.buf.length) || end > this.maxMessage) {
      cur.error = 413;
      return;
    }
    if (msg.buf !== undefined) chunk.copy(msg.buf, cur.pos);
    else msg.parts.push(Buffer.from(chunk));
    cur.pos = end;
    msg.received += chunk.length;
  }

  private onEnd(flag: MsrpFlag): void {
    const cur = this.cur;
    this.cur = undefined;
    const conn = this.session.connection;
    if (cur === undefined || conn === undefined) return;
    const { head, fields } = cur;
    if (cur.isReport) {
      if (fields.messageId !== undefined && fields.status !== undefined) {
        this.events.onReport?.({ messageId: fields.messageId, status: fields.status, byteRange: fields.byteRange });
      }
      return;
    }
    const msg = cur.msg;
    if (cur.error !== 0) {
      this.respond(conn, head, fields, cur.error);
      if (msg !== undefined) {
        this.incoming.delete(msg.messageId);
        // 7.1.2: bytes already acknowledged with 200 are now lost: say so in a failure REPORT
        if (msg.acknowledged > 0 && fields.failureReport !== 'no') this.report(conn, msg, cur.error, msg.received);
      }
      return;
    }
    this.respond(conn, head, fields, 200);
    if (msg === undefined) return; // an empty bind SEND
    msg.acknowledged = msg.received;
    if (flag === '#') {
      this.incoming.delete(msg.messageId);
      return;
    }
    if (flag !== '$') return;
    this.incoming.delete(msg.messageId);
    const body = msg.buf !== undefined ? msg.buf.subarray(0, Math.max(cur.pos, msg.received)) : Buffer.concat(msg.parts);
    // section 7.1.2: Success-Report yes asks for a REPORT once the whole message arrived
    if (fields.successReport === 'yes') this.report(conn, msg, 200, body.length);
    this.events.onMessage?.({ messageId: msg.messageId, contentType: msg.contentType, body });
  }

  /** Transaction response (section 7.2): none for Failure-Report no, only errors for partial. */
  private respond(conn: MsrpConnection, head: MsrpRequestHead, fields: MsrpFields, status: number): void {
    if (status !== 200) {
      conn.reject(head, status);
      return;
    }
    if (fields.failureReport === 'no' || fields.failureReport === 'partial') return;
    conn.sendControl(responseFor(head, head.headers[0].value, head.headers[1].value, 200));
  }

  /**
   * REPORT back to the sender (section 7.1.2) covering bytes 1..n of the message. n counts
   * what arrived, and a peer may send more than the total it declared (a chunk sent twice):
   * the range is kept within that total so that it encodes.
   */
  private report(conn: MsrpConnection, msg: Incoming, status: number, n: number): void {
    const end = msg.total === null ? n : Math.min(n, msg.total);
    const tid = newTid();
    const frame = Buffer.concat([
      encodeRequestHead({
        transactionId: tid,
        method: 'REPORT',
        toPath: this.opts.remotePath,
        fromPath: [this.opts.localUri],
        messageId: msg.messageId,
        byteRange: { start: 1, end, total: msg.total ?? end },
        status: { namespace: 0, code: status, reason: reasonOf(status) },
      }),
      encodeEndLine(tid, '$', false),
    ]);
    conn.sendControl(frame);
  }
}
