import { isHeaderName, isIdent, isUtf8Text } from './grammar';
import {
  formatByteRange,
  formatContentType,
  formatStatus,
  parseContentType,
  type ByteRange,
  type ContentType,
  type FailureReport,
  type MsrpStatus,
  type SuccessReport,
} from './headers';
import { formatStartLine } from './start-line';
import type { MsrpFlag, MsrpHeader, MsrpRequestHead } from './types';
import { formatPath, type MsrpUri } from './uri';

type Path = readonly (MsrpUri | string)[];

export interface MsrpRequestSpec {
  readonly transactionId: string;
  /** Any 1*UPALPHA method; SEND and REPORT are the RFC 4975 ones. */
  readonly method: string;
  readonly toPath: Path;
  readonly fromPath: Path;
  readonly messageId?: string;
  readonly successReport?: SuccessReport;
  readonly failureReport?: FailureReport;
  readonly byteRange?: ByteRange;
  readonly status?: MsrpStatus;
  /** Extension headers, written after the ones above, in this order. */
  readonly extraHeaders?: readonly MsrpHeader[];
  /** MIME headers of the body (Content-ID, Content-Disposition, ...), written just before Content-Type. */
  readonly mimeHeaders?: readonly MsrpHeader[];
  /** Set exactly when the request carries a body, possibly empty (RFC 4975 section 9, content-stuff). */
  readonly contentType?: ContentType | string;
}

export interface MsrpResponseSpec {
  readonly transactionId: string;
  readonly status: number;
  readonly comment?: string;
  readonly toPath: Path;
  readonly fromPath: Path;
  readonly extraHeaders?: readonly MsrpHeader[];
}

const RESERVED = new Set([
  'to-path', 'from-path', 'message-id', 'byte-range', 'success-report', 'failure-report', 'status', 'content-type',
]);

function line(name: string, value: string): string {
  if (!isUtf8Text(value)) throw new RangeError(`${name} value holds control characters`);
  // the parser drops blanks around a value; refuse them so that what is written reads back the same
  if (/^[ \t]|[ \t]$/.test(value)) throw new RangeError(`${name} value has leading or trailing blanks`);
  return `${name}: ${value}\r\n`;
}

function extra(headers: readonly MsrpHeader[] | undefined): string {
  let text = '';
  for (const h of headers ?? []) {
    if (!isHeaderName(h.name)) throw new RangeError(`bad header name: ${h.name}`);
    if (RESERVED.has(h.name.toLowerCase())) throw new RangeError(`${h.name} has its own field in the spec`);
    text += line(h.name, h.value);
  }
  return text;
}

/**
 * Start line and headers of a request, in the order RFC 4975 section 9 requires: To-Path,
 * From-Path, the others, the body's MIME headers, Content-Type last; then the empty line when
 * the request has a body. Write body chunks after it, then encodeEndLine(..., true).
 * Throws RangeError on values that could not be parsed back (e.g. CR/LF injected in a value).
 */
export function encodeRequestHead(spec: MsrpRequestSpec): Buffer {
  let text = `${formatStartLine({ kind: 'request', transactionId: spec.transactionId, method: spec.method })}\r\n`;
  text += line('To-Path', formatPath(spec.toPath));
  text += line('From-Path', formatPath(spec.fromPath));
  if (spec.messageId !== undefined) {
    if (!isIdent(spec.messageId)) throw new RangeError(`bad Message-ID: ${spec.messageId}`);
    text += line('Message-ID', spec.messageId);
  }
  if (spec.successReport !== undefined) text += line('Success-Report', spec.successReport);
  if (spec.failureReport !== undefined) text += line('Failure-Report', spec.failureReport);
  if (spec.byteRange !== undefined) text += line('Byte-Range', formatByteRange(spec.byteRange));
  if (spec.status !== undefined) text += line('Status', formatStatus(spec.status));
  text += extra(spec.extraHeaders);
  if (spec.contentType !== undefined) {
    text += extra(spec.mimeHeaders);
    const ct = typeof spec.contentType === 'string' ? spec.contentType : formatContentType(spec.contentType);
    if (parseContentType(ct) === undefined) throw new RangeError(`bad Content-Type: ${ct}`);
    text += line('Content-Type', ct);
    text += '\r\n';
  } else if (spec.mimeHeaders !== undefined && spec.mimeHeaders.length > 0) {
    throw new RangeError('MIME headers without Content-Type');
  }
  return Buffer.from(text, 'utf8');
}

/** Start line and headers of a response (RFC 4975 section 9: responses have no body). */
export function encodeResponseHead(spec: MsrpResponseSpec): Buffer {
  const start = formatStartLine({
    kind: 'response',
    transactionId: spec.transactionId,
    status: spec.status,
    comment: spec.comment,
  });
  const text =
    `${start}\r\n` +
    line('To-Path', formatPath(spec.toPath)) +
    line('From-Path', formatPath(spec.fromPath)) +
    extra(spec.extraHeaders);
  return Buffer.from(text, 'utf8');
}

/**
 * The end-line "-------" transact-id flag CRLF (RFC 4975 section 7.1). afterBody adds the
 * CRLF that separates a body from its end-line; that CRLF is framing, not body.
 */
export function encodeEndLine(transactionId: string, flag: MsrpFlag, afterBody: boolean): Buffer {
  if (!isIdent(transactionId)) throw new RangeError(`bad MSRP transaction id: ${transactionId}`);
  return Buffer.from(`${afterBody ? '\r\n' : ''}-------${transactionId}${flag}\r\n`, 'latin1');
}

/**
 * A whole request. The body must not contain its own end-line (section 7.1: the sender picks
 * a transaction id that does not occur in it); containsEndLine() tells.
 */
export function encodeRequest(spec: MsrpRequestSpec, body?: Buffer, flag: MsrpFlag = '$'): Buffer {
  const hasBody = spec.contentType !== undefined;
  if (body !== undefined && body.length > 0 && !hasBody) throw new RangeError('a body needs a Content-Type');
  if (body !== undefined && containsEndLine(body, spec.transactionId)) {
    throw new RangeError(`the body contains the end-line of ${spec.transactionId}: pick another transaction id`);
  }
  const parts = [encodeRequestHead(spec)];
  if (hasBody && body !== undefined) parts.push(body);
  parts.push(encodeEndLine(spec.transactionId, flag, hasBody));
  return Buffer.concat(parts);
}

export function encodeResponse(spec: MsrpResponseSpec): Buffer {
  return Buffer.concat([encodeResponseHead(spec), encodeEndLine(spec.transactionId, '$', false)]);
}

/**
 * encodeResponse for the responses of one stream, which mostly answer requests of the same
 * session and so carry the same two paths: the path lines of the previous response are reused
 * when its paths come again, instead of checking their URIs again. Same bytes, same errors as
 * encodeResponse; holds one pair of paths.
 */
export class MsrpResponseEncoder {
  private toPath: string | undefined;
  private fromPath: string | undefined;
  private pathLines = '';

  /** toPath/fromPath: one URI each (a response names only the previous hop and this one). */
  encode(transactionId: string, status: number, comment: string | undefined, toPath: string, fromPath: string): Buffer {
    const start = formatStartLine({ kind: 'response', transactionId, status, comment });
    if (toPath !== this.toPath || fromPath !== this.fromPath) {
      this.pathLines = line('To-Path', formatPath([toPath])) + line('From-Path', formatPath([fromPath]));
      this.toPath = toPath;
      this.fromPath = fromPath;
    }
    // formatStartLine checked the transaction id as encodeEndLine would
    return Buffer.from(`${start}\r\n${this.pathLines}-------${transactionId}$\r\n`, 'utf8');
  }
}

/**
 * True when this transaction id cannot frame this body: the body, followed by the CRLF that
 * precedes the end-line, holds "-------" id flag CRLF. This includes a body that ends in
 * "-------" id flag, which the framing CRLF would complete (RFC 4975 section 7.1).
 */
export function containsEndLine(body: Buffer, transactionId: string): boolean {
  const needle = Buffer.from(`-------${transactionId}`, 'latin1');
  for (let i = body.indexOf(needle); i >= 0; i = body.indexOf(needle, i + 1)) {
    const q = i + needle.length;
    const f = body[q];
    if (f !== 0x24 && f !== 0x2b && f !== 0x23) continue;
    if (q + 1 === body.length) return true;
    if (body[q + 1] === 0x0d && body[q + 2] === 0x0a) return true;
  }
  return false;
}

/**
 * Addressing of a response (RFC 4975 section 7.2): To-Path is the previous hop, i.e. the
 * first URI of the request's From-Path; From-Path is this hop, the first URI of its To-Path.
 */
export function responseTo(
  request: Pick<MsrpRequestHead, 'transactionId'>,
  paths: { readonly toPath: Path; readonly fromPath: Path },
  status: number,
  comment?: string,
): MsrpResponseSpec {
  return {
    transactionId: request.transactionId,
    status,
    comment,
    toPath: [paths.fromPath[0]],
    fromPath: [paths.toPath[0]],
  };
}
