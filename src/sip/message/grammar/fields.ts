/**
 * The non-address header fields the validator checks (RFC 3261 section 20,
 * grammar of section 25.1). Each returns a problem description or null.
 */
import { DIGIT, WORD, digitsValue, isTokenRange, spanClass } from './chars';
import { COMMA, Cursor, DQUOTE, SLASH, SP, quotedString } from './cursor';
import { checkParams } from './params';
import { checkHostPort } from './uri';

const AT = 0x40;

/** [from, to) of the value without leading/trailing SP/HTAB. */
function trimmed(value: string): [number, number] {
  let a = 0;
  let b = value.length;
  while (a < b && (value.charCodeAt(a) === 0x20 || value.charCodeAt(a) === 0x09)) a++;
  while (b > a && (value.charCodeAt(b - 1) === 0x20 || value.charCodeAt(b - 1) === 0x09)) b--;
  return [a, b];
}

/**
 * 1*DIGIT, nothing else (no sign, no spaces inside). Returns the value
 * (Infinity when overlarge) or -1 when it is not a digit string.
 */
export function digitsField(value: string): number {
  const [a, b] = trimmed(value);
  if (a === b || spanClass(value, a, b, DIGIT) !== b) return -1;
  return digitsValue(value, a, b);
}

export interface CSeqValue {
  readonly seq: number;
  readonly method: string;
}

/** CSeq = 1*DIGIT LWS Method; the number is below 2**31 (RFC 3261 8.1.1.5, RFC 4475 3.1.2.4). */
export function checkCSeq(value: string): CSeqValue | string {
  const c = new Cursor(value);
  c.skipWs();
  const d0 = c.i;
  const d1 = spanClass(value, d0, c.end, DIGIT);
  if (d1 === d0) return 'sequence number missing';
  c.i = d1;
  const seq = digitsValue(value, d0, d1);
  if (seq > 0x7fffffff) return 'sequence number too large';
  if (!c.skipWs()) return 'method missing';
  const m0 = c.i;
  if (!c.token()) return 'method missing';
  const m1 = c.i;
  if (!c.finished()) return 'unexpected text after method';
  return { seq, method: value.slice(m0, m1) };
}

/** Call-ID = word [ "@" word ] (RFC 3261 25.1). */
export function checkCallId(value: string): string | null {
  const [a, b] = trimmed(value);
  let i = spanClass(value, a, b, WORD);
  if (i === a) return 'empty';
  if (i < b && value.charCodeAt(i) === AT) {
    const j = spanClass(value, i + 1, b, WORD);
    if (j === i + 1) return 'empty word after @';
    i = j;
  }
  return i === b ? null : 'invalid character';
}

const RFC1123_DATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Date = SIP-date = rfc1123-date, always GMT (RFC 3261 20.17, RFC 4475 3.1.2.12). */
export function checkDate(value: string): string | null {
  const [a, b] = trimmed(value);
  if (b - a !== 29) return 'not an RFC 1123 GMT date';
  return RFC1123_DATE.test(value.slice(a, b)) ? null : 'not an RFC 1123 GMT date';
}

function mediaRange(c: Cursor, family: 'media' | 'plain'): string | null {
  c.skipWs();
  if (!c.token() || !c.sep(SLASH) || !c.token()) return 'invalid media type';
  return checkParams(c, family);
}

/** Content-Type = media-type (RFC 3261 20.15). */
export function checkContentType(value: string): string | null {
  const c = new Cursor(value);
  const r = mediaRange(c, 'media');
  if (r) return r;
  return c.finished() ? null : 'unexpected text after media type';
}

/** Accept = [ accept-range *(COMMA accept-range) ] (RFC 3261 20.1). */
export function checkAccept(value: string): string | null {
  const c = new Cursor(value);
  if (c.finished()) return null;
  c.i = 0;
  for (;;) {
    const r = mediaRange(c, 'plain');
    if (r) return r;
    c.skipWs();
    if (c.atEnd()) return null;
    if (c.peek() !== COMMA) return 'unexpected text in media range';
    c.i++;
  }
}

/** token *(COMMA token), optionally empty (Require, Supported, Allow, ...). */
export function checkTokenList(value: string, mayBeEmpty: boolean): string | null {
  const c = new Cursor(value);
  if (c.finished()) return mayBeEmpty ? null : 'empty';
  c.i = 0;
  for (;;) {
    c.skipWs();
    if (!c.token()) return 'invalid token';
    c.skipWs();
    if (c.atEnd()) return null;
    if (c.peek() !== COMMA) return 'invalid token';
    c.i++;
  }
}

/** token *( SEMI generic-param ) (Event, Subscription-State). */
export function checkTokenWithParams(value: string): string | null {
  const c = new Cursor(value);
  c.skipWs();
  if (!c.token()) return 'invalid token';
  const r = checkParams(c, 'plain');
  if (r) return r;
  return c.finished() ? null : 'unexpected text';
}

/**
 * Warning = warning-value *(COMMA warning-value); warning-value = warn-code
 * SP warn-agent SP warn-text, warn-code = 3DIGIT (RFC 3261 20.43).
 */
export function checkWarning(value: string): string | null {
  const c = new Cursor(value);
  const s = value;
  for (;;) {
    c.skipWs();
    const d0 = c.i;
    const d1 = spanClass(s, d0, c.end, DIGIT);
    if (d1 - d0 !== 3 || s.charCodeAt(d1) !== SP) return 'invalid warn-code';
    const a0 = d1 + 1;
    let a1 = a0;
    while (a1 < c.end && s.charCodeAt(a1) !== SP) a1++;
    if (a1 === a0 || !(isTokenRange(s, a0, a1) || checkHostPort(s, a0, a1))) return 'invalid warn-agent';
    if (a1 + 1 >= c.end || s.charCodeAt(a1 + 1) !== DQUOTE) return 'invalid warn-text';
    c.i = a1 + 1;
    const q = quotedString(c);
    if (q) return q;
    c.skipWs();
    if (c.atEnd()) return null;
    if (c.peek() !== COMMA) return 'unexpected text';
    c.i++;
  }
}
