/**
 * A forward-only cursor over one unfolded header value. Folding was removed
 * by the caller (CRLF dropped, the following SP/HTAB kept), so LWS and SWS of
 * RFC 3261 25.1 are plain runs of SP/HTAB here.
 */
import { TOKEN, spanClass, utf8Length } from './chars';

export const SP = 0x20;
export const HTAB = 0x09;
export const DQUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const SEMI = 0x3b;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const SLASH = 0x2f;
export const EQUAL = 0x3d;
export const LAQUOT = 0x3c;
export const RAQUOT = 0x3e;
export const LBRACKET = 0x5b;
export const RBRACKET = 0x5d;
export const STAR = 0x2a;

export class Cursor {
  i: number;
  readonly end: number;

  constructor(
    readonly s: string,
    start = 0,
  ) {
    this.i = start;
    this.end = s.length;
  }

  atEnd(): boolean {
    return this.i >= this.end;
  }

  peek(): number {
    return this.i < this.end ? this.s.charCodeAt(this.i) : -1;
  }

  /** Skips SP/HTAB; true when at least one was skipped. */
  skipWs(): boolean {
    const start = this.i;
    while (this.i < this.end) {
      const c = this.s.charCodeAt(this.i);
      if (c !== SP && c !== HTAB) break;
      this.i++;
    }
    return this.i > start;
  }

  /** SWS ch SWS (SEMI, COMMA, SLASH, EQUAL, COLON of RFC 3261 25.1); restores on failure. */
  sep(ch: number): boolean {
    const save = this.i;
    this.skipWs();
    if (this.peek() !== ch) {
      this.i = save;
      return false;
    }
    this.i++;
    this.skipWs();
    return true;
  }

  /** Reads 1*token; false (cursor unmoved) when none. */
  token(): boolean {
    const stop = spanClass(this.s, this.i, this.end, TOKEN);
    if (stop === this.i) return false;
    this.i = stop;
    return true;
  }

  /** Trailing SWS then the end of the value. */
  finished(): boolean {
    this.skipWs();
    return this.atEnd();
  }
}

/**
 * quoted-string = DQUOTE *(qdtext / quoted-pair) DQUOTE (RFC 3261 25.1), the
 * cursor on the opening DQUOTE. qdtext allows UTF-8; a raw control char is
 * only legal as a quoted-pair (RFC 4475 3.1.1.2 escapes NUL, BEL and DEL).
 */
export function quotedString(c: Cursor): string | null {
  const s = c.s;
  let i = c.i + 1;
  while (i < c.end) {
    const ch = s.charCodeAt(i);
    if (ch === DQUOTE) {
      c.i = i + 1;
      return null;
    }
    if (ch === BACKSLASH) {
      if (i + 1 >= c.end) break;
      const q = s.charCodeAt(i + 1);
      if (q > 0x7f || q === 0x0a || q === 0x0d) return 'bad quoted-pair';
      i += 2;
    } else if ((ch >= 0x20 && ch < 0x7f) || ch === HTAB) {
      i++;
    } else if (ch >= 0x80) {
      const n = utf8Length(s, i, c.end);
      if (n === 0) return 'invalid UTF-8 in quoted string';
      i += n;
    } else {
      return ch === 0 ? 'NUL byte' : 'control character in quoted string';
    }
  }
  return 'unterminated quoted string';
}
