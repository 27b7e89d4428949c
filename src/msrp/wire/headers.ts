import { isIdent, isToken, isUtf8Text } from './grammar';

/** Byte-Range: range-start "-" range-end "/" total; null stands for "*" (RFC 4975 section 9). */
export interface ByteRange {
  readonly start: number;
  readonly end: number | null;
  readonly total: number | null;
}

/** Status: namespace SP status-code [SP text-reason] (RFC 4975 section 9). */
export interface MsrpStatus {
  /** "000" for the codes of RFC 4975. */
  readonly namespace: number;
  readonly code: number;
  readonly reason: string | undefined;
}

export type SuccessReport = 'yes' | 'no';
export type FailureReport = 'yes' | 'no' | 'partial';

export interface ContentTypeParam {
  readonly name: string;
  /** Unquoted and unescaped. */
  readonly value: string | undefined;
}

/** media-type = type "/" subtype *( ";" gen-param ) (RFC 4975 section 9). */
export interface ContentType {
  /** Lower-cased; tokens compare case-insensitively. */
  readonly type: string;
  readonly subtype: string;
  readonly params: readonly ContentTypeParam[];
}

/**
 * Body bytes a chunk at `range` may still carry before its message passes `max` bytes, or -1
 * when its Byte-Range already says the message is larger (a total or range-end above max, or
 * a start beyond it). A relay that answers 413 for that (RFC 4975 7.1, 10.4) needs no
 * reassembly: the message's bytes are counted where they are, in the chunk's range.
 */
export function roomInMessage(range: ByteRange | undefined, max: number): number {
  if (range === undefined) return max;
  if ((range.total !== null && range.total > max) || (range.end !== null && range.end > max) || range.start - 1 >= max) return -1;
  return max - (range.start - 1);
}

const DIGITS = /^[0-9]{1,15}$/;
/** The largest range-start / range-end / total this codec reads and writes (15 digits). */
export const MAX_BYTE_COUNT = 999_999_999_999_999;
const BYTE_RANGE = /^([0-9]+)-([0-9]+|\*)\/([0-9]+|\*)$/;
// "s": text-reason is utf8text, which includes U+2028/U+2029; "." alone stops at them
const STATUS = /^([0-9]{3}) ([0-9]{3})(?: (.*))?$/s;

function count(s: string): number | undefined {
  return DIGITS.test(s) ? Number(s) : undefined;
}

/** Parses Byte-Range (RFC 4975 sections 7.1.1 and 9); start >= 1, end >= start - 1, end <= total. */
export function parseByteRange(value: string): ByteRange | undefined {
  const m = BYTE_RANGE.exec(value);
  if (m === null) return undefined;
  const start = count(m[1]);
  const end = m[2] === '*' ? null : count(m[2]);
  const total = m[3] === '*' ? null : count(m[3]);
  if (start === undefined || end === undefined || total === undefined || start < 1) return undefined;
  // end = start - 1 describes an empty chunk, e.g. "1-0/0" for an empty message
  if (end !== null && end < start - 1) return undefined;
  if (end !== null && total !== null && end > total) return undefined;
  return { start, end, total };
}

/** True when r formats to a Byte-Range that parseByteRange reads back as r. */
export function isByteRange(r: ByteRange): boolean {
  const { start, end, total } = r;
  if (!isCount(start) || start < 1) return false;
  if (end !== null && (!isCount(end) || end < start - 1)) return false;
  if (total !== null && !isCount(total)) return false;
  return end === null || total === null || end <= total;
}

function isCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= MAX_BYTE_COUNT;
}

export function formatByteRange(r: ByteRange): string {
  const text = `${r.start}-${r.end ?? '*'}/${r.total ?? '*'}`;
  if (!isByteRange(r)) throw new RangeError(`bad Byte-Range: ${text}`);
  return text;
}

/**
 * Byte-Range of a REPORT about one chunk that carried `bytes` body bytes under `range` (RFC
 * 4975 7.1.2: the bytes the report covers; a "*" end is filled in from the bytes seen). A
 * peer can write a range that no longer formats once its end is filled in (a "*" end over a
 * total of 0 with a 5-byte body, a start near the 15-digit limit): that one is reported as the
 * sender wrote it.
 * Never throws; the result always formats.
 */
export function chunkReportRange(range: ByteRange | undefined, bytes: number): ByteRange {
  const start = range?.start ?? 1;
  const filled: ByteRange = { start, end: range?.end ?? start + bytes - 1, total: range?.total ?? null };
  if (isByteRange(filled)) return filled;
  if (range !== undefined && isByteRange(range)) return range;
  return { start: 1, end: Math.min(Math.max(bytes, 0), MAX_BYTE_COUNT), total: null };
}

/** Parses Status (RFC 4975 section 9): "000 200 OK". */
export function parseStatus(value: string): MsrpStatus | undefined {
  const m = STATUS.exec(value);
  if (m === null) return undefined;
  const reason = m[3] === undefined || m[3] === '' ? undefined : m[3];
  if (reason !== undefined && !isUtf8Text(reason)) return undefined;
  return { namespace: Number(m[1]), code: Number(m[2]), reason };
}

/**
 * A response comment (or any peer text) as a Status text-reason (RFC 4975 section 9): blanks
 * around it dropped (a header value carries none), undefined when nothing usable is left.
 */
export function toStatusReason(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const t = text.replace(/^[ \t]+|[ \t]+$/g, '');
  return t !== '' && isUtf8Text(t) ? t : undefined;
}

export function formatStatus(s: MsrpStatus): string {
  const ns = String(s.namespace).padStart(3, '0');
  const code = String(s.code).padStart(3, '0');
  const text = s.reason === undefined ? `${ns} ${code}` : `${ns} ${code} ${s.reason}`;
  if (parseStatus(text) === undefined) throw new RangeError(`bad Status: ${text}`);
  return text;
}

/** Success-Report: "yes" / "no" (RFC 4975 section 9; ABNF literals are case-insensitive). */
export function parseSuccessReport(value: string): SuccessReport | undefined {
  const v = value.toLowerCase();
  return v === 'yes' || v === 'no' ? v : undefined;
}

/** Failure-Report: "yes" / "no" / "partial" (RFC 4975 section 9). */
export function parseFailureReport(value: string): FailureReport | undefined {
  const v = value.toLowerCase();
  return v === 'yes' || v === 'no' || v === 'partial' ? v : undefined;
}

/** Message-ID: ident (RFC 4975 section 9). */
export function parseMessageId(value: string): string | undefined {
  return isIdent(value) ? value : undefined;
}

/** Parses Content-Type (RFC 4975 section 9, media-type with token / quoted-string params). */
export function parseContentType(value: string): ContentType | undefined {
  const slash = value.indexOf('/');
  if (slash <= 0) return undefined;
  const type = value.slice(0, slash);
  let i = slash + 1;
  let j = i;
  while (j < value.length && value[j] !== ';' && value[j] !== ' ' && value[j] !== '\t') j++;
  const subtype = value.slice(i, j);
  if (!isToken(type) || !isToken(subtype)) return undefined;
  i = j;
  const params: ContentTypeParam[] = [];
  for (;;) {
    i = skipBlanks(value, i);
    if (i >= value.length) break;
    if (value[i] !== ';') return undefined;
    i = skipBlanks(value, i + 1);
    j = i;
    while (j < value.length && value[j] !== '=' && value[j] !== ';' && value[j] !== ' ' && value[j] !== '\t') j++;
    const name = value.slice(i, j);
    if (!isToken(name)) return undefined;
    i = j;
    if (value[i] !== '=') {
      params.push({ name, value: undefined });
      continue;
    }
    i++;
    if (value[i] === '"') {
      const q = readQuoted(value, i);
      if (q === undefined) return undefined;
      params.push({ name, value: q.text });
      i = q.next;
    } else {
      j = i;
      while (j < value.length && value[j] !== ';' && value[j] !== ' ' && value[j] !== '\t') j++;
      const v = value.slice(i, j);
      if (!isToken(v)) return undefined;
      params.push({ name, value: v });
      i = j;
    }
  }
  return { type: type.toLowerCase(), subtype: subtype.toLowerCase(), params };
}

function skipBlanks(s: string, from: number): number {
  let i = from;
  while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  return i;
}

/** quoted-string with qd-esc = "\\" "\\" / "\\" DQUOTE (section 9). */
function readQuoted(s: string, open: number): { text: string; next: number } | undefined {
  let text = '';
  for (let i = open + 1; i < s.length; i++) {
    const c = s[i];
    if (c === '"') return { text, next: i + 1 };
    if (c === '\\') {
      const n = s[i + 1];
      if (n !== '\\' && n !== '"') return undefined;
      text += n;
      i++;
    } else {
      text += c;
    }
  }
  return undefined;
}

export function formatContentType(ct: ContentType): string {
  if (!isToken(ct.type) || !isToken(ct.subtype)) throw new RangeError(`bad media type ${ct.type}/${ct.subtype}`);
  let text = `${ct.type}/${ct.subtype}`;
  for (const p of ct.params) {
    if (!isToken(p.name)) throw new RangeError(`bad media type parameter name ${p.name}`);
    if (p.value === undefined) text += `;${p.name}`;
    else if (isToken(p.value)) text += `;${p.name}=${p.value}`;
    else {
      if (!isUtf8Text(p.value)) throw new RangeError('media type parameter holds control characters');
      text += `;${p.name}="${p.value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    }
  }
  return text;
}
