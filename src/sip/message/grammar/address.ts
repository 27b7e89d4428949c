/**
 * Address headers (To, From, Contact, Route, Record-Route, ...):
 * ( name-addr / addr-spec ) *( SEMI param ), RFC 3261 20.10 and 25.1.
 */
import { COLON, COMMA, Cursor, DQUOTE, HTAB, LAQUOT, RAQUOT, SEMI, SP, STAR, quotedString } from './cursor';
import { checkParams, type ParamFamily } from './params';
import { checkUri } from './uri';

export interface AddressRules {
  /** Comma-separated list of addresses (Contact, Route, ...). */
  readonly list: boolean;
  /** name-addr only, the URI in angle brackets (Route, Record-Route, RFC 3261 25.1). */
  readonly nameAddrOnly: boolean;
  /** Contact: "*" allowed and q/expires parameters checked. */
  readonly contact: boolean;
}

const QMARK = 0x3f;

function isWs(c: number): boolean {
  return c === SP || c === HTAB;
}

/**
 * addr-spec outside angle brackets: it ends at SEMI, COMMA or LWS, and may
 * not contain "?" (RFC 3261 20.10: such URIs MUST be in angle brackets,
 * RFC 4475 3.1.2.13).
 */
function bareUri(c: Cursor): string | null {
  const s = c.s;
  const u0 = c.i;
  let i = u0;
  for (; i < c.end; i++) {
    const ch = s.charCodeAt(i);
    if (ch === SEMI || ch === COMMA || isWs(ch)) break;
    if (ch === QMARK) return 'URI with headers not enclosed in angle brackets';
  }
  const u = checkUri(s, u0, i);
  if (typeof u === 'string') return u;
  c.i = i;
  return null;
}

/** LAQUOT addr-spec RAQUOT, the cursor on "<". */
function bracketedUri(c: Cursor): string | null {
  const s = c.s;
  const u0 = c.i + 1;
  let gt = -1;
  for (let k = u0; k < c.end; k++) {
    if (s.charCodeAt(k) === RAQUOT) {
      gt = k;
      break;
    }
  }
  if (gt < 0) return 'unterminated angle brackets';
  if (gt === u0) return 'empty URI';
  // RFC 4475 3.1.2.14: no LWS inside the addr-spec, even next to the brackets.
  if (isWs(s.charCodeAt(u0)) || isWs(s.charCodeAt(gt - 1))) return 'whitespace inside angle brackets';
  const u = checkUri(s, u0, gt);
  if (typeof u === 'string') return u;
  c.i = gt + 1;
  return null;
}

function addressElement(c: Cursor, rules: AddressRules, family: ParamFamily): string | null {
  c.skipWs();
  const ch = c.peek();
  if (ch === -1) return 'empty address';
  if (ch === DQUOTE) {
    // display-name = quoted-string (RFC 4475 3.1.2.6: must be terminated)
    const q = quotedString(c);
    if (q) return q;
    c.skipWs();
    if (c.peek() !== LAQUOT) return 'display name without angle-bracketed URI';
  } else if (ch !== LAQUOT) {
    const t0 = c.i;
    if (!c.token()) return 'invalid display name';
    if (c.peek() === COLON) {
      // A token run ending at ":" is a URI scheme: addr-spec form.
      if (rules.nameAddrOnly) return 'URI not enclosed in angle brackets';
      c.i = t0;
      const r = bareUri(c);
      return r ?? checkParams(c, family);
    }
    // display-name = *(token LWS); RFC 4475 3.1.1.6 allows no LWS before "<",
    // 3.1.2.15 rejects non-token characters.
    for (;;) {
      c.skipWs();
      if (c.peek() === LAQUOT) break;
      if (!c.token()) return 'invalid display name';
    }
  }
  const r = bracketedUri(c);
  return r ?? checkParams(c, family);
}

/** Checks a whole address header value; returns a problem description or null. */
export function checkAddressHeader(value: string, rules: AddressRules): string | null {
  const c = new Cursor(value);
  if (rules.contact) {
    // Contact: STAR (RFC 3261 20.10), alone.
    c.skipWs();
    if (c.peek() === STAR) {
      const save = c.i;
      c.i++;
      if (c.finished()) return null;
      c.i = save;
    }
  }
  const family: ParamFamily = rules.contact ? 'contact' : rules.list ? 'plain' : 'address';
  for (;;) {
    const r = addressElement(c, rules, family);
    if (r) return r;
    c.skipWs();
    if (c.atEnd()) return null;
    if (!rules.list || c.peek() !== COMMA) return 'unexpected text after address';
    c.i++;
  }
}
