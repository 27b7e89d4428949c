/**
 * Character classes of the SIP grammar (RFC 3261 section 25.1) as one lookup
 * table over byte values, plus UTF-8 and TEXT checks. The head is a latin1
 * ("binary") string, so every char code is one wire byte.
 */

export const TOKEN = 1; // token
export const UNRESERVED = 2; // alphanum / mark
export const USER = 4; // user = unreserved / user-unreserved (escaped handled apart)
export const PASSWORD = 8; // password chars
export const PARAM = 16; // paramchar = param-unreserved / unreserved
export const HNV = 32; // hname/hvalue chars = hnv-unreserved / unreserved
export const WORD = 64; // word (Call-ID)
export const URIC = 128; // uric = reserved / unreserved
export const SCHEME = 256; // ALPHA / DIGIT / "+" / "-" / "."
export const HOST = 512; // alphanum / "-" / "."
export const DIGIT = 1024;
export const ALPHA = 2048;
export const HEX = 4096;

function buildTable(): Uint16Array {
  const t = new Uint16Array(256);
  const add = (chars: string, cls: number): void => {
    for (let k = 0; k < chars.length; k++) t[chars.charCodeAt(k)] |= cls;
  };
  const lower = 'abcdefghijklmnopqrstuvwxyz';
  const alpha = lower + lower.toUpperCase();
  const digits = '0123456789';
  const alnum = alpha + digits;
  const mark = "-_.!~*'()";
  const reserved = ';/?:@&=+$,';
  add(alpha, ALPHA);
  add(digits, DIGIT);
  add(digits + 'abcdefABCDEF', HEX);
  add(alnum + "-.!%*_+`'~", TOKEN);
  add(alnum + mark, UNRESERVED | USER | PASSWORD | PARAM | HNV | URIC);
  add('&=+$,;?/', USER);
  add('&=+$,', PASSWORD);
  add('[]/:&+$', PARAM);
  add('[]/?:+$', HNV);
  add(reserved, URIC);
  // Interop beyond RFC 3261's word: many UAs put base64 (with '=') in Call-ID, as Kamailio accepts.
  add(alnum + "-.!%*_+`'~()<>:\\\"/[]?{}=", WORD);
  add(alnum + '+-.', SCHEME);
  // Interop: '_' appears in real DNS names (SRV-style labels, Windows hosts); refusing it loses clients.
  add(alnum + '-._', HOST);
  return t;
}

/** Built once, never written after construction. */
const TABLE = buildTable();

export function has(code: number, cls: number): boolean {
  return code < 256 && (TABLE[code] & cls) !== 0;
}

/** Index of the first char in [from, end) that is not of class cls. */
export function spanClass(s: string, from: number, end: number, cls: number): number {
  let i = from;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c >= 256 || (TABLE[c] & cls) === 0) break;
    i++;
  }
  return i;
}

/**
 * Span of chars of class cls or escaped octets ("%" HEXDIG HEXDIG, RFC 3261
 * 25.1). Returns the stop index; a malformed escape stops the span at the "%".
 */
export function spanEscaped(s: string, from: number, end: number, cls: number): number {
  let i = from;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      if (i + 2 < end && has(s.charCodeAt(i + 1), HEX) && has(s.charCodeAt(i + 2), HEX)) {
        i += 3;
        continue;
      }
      break;
    }
    if (c >= 256 || (TABLE[c] & cls) === 0) break;
    i++;
  }
  return i;
}

export function isTokenRange(s: string, from: number, end: number): boolean {
  return end > from && spanClass(s, from, end, TOKEN) === end;
}

/**
 * Length of the well-formed UTF-8 sequence (RFC 3629) starting at i, or 0.
 * Only called on bytes >= 0x80.
 */
export function utf8Length(s: string, i: number, end: number): number {
  const b0 = s.charCodeAt(i);
  let n: number;
  if (b0 >= 0xc2 && b0 <= 0xdf) n = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) n = 3;
  else if (b0 >= 0xf0 && b0 <= 0xf4) n = 4;
  else return 0;
  if (i + n > end) return 0;
  for (let k = 1; k < n; k++) {
    const c = s.charCodeAt(i + k);
    if (c < 0x80 || c > 0xbf) return 0;
  }
  const b1 = s.charCodeAt(i + 1);
  // Overlong forms, UTF-16 surrogates and code points above U+10FFFF.
  if (b0 === 0xe0 && b1 < 0xa0) return 0;
  if (b0 === 0xed && b1 > 0x9f) return 0;
  if (b0 === 0xf0 && b1 < 0x90) return 0;
  if (b0 === 0xf4 && b1 > 0x8f) return 0;
  return n;
}

/**
 * RFC 3261 25.1 TEXT-UTF8 with LWS: printable ASCII, SP, HTAB and well-formed
 * UTF-8. Returns a short problem description or null.
 */
export function checkText(s: string, from: number, end: number): string | null {
  let i = from;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) {
      i++;
    } else if (c === 0x09) {
      i++;
    } else if (c >= 0x80) {
      const n = utf8Length(s, i, end);
      if (n === 0) return 'invalid UTF-8';
      i += n;
    } else {
      return c === 0 ? 'NUL byte' : 'control character';
    }
  }
  return null;
}

/**
 * Value of the decimal digit run [from, end), leading zeros ignored;
 * Infinity when it has more than 15 significant digits (beyond any limit we
 * compare against, and exact in a double below that).
 */
export function digitsValue(s: string, from: number, end: number): number {
  let i = from;
  while (i < end - 1 && s.charCodeAt(i) === 0x30) i++;
  if (end - i > 15) return Infinity;
  let v = 0;
  for (; i < end; i++) v = v * 10 + (s.charCodeAt(i) - 0x30);
  return v;
}
