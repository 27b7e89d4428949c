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
  /** Decoded values of earlier heads on the same stream, reused when a value comes again. */
  readonly cache?: MsrpHeadCache;
}

/**
 * Memory of the last value of the headers that repeat from one request to the next on a
 * connection (the paths of its session, Byte-Range of same-size messages, Content-Type).
 * Decoding is a pure function of the text, so a repeated value gives the same result without
 * parsing its URIs again. One per stream; holds one value of each. Plain fields, no closures:
 * every connection has one.
 */
export class MsrpHeadCache {
  private toText: string | undefined;
  private to: MsrpUri[] | undefined;
  private fromText: string | undefined;
  private from: MsrpUri[] | undefined;
  private rangeText: string | undefined;
  private range: ByteRange | undefined;
  private typeText: string | undefined;
  private type: ContentType | undefined;

  toPath(text: string): MsrpUri[] | undefined {
    if (text !== this.toText) {
      this.to = parsePath(text);
      this.toText = text;
    }
    return this.to;
  }

  fromPath(text: string): MsrpUri[] | undefined {
    if (text !== this.fromText) {
      this.from = parsePath(text);
      this.fromText = text;
    }
    return this.from;
  }

  byteRange(text: string): ByteRange | undefined {
    if (text !== this.rangeText) {
      this.range = parseByteRange(text);
      this.rangeText = text;
    }
    return this.range;
  }

  contentType(text: string): ContentType | undefined {
    if (text !== this.typeText) {
      this.type = parseContentType(text);
      this.typeText = text;
    }
    return this.type;
  }
}

const enum Kind {
  Other,
  ToPath,
  FromPath,
  MessageId,
  ByteRange,
  SuccessReport,
  FailureReport,
  Status,
  ContentType,
}

/** Header names this check knows, lower-cased and as usually spelled (saves a toLowerCase per header). */
const KINDS: ReadonlyMap<string, Kind> = new Map([
  ...named('To-Path', Kind.ToPath),
  ...named('From-Path', Kind.FromPath),
  ...named('Message-ID', Kind.MessageId),
  ...named('Byte-Range', Kind.ByteRange),
  ...named('Success-Report', Kind.SuccessReport),
  ...named('Failure-Report', Kind.FailureReport),
  ...named('Status', Kind.Status),
  ...named('Content-Type', Kind.ContentType),
]);

function named(spelling: string, kind: Kind): [string, Kind][] {
  return [
    [spelling, kind],
    [spelling.toLowerCase(), kind],
  ];
}

/** Names compare case-insensitively (section 9). */
function kindOf(name: string): Kind {
  return KINDS.get(name) ?? KINDS.get(name.toLowerCase()) ?? Kind.Other;
}

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
  const headers = head.headers;
  // first value of each known header, indexed by Kind
  const values: (string | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined];
  let lastKind = Kind.Other;
  for (const h of headers) {
    const kind = kindOf(h.name);
    lastKind = kind;
    if (kind === Kind.Other) continue;
    // section 9: each of these headers appears at most once
    if (values[kind] !== undefined) return bad(`duplicate ${h.name} header`);
    values[kind] = h.value;
  }
  const to = values[Kind.ToPath];
  const from = values[Kind.FromPath];
  // section 7.1 / 7.2: every request and response carries To-Path and From-Path
  if (to === undefined) return bad('missing To-Path header');
  if (from === undefined) return bad('missing From-Path header');
  if (options.strictOrder ?? true) {
    // section 9: headers = To-Path CRLF From-Path CRLF 1*( header CRLF )
    if (kindOf(headers[0].name) !== Kind.ToPath || kindOf(headers[1].name) !== Kind.FromPath) {
      return bad('To-Path and From-Path must be the first headers');
    }
    // section 9: content-stuff = *(Other-Mime-header CRLF) Content-Type 2CRLF data CRLF
    if (head.hasBody && values[Kind.ContentType] !== undefined && lastKind !== Kind.ContentType) {
      return bad('Content-Type must be the last header before the body');
    }
  }
  const cache = options.cache;
  const toPath = cache === undefined ? parsePath(to) : cache.toPath(to);
  if (toPath === undefined) return bad('malformed To-Path header');
  const fromPath = cache === undefined ? parsePath(from) : cache.fromPath(from);
  if (fromPath === undefined) return bad('malformed From-Path header');

  const fields = decodeFields(values, toPath, fromPath, cache);
  if (typeof fields === 'string') return bad(fields);

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

/** The decoded fields, or the reason of the 400 for the first malformed header. */
function decodeFields(
  values: readonly (string | undefined)[],
  toPath: readonly MsrpUri[],
  fromPath: readonly MsrpUri[],
  cache: MsrpHeadCache | undefined,
): MsrpFields | string {
  const messageId = decodeOne(values[Kind.MessageId], parseMessageId);
  const byteRange = decodeOne(values[Kind.ByteRange], cache === undefined ? parseByteRange : (v) => cache.byteRange(v));
  const successReport = decodeOne(values[Kind.SuccessReport], parseSuccessReport);
  const failureReport = decodeOne(values[Kind.FailureReport], parseFailureReport);
  const status = decodeOne(values[Kind.Status], parseStatus);
  const contentType = decodeOne(values[Kind.ContentType], cache === undefined ? parseContentType : (v) => cache.contentType(v));
  if (messageId === null) return 'malformed Message-ID header';
  if (byteRange === null) return 'malformed Byte-Range header';
  if (successReport === null) return 'malformed Success-Report header';
  if (failureReport === null) return 'malformed Failure-Report header';
  if (status === null) return 'malformed Status header';
  if (contentType === null) return 'malformed Content-Type header';
  return { toPath, fromPath, messageId, byteRange, successReport, failureReport, status, contentType };
}

/** undefined: header absent; null: present but malformed. */
function decodeOne<T>(value: string | undefined, parse: (v: string) => T | undefined): T | undefined | null {
  if (value === undefined) return undefined;
  const v = parse(value);
  return v === undefined ? null : v;
}
