/**
 * What the switch tells a sender (RFC 4975 7.1.2, 7.2): hop-by-hop answers, failure REPORTs
 * per receiver that missed a chunk, and the one success REPORT the switch vouches for.
 */
import {
  chunkReportRange,
  encodeEndLine,
  encodeRequestHead,
  type ByteRange,
  type MsrpFields,
  type MsrpRequestHead,
} from '../wire';
import { reasonOf, type MsrpConnection, type TransactionIds } from '../net';
import type { MsrpSwitchCounters } from './options';
import type { ChunkFate, Outcome, Participant } from './participant';

export class Reporter {
  constructor(
    private readonly counts: MsrpSwitchCounters,
    private readonly tids: TransactionIds,
  ) {}

  /** Hop-by-hop answer to the sender (RFC 4975 7.2: none for Failure-Report no, only errors for partial). */
  answer(conn: MsrpConnection, head: MsrpRequestHead, fields: MsrpFields, status: number): void {
    const fr = fields.failureReport;
    if (fr === 'no' || (fr === 'partial' && status === 200)) return;
    if (conn.sendControl(conn.responseTo(head, head.headers[0].value, head.headers[1].value, status)) && status === 200) {
      this.counts.okSent++;
    }
  }

  /**
   * One receiver missed one chunk: the message gets no success report, and the sender one
   * failure REPORT for that chunk and receiver when it asked for them (Failure-Report yes or
   * partial). Several copies of a chunk (a shared connection) failing count once.
   */
  receiverFailed(fate: ChunkFate, receiver: Participant, status: number, reason: string | undefined): void {
    const o = fate.outcome;
    o.failed = true;
    const seen = (fate.missedBy ??= new Set());
    if (seen.has(receiver)) return;
    seen.add(receiver);
    receiver.missed++;
    if (fate.failureReport === 'no') return;
    // name the receiver, unless it is anonymous (RFC 3323: it must not be identified)
    const base = reason ?? reasonOf(status);
    const text = receiver.anonymous ? base : `${base} (${receiver.from.uri})`;
    if (this.send(o, chunkReportRange(fate.byteRange, fate.bytes), status, text)) this.counts.failureReportsSent++;
  }

  /**
   * The success REPORT (RFC 4975 7.1.2, Success-Report: yes): once, for the whole message,
   * when every receiver leg that got it answered 200 to every copy and none failed. Nobody to
   * deliver to confirms nothing: no report then.
   */
  maybeSucceed(o: Outcome): void {
    if (o.reported || !o.ended || o.outstanding > 0 || o.failed || !o.successWanted || o.confirmed === 0) return;
    o.reported = true;
    const n = o.total ?? o.received;
    if (this.send(o, { start: 1, end: n, total: n }, 200, 'OK')) this.counts.successReportsSent++;
  }

  /** A REPORT to the sender: To-Path is the From-Path of its SEND, Message-ID its own. */
  private send(o: Outcome, byteRange: ByteRange, status: number, reason: string): boolean {
    const p = o.sender;
    const conn = p.session.connection;
    if (p.removed || conn === undefined || conn.closed) return false;
    const tid = this.tids.next();
    let frame: Buffer;
    try {
      frame = Buffer.concat([
        encodeRequestHead({
          transactionId: tid,
          method: 'REPORT',
          toPath: o.fromPath.split(/[ \t]+/),
          fromPath: [p.session.localUri],
          messageId: o.messageId,
          byteRange,
          status: { namespace: 0, code: status, reason },
        }),
        encodeEndLine(tid, '$', false),
      ]);
    } catch {
      // a peer value that does not encode (a status out of range from a receiver): no report
      return false;
    }
    return conn.sendControl(frame);
  }
}
