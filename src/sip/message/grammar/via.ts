/**
 * Via = via-parm *(COMMA via-parm); via-parm = sent-protocol LWS sent-by
 * *( SEMI via-params ) (RFC 3261 20.42, 25.1).
 */
import { DIGIT, HOST, spanClass } from './chars';
import { COLON, COMMA, Cursor, LBRACKET, RBRACKET, SLASH } from './cursor';
import { checkParams } from './params';
import { checkHost, checkPort } from './uri';

function sentBy(c: Cursor): string | null {
  const s = c.s;
  const h0 = c.i;
  let h1: number;
  if (c.peek() === LBRACKET) {
    h1 = -1;
    for (let k = h0; k < c.end; k++) {
      if (s.charCodeAt(k) === RBRACKET) {
        h1 = k + 1;
        break;
      }
    }
    if (h1 < 0) return 'invalid sent-by host';
  } else {
    h1 = spanClass(s, h0, c.end, HOST);
  }
  if (!checkHost(s, h0, h1)) return 'invalid sent-by host';
  c.i = h1;
  if (c.sep(COLON)) {
    const p0 = c.i;
    const p1 = spanClass(s, p0, c.end, DIGIT);
    if (!checkPort(s, p0, p1)) return 'invalid sent-by port';
    c.i = p1;
  }
  return null;
}

export function checkVia(value: string): string | null {
  const c = new Cursor(value);
  for (;;) {
    c.skipWs();
    // sent-protocol = protocol-name SLASH protocol-version SLASH transport
    if (!c.token() || !c.sep(SLASH) || !c.token() || !c.sep(SLASH) || !c.token()) return 'invalid sent-protocol';
    if (!c.skipWs()) return 'invalid sent-protocol';
    const r = sentBy(c) ?? checkParams(c, 'via');
    if (r) return r;
    c.skipWs();
    if (c.atEnd()) return null;
    if (c.peek() !== COMMA) return 'unexpected text in Via';
    c.i++;
  }
}
