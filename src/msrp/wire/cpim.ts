/**
 * CPIM message format (RFC 3862), the message/cpim body a conference focus wraps every chat
 * message in. Pure: Buffers and strings in, Buffers and strings out, no I/O.
 *
 * RFC 3862 2: a message/cpim body is
 *   message headers   CRLF          (From, To, DateTime, Subject, NS, Require, extensions)
 *   MIME headers      CRLF          (Content-Type and other Content-* of the encapsulated object)
 *   content
 *
 * Header values are kept as their wire text (escapes included): the typed readers
 * (parseCpimAddress, isCpimDateTime) decode what they need. Parsers never throw: they return a
 * typed result. Encoders throw RangeError on a value that would not read back the same.
 */

// RFC 3862 3.6: NAMECHAR = %x21 / %x23-27 / %x2a-2b / %x2d / %x5e-60 / %x7c / %x7e / ALPHA / DIGIT
const NAME = "[!#$%&'*+\\-^_`|~A-Za-z0-9]+";
// RFC 3862 3.6: Header-name = [ Name-prefix "." ] Name
const HEADER_NAME = new RegExp(`^(?:${NAME}\\.)?${NAME}$`);
const PARAM_NAME = new RegExp(`^${NAME}$`);
// RFC 3862 3.6: TOKENCHAR = NAMECHAR / "." / UCS-high
const TOKEN_CHAR = "[!#$%&'*+\\-.^_`|~A-Za-z0-9\\u0080-\\uFFFF]";
const TOKEN = new RegExp(`^${TOKEN_CHAR}+$`);
// RFC 3862 3.6: String = DQUOTE *( Str-char / Escape ) DQUOTE
const STRING_BODY = '(?:[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e\\u0080-\\uFFFF]|\\\\(?:u[0-9A-Fa-f]{4}|[btnr"\'\\\\]))*';
const STRING = new RegExp(`^"${STRING_BODY}"$`);
// RFC 3862 3.6: HEADERCHAR = UCS-no-CTL / Escape: no C0 control, no DEL
const CTL = /[\x00-\x1f\x7f]/;
/** A UTF-16 surrogate without its pair: it would not survive UTF-8 encoding. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// RFC 5322 3.6.8: ftext = %d33-57 / %d59-126
const MIME_NAME = /^[\x21-\x39\x3b-\x7e]+$/;
// RFC 3339 5.6 date-time
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
// RFC 3986 3.1 scheme ":" then printable ASCII without blanks, "<" or ">" (RFC 3862 4.1 URI)
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x3b\x3d\x3f-\x7e]*$/;

const CRLF = '\r\n';
const CRLF2 = Buffer.from('\r\n\r\n', 'latin1');
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The URI a focus puts in From for a participant that asked for anonymity (RFC 3323 4.1.1.3). */
export const CPIM_ANONYMOUS_URI = 'sip:anonymous@anonymous.invalid';

/** A header parameter (RFC 3862 3.3, e.g. lang=fr): value as on the wire (a String keeps its quotes). */
export interface CpimParam {
  readonly name: string;
  readonly value: string;
}

/** One message header (RFC 3862 3.6): name as written (case matters, section 3.1), wire value. */
export interface CpimHeader {
  readonly name: string;
  readonly params: readonly CpimParam[];
  readonly value: string;
}

/** A MIME header of the encapsulated object (RFC 3862 2.3), value without surrounding blanks. */
export interface CpimMimeHeader {
  readonly name: string;
  readonly value: string;
}

export interface CpimMessage {
  /** Message headers in wire order. */
  readonly headers: readonly CpimHeader[];
  /** MIME headers of the encapsulated object in wire order (Content-Type among them). */
  readonly mimeHeaders: readonly CpimMimeHeader[];
  readonly body: Buffer;
}

/** From / To / cc value (RFC 3862 4.1-4.3): [ Formal-name ] "<" URI ">". */
export interface CpimAddress {
  /** Display name, decoded (escapes resolved); undefined when absent. */
  readonly name?: string;
  readonly uri: string;
}

/**
 * What went wrong reading a message/cpim body:
 * - bad-utf8: a header block is not UTF-8.
 * - no-blank-line: the message headers or the MIME headers do not end with an empty line.
 * - bad-header: a message header line breaks the section 3.6 grammar.
 * - bad-mime-header: a MIME header line is not "name: value".
 * - too-many-headers: more header lines than the limit.
 */
export type CpimErrorKind = 'bad-utf8' | 'no-blank-line' | 'bad-header' | 'bad-mime-header' | 'too-many-headers';

export interface CpimError {
  readonly kind: CpimErrorKind;
  readonly message: string;
}

export type CpimResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: CpimError };

export interface CpimLimits {
  /** Header lines per block (message headers, MIME headers). */
  readonly maxHeaders: number;
}

export const DEFAULT_CPIM_LIMITS: CpimLimits = Object.freeze({ maxHeaders: 128 });

function fail<T>(kind: CpimErrorKind, message: string): CpimResult<T> {
  return { ok: false, error: { kind, message } };
}

/**
 * Offset just after the empty line that ends a header block starting at `start` (RFC 3862 2:
 * each block ends with CRLF CRLF, an empty block with a lone CRLF), or -1 when the bytes so far
 * hold none. `from` resumes a search over a growing buffer.
 */
export function cpimBlockEnd(buf: Buffer, start = 0, from = start): number {
  if (buf.length - start >= 2 && buf[start] === 0x0d && buf[start + 1] === 0x0a) return start + 2;
  const i = buf.indexOf(CRLF2, Math.max(start, from - 3));
  return i < 0 ? -1 : i + 4;
}

function decodeBlock(block: Buffer): CpimResult<string[]> {
  let text: string;
  try {
    text = UTF8.decode(block);
  } catch {
    return fail('bad-utf8', 'header block is not UTF-8');
  }
  // the block ends with CRLF CRLF (or is a lone CRLF): drop the empty line, split the rest
  if (text !== CRLF && !text.endsWith(`${CRLF}${CRLF}`)) return fail('no-blank-line', 'header block does not end with an empty line');
  const body = text === CRLF ? '' : text.slice(0, -4);
  return { ok: true, value: body === '' ? [] : body.split(CRLF) };
}

/** Parses one message header line (RFC 3862 3.6); undefined when it breaks the grammar. */
export function parseCpimHeaderLine(line: string): CpimHeader | undefined {
  const colon = line.indexOf(':');
  if (colon <= 0) return undefined;
  const name = line.slice(0, colon);
  if (!HEADER_NAME.test(name)) return undefined;
  let i = colon + 1;
  const params: CpimParam[] = [];
  // RFC 3862 3.3: Header = Header-name ":" *( ";" Parameter ) SP Header-value
  while (line[i] === ';') {
    const eq = line.indexOf('=', i + 1);
    if (eq < 0) return undefined;
    const pname = line.slice(i + 1, eq);
    if (!PARAM_NAME.test(pname)) return undefined;
    const end = line[eq + 1] === '"' ? quotedEnd(line, eq + 1) : tokenEnd(line, eq + 1);
    if (end <= eq + 1) return undefined;
    params.push({ name: pname, value: line.slice(eq + 1, end) });
    i = end;
  }
  // the SP is required; a writer that leaves it out is read all the same
  const value = line[i] === ' ' ? line.slice(i + 1) : line.slice(i);
  if (CTL.test(value)) return undefined;
  return { name, params, value };
}

/** End (exclusive) of the String that opens at `open`, or -1. */
function quotedEnd(s: string, open: number): number {
  for (let i = open + 1; i < s.length; i++) {
    const c = s[i];
    if (c === '"') return STRING.test(s.slice(open, i + 1)) ? i + 1 : -1;
    if (c === '\\') i++;
  }
  return -1;
}

function tokenEnd(s: string, from: number): number {
  let i = from;
  while (i < s.length && s[i] !== ' ' && s[i] !== ';') i++;
  return TOKEN.test(s.slice(from, i)) ? i : -1;
}

/** Parses a message header block, empty line included (RFC 3862 2.2, 3.6). */
export function parseCpimHeaders(block: Buffer, limits: CpimLimits = DEFAULT_CPIM_LIMITS): CpimResult<CpimHeader[]> {
  const lines = decodeBlock(block);
  if (!lines.ok) return lines;
  if (lines.value.length > limits.maxHeaders) return fail('too-many-headers', `more than ${limits.maxHeaders} message headers`);
  const headers: CpimHeader[] = [];
  for (const line of lines.value) {
    const h = parseCpimHeaderLine(line);
    if (h === undefined) return fail('bad-header', `bad CPIM header line: ${quote(line)}`);
    headers.push(h);
  }
  return { ok: true, value: headers };
}

/** Parses the MIME header block of the encapsulated object (RFC 3862 2.3; RFC 5322 2.2 folding). */
export function parseCpimMimeHeaders(block: Buffer, limits: CpimLimits = DEFAULT_CPIM_LIMITS): CpimResult<CpimMimeHeader[]> {
  const lines = decodeBlock(block);
  if (!lines.ok) return lines;
  if (lines.value.length > limits.maxHeaders) return fail('too-many-headers', `more than ${limits.maxHeaders} MIME headers`);
  const out: { name: string; value: string }[] = [];
  for (const line of lines.value) {
    if (line[0] === ' ' || line[0] === '\t') {
      // RFC 5322 2.2.3: a folded line continues the previous value
      const last = out[out.length - 1];
      if (last === undefined) return fail('bad-mime-header', 'MIME header block starts with a continuation line');
      last.value = `${last.value}${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon);
    if (!MIME_NAME.test(name)) return fail('bad-mime-header', `bad MIME header line: ${quote(line)}`);
    out.push({ name, value: line.slice(colon + 1) });
  }
  const headers: CpimMimeHeader[] = [];
  for (const h of out) {
    const value = h.value.replace(/^[ \t]+|[ \t]+$/g, '');
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return fail('bad-mime-header', `control character in ${quote(h.name)}`);
    headers.push({ name: h.name, value });
  }
  return { ok: true, value: headers };
}

/** Parses a whole message/cpim body (RFC 3862 2). The body is a view of `buf`. */
export function parseCpim(buf: Buffer, limits: CpimLimits = DEFAULT_CPIM_LIMITS): CpimResult<CpimMessage> {
  const end1 = cpimBlockEnd(buf);
  if (end1 < 0) return fail('no-blank-line', 'message headers do not end with an empty line');
  const headers = parseCpimHeaders(buf.subarray(0, end1), limits);
  if (!headers.ok) return headers;
  const end2 = cpimBlockEnd(buf, end1);
  if (end2 < 0) return fail('no-blank-line', 'MIME headers do not end with an empty line');
  const mimeHeaders = parseCpimMimeHeaders(buf.subarray(end1, end2), limits);
  if (!mimeHeaders.ok) return mimeHeaders;
  return { ok: true, value: { headers: headers.value, mimeHeaders: mimeHeaders.value, body: buf.subarray(end2) } };
}

function quote(s: string, max = 40): string {
  const cut = s.length > max ? `${s.slice(0, max)}...` : s;
  return cut.replace(/[\x00-\x1f\x7f]/g, '?');
}

// ---- encoding ---------------------------------------------------------------------------

/** One message header line without its CRLF; throws RangeError when it would not read back the same. */
export function formatCpimHeader(h: CpimHeader): string {
  if (!HEADER_NAME.test(h.name)) throw new RangeError(`bad CPIM header name: ${quote(h.name)}`);
  let text = `${h.name}:`;
  for (const p of h.params) {
    if (!PARAM_NAME.test(p.name)) throw new RangeError(`bad CPIM parameter name: ${quote(p.name)}`);
    if (!TOKEN.test(p.value) && !STRING.test(p.value)) throw new RangeError(`bad CPIM parameter value: ${quote(p.value)}`);
    text += `;${p.name}=${p.value}`;
  }
  if (CTL.test(h.value) || LONE_SURROGATE.test(h.value)) throw new RangeError(`${h.name} value holds control characters`);
  return `${text} ${h.value}`;
}

/** The message header block, empty line included (RFC 3862 2.2). */
export function encodeCpimHeaders(headers: readonly CpimHeader[]): Buffer {
  let text = '';
  for (const h of headers) text += `${formatCpimHeader(h)}${CRLF}`;
  return Buffer.from(`${text}${CRLF}`, 'utf8');
}

/** The MIME header block of the encapsulated object, empty line included (RFC 3862 2.3). */
export function encodeCpimMimeHeaders(headers: readonly CpimMimeHeader[]): Buffer {
  let text = '';
  for (const h of headers) {
    if (!MIME_NAME.test(h.name)) throw new RangeError(`bad MIME header name: ${quote(h.name)}`);
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(h.value) || /^[ \t]|[ \t]$/.test(h.value) || LONE_SURROGATE.test(h.value)) {
      throw new RangeError(`bad ${h.name} value`);
    }
    text += `${h.name}: ${h.value}${CRLF}`;
  }
  return Buffer.from(`${text}${CRLF}`, 'utf8');
}

/** Everything before the content: message headers, MIME headers, both empty lines. */
export function encodeCpimPrefix(headers: readonly CpimHeader[], mimeHeaders: readonly CpimMimeHeader[]): Buffer {
  return Buffer.concat([encodeCpimHeaders(headers), encodeCpimMimeHeaders(mimeHeaders)]);
}

export function encodeCpim(msg: CpimMessage): Buffer {
  return Buffer.concat([encodeCpimHeaders(msg.headers), encodeCpimMimeHeaders(msg.mimeHeaders), msg.body]);
}

// ---- typed header values ----------------------------------------------------------------

/** Values of the headers named exactly `name` (RFC 3862 3.1: names are case-sensitive). */
export function cpimHeaderValues(headers: readonly CpimHeader[], name: string): string[] {
  return headers.filter((h) => h.name === name).map((h) => h.value);
}

/** RFC 3862 4.1-4.3: [ Formal-name ] "<" URI ">", Formal-name = 1*( Token SP ) / String. */
export function parseCpimAddress(value: string): CpimAddress | undefined {
  if (!value.endsWith('>')) return undefined;
  const lt = value.lastIndexOf('<');
  if (lt < 0) return undefined;
  const uri = value.slice(lt + 1, -1);
  if (!URI.test(uri)) return undefined;
  const before = value.slice(0, lt);
  if (before === '') return { uri };
  if (before.startsWith('"')) {
    // a String; tolerate one blank before "<", as writers used to RFC 5322 put one
    const s = before.endsWith('" ') ? before.slice(0, -1) : before;
    if (!STRING.test(s)) return undefined;
    return { name: unescapeString(s.slice(1, -1)), uri };
  }
  if (!before.endsWith(' ')) return undefined;
  const words = before.slice(0, -1).split(' ');
  if (!words.every((w) => TOKEN.test(w))) return undefined;
  return { name: words.join(' '), uri };
}

function unescapeString(s: string): string {
  return s.replace(/\\(u[0-9A-Fa-f]{4}|[btnr"'\\])/g, (_all, e: string) => {
    switch (e[0]) {
      case 'u':
        return String.fromCharCode(parseInt(e.slice(1), 16));
      case 'b':
        return '\b';
      case 't':
        return '\t';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      default:
        return e;
    }
  });
}

/** Formats an address: Token words when the name allows, else a String with escapes. */
export function formatCpimAddress(a: CpimAddress): string {
  if (!URI.test(a.uri)) throw new RangeError(`not a CPIM URI: ${quote(a.uri)}`);
  const name = a.name;
  if (name === undefined) return `<${a.uri}>`;
  if (LONE_SURROGATE.test(name)) throw new RangeError('display name holds a lone surrogate');
  const words = name.split(' ');
  if (name !== '' && words.every((w) => TOKEN.test(w))) return `${name} <${a.uri}>`;
  // RFC 3862 3.2 escapes: quote and backslash, and controls as \u (no blank: String "<" per 3.6)
  const escaped = name.replace(/["\\\x00-\x1f\x7f]/g, (c) =>
    c === '"' || c === '\\' ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `"${escaped}"<${a.uri}>`;
}

/** True for an RFC 3339 date-time (RFC 3862 4.4). */
export function isCpimDateTime(value: string): boolean {
  return DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));
}

/** DateTime value for a moment (RFC 3862 4.4, RFC 3339 in UTC). */
export function formatCpimDateTime(at: Date): string {
  return at.toISOString();
}

/** True for a URI that may stand in From/To (RFC 3862 4.1). */
export function isCpimUri(uri: string): boolean {
  return URI.test(uri);
}
