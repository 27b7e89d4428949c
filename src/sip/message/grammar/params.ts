/**
 * Header parameters: *( SEMI generic-param ) with generic-param = token
 * [ EQUAL gen-value ], gen-value = token / host / quoted-string (RFC 3261
 * 25.1), plus the few parameters whose value has a tighter grammar.
 */
import { DIGIT, HEX, digitsValue, has, spanClass } from './chars';
import { Cursor, DQUOTE, EQUAL, LBRACKET, RBRACKET, SEMI, quotedString } from './cursor';
import { checkHost, ipv6Address } from './uri';

/** Which parameter family the header uses (decides the special parameters). */
export type ParamFamily = 'address' | 'contact' | 'via' | 'media' | 'plain';

const COLON = 0x3a;
const DOT = 0x2e;
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/** IPv4address / IPv6address / IPv6reference of a via-received value. */
function receivedAddress(s: string, from: number, end: number): boolean {
  if (s.charCodeAt(from) === LBRACKET) return s.charCodeAt(end - 1) === RBRACKET && ipv6Address(s, from + 1, end - 1);
  for (let i = from; i < end; i++) {
    const ch = s.charCodeAt(i);
    if (ch !== DOT && !has(ch, DIGIT)) return ipv6Address(s, from, end);
  }
  return checkHost(s, from, end);
}

/** Value span of a via-received: IPv4address / IPv6address (RFC 3261 18.2.1, 25.1). */
function spanAddress(s: string, from: number, end: number): number {
  let i = from;
  while (i < end) {
    const ch = s.charCodeAt(i);
    if (!has(ch, HEX) && ch !== COLON && ch !== DOT && ch !== LBRACKET && ch !== RBRACKET) break;
    i++;
  }
  return i;
}

type ValueKind = 'none' | 'token' | 'quoted' | 'host6';

function special(family: ParamFamily, name: string, s: string, v0: number, v1: number, kind: ValueKind): string | null {
  switch (name) {
    case 'tag': // tag-param = "tag" EQUAL token
      return family === 'address' && kind !== 'token' ? 'bad tag parameter' : null;
    case 'q': // c-p-q = "q" EQUAL qvalue
      return family === 'contact' && (kind !== 'token' || !QVALUE.test(s.slice(v0, v1))) ? 'bad q parameter' : null;
    case 'expires': // c-p-expires = "expires" EQUAL delta-seconds
      return family === 'contact' && (kind !== 'token' || spanClass(s, v0, v1, DIGIT) !== v1) ? 'bad expires parameter' : null;
    case 'branch':
      return family === 'via' && kind !== 'token' ? 'bad branch parameter' : null;
    case 'ttl': // via-ttl = "ttl" EQUAL 1*3DIGIT (0-255)
      if (family !== 'via') return null;
      return kind !== 'token' || v1 - v0 > 3 || spanClass(s, v0, v1, DIGIT) !== v1 || digitsValue(s, v0, v1) > 255
        ? 'bad ttl parameter'
        : null;
    case 'maddr': // via-maddr = "maddr" EQUAL host
      if (family !== 'via') return null;
      return (kind === 'token' && checkHost(s, v0, v1)) || kind === 'host6' ? null : 'bad maddr parameter';
    case 'rport': // RFC 3581 response-port = "rport" [ EQUAL 1*DIGIT ]
      if (family !== 'via' || kind === 'none') return null;
      return kind === 'token' && spanClass(s, v0, v1, DIGIT) === v1 && digitsValue(s, v0, v1) <= 65535
        ? null
        : 'bad rport parameter';
    default:
      return null;
  }
}

/**
 * Parses *( SEMI param ) from the cursor; stops before anything that is not
 * a SEMI (a COMMA, the end). Returns a problem description or null.
 */
export function checkParams(c: Cursor, family: ParamFamily): string | null {
  const s = c.s;
  while (c.sep(SEMI)) {
    const n0 = c.i;
    if (!c.token()) return 'empty parameter';
    const n1 = c.i;
    // Only short names can be special; avoid slicing long unknown names.
    const name = n1 - n0 <= 8 ? s.slice(n0, n1).toLowerCase() : '';
    let kind: ValueKind = 'none';
    let v0 = c.i;
    if (c.sep(EQUAL)) {
      v0 = c.i;
      const ch = c.peek();
      if (family === 'via' && name === 'received') {
        c.i = spanAddress(s, v0, c.end);
        if (c.i === v0 || !receivedAddress(s, v0, c.i)) return 'bad received parameter';
        continue;
      }
      if (ch === DQUOTE) {
        const q = quotedString(c);
        if (q) return q;
        kind = 'quoted';
      } else if (ch === LBRACKET) {
        let close = -1;
        for (let k = v0; k < c.end; k++) {
          if (s.charCodeAt(k) === RBRACKET) {
            close = k;
            break;
          }
        }
        if (close < 0 || !ipv6Address(s, v0 + 1, close)) return 'bad parameter value';
        c.i = close + 1;
        kind = 'host6';
      } else {
        if (!c.token()) return 'empty parameter value';
        kind = 'token';
      }
    }
    // m-parameter = m-attribute EQUAL m-value (RFC 3261 25.1)
    if (family === 'media' && kind === 'none') return 'parameter without value';
    if (name !== '') {
      const r = special(family, name, s, v0, c.i, kind);
      if (r) return r;
    }
  }
  return null;
}
