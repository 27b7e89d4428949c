import {
  parseByteRange,
  parseContentType,
  parseFailureReport,
  parseMessageId,
  parseStatus,
  parseSuccessReport,
  type ByteRange,
  type ContentType,
  type FailureReport,
  type MsrpStatus,
  type SuccessReport,
} from './headers';
import type { MsrpFrameHead } from './types';
import { parsePath, type MsrpUri } from './uri';

/** The headers of a head, decoded. */
export interface MsrpFields {
  readonly toPath: readonly MsrpUri[];
  readonly fromPath: readonly MsrpUri[];
  readonly messageId: string | undefined;
  readonly byteRange: ByteRange | undefined;
  readonly successReport: SuccessReport | undefined;
  readonly failureReport: FailureReport | undefined;
  readonly status: MsrpStatus | undefined;
  readonly contentType: ContentType | undefined;
}

export type MsrpHeadCheck =
  | { readonly ok: true; readonly fields: MsrpFields }
  | { readonly ok: false; readonly status: 400; readonly reason: string };

export interface MsrpHeadCheckOptions {
  /**
   * Enforce the header order of the RFC 4975 section 9 ABNF: To-Path first, From-Path second,
   * Content-Type last before a body. Default true.
   */
  readonly strictOrder?: boolean;
}

const SINGLE = ['to-path', 'from-path', 'message-id', 'byte-range', 'success-report', 'failure-report', 'status', 'content-type'];

function bad(reason: string): MsrpHeadCheck {
  return { ok: false, status: 400, reason };
}

/**
 * Checks a head against RFC 4975 and decodes its headers. A failure carries the 400 the
 * upper layer answers (section 7.2: a request the receiver cannot parse gets 400).
 * Unknown methods pass when their paths are fine: the upper layer answers 501.
 */
export function checkHead(head: MsrpFrameHead, options: MsrpHeadCheckOptions = {}): MsrpHeadCheck {
  if (head.syntaxErrors.length > 0) return bad(head.syntaxErrors[0]);
  const byName = new Map<string, string>();
  for (const h of head.headers) {
    const key = h.name.toLowerCase();
    // section 9: each of these headers appears at most once
    if (SINGLE.includes(key) && byName.has(key)) return bad(`duplicate ${h.name} header`);
    if (!byName.has(key)) byName.set(key, h.value);
  }
  const to = byName.get('to-path');
  const from = byName.get('from-path');
  // section 7.1 / 7.2: every request and response carries To-Path and From-Path
  if (to === undefined) return bad('missing To-Path header');
  if (from === undefined) return bad('missing From-Path header');
  if (options.strictOrder ?? true) {
    const names = head.headers.map((h) => h.name.toLowerCase());
    // section 9: headers = To-Path CRLF From-Path CRLF 1*( header CRLF )
    if (names[0] !== 'to-path' || names[1] !== 'from-path') return bad('To-Path and From-Path must be the first headers');
    // section 9: content-stuff = *(Other-Mime-header CRLF) Content-Type 2CRLF data CRLF
    if (head.hasBody && byName.has('content-type') && names[names.length - 1] !== 'content-type') {
      return bad('Content-Type must be the last header before the body');
    }
  }
  const toPath = parsePath(to);
  if (toPath === undefined) return bad('malformed To-Path header');
  const fromPath = parsePath(from);
  if (fromPath === undefined) return bad('malformed From-Path header');

  const decoded = decodeOptional(byName);
  if (typeof decoded === 'string') return bad(decoded);
  const fields: MsrpFields = { toPath, fromPath, ...decoded };

  if (head.kind === 'request') {
    // section 9: a body is always introduced by Content-Type
    if (head.hasBody && fields.contentType === undefined) return bad('body without Content-Type header');
    // section 7.1.1: SEND carries Message-ID; section 7.1.2: REPORT carries Message-ID and Status
    if ((head.method === 'SEND' || head.method === 'REPORT') && fields.messageId === undefined) {
      return bad(`${head.method} without Message-ID header`);
    }
    if (head.method === 'REPORT' && fields.status === undefined) return bad('REPORT without Status header');
  }
  return { ok: true, fields };
}

function decodeOptional(byName: Map<string, string>): Omit<MsrpFields, 'toPath' | 'fromPath'> | string {
  const raw = (k: string): string | undefined => byName.get(k);
  const messageId = decodeOne(raw('message-id'), parseMessageId);
  const byteRange = decodeOne(raw('byte-range'), parseByteRange);
  const successReport = decodeOne(raw('success-report'), parseSuccessReport);
  const failureReport = decodeOne(raw('failure-report'), parseFailureReport);
  const status = decodeOne(raw('status'), parseStatus);
  const contentType = decodeOne(raw('content-type'), parseContentType);
  if (messageId === null) return 'malformed Message-ID header';
  if (byteRange === null) return 'malformed Byte-Range header';
  if (successReport === null) return 'malformed Success-Report header';
  if (failureReport === null) return 'malformed Failure-Report header';
  if (status === null) return 'malformed Status header';
  if (contentType === null) return 'malformed Content-Type header';
  return { messageId, byteRange, successReport, failureReport, status, contentType };
}

/** undefined: header absent; null: present but malformed. */
function decodeOne<T>(value: string | undefined, parse: (v: string) => T | undefined): T | undefined | null {
  if (value === undefined) return undefined;
  const v = parse(value);
  return v === undefined ? null : v;
}
