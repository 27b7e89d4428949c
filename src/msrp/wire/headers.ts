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

const DIGITS = /^[0-9]{1,15}$/;
const BYTE_RANGE = /^([0-9]+)-([0-9]+|\*)\/([0-9]+|\*)$/;
const STATUS = /^([0-9]{3}) ([0-9]{3})(?: (.*))?$/;

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

export function formatByteRange(r: ByteRange): string {
  const text = `${r.start}-${r.end ?? '*'}/${r.total ?? '*'}`;
  if (parseByteRange(text) === undefined) throw new RangeError(`bad Byte-Range: ${text}`);
  return text;
}

/** Parses Status (RFC 4975 section 9): "000 200 OK". */
export function parseStatus(value: string): MsrpStatus | undefined {
  const m = STATUS.exec(value);
  if (m === null) return undefined;
  const reason = m[3] === undefined || m[3] === '' ? undefined : m[3];
  if (reason !== undefined && !isUtf8Text(reason)) return undefined;
  return { namespace: Number(m[1]), code: Number(m[2]), reason };
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
