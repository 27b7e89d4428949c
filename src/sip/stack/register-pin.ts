// Attack finding (F3): a registered client that went quiet on its TCP/TLS connection had that
// connection evicted as quiet at the cap, and requests to it then failed. The stack sees the
// registrar's 2xx to a REGISTER go back over the connection; from it, how long the binding made
// over that connection lives. Pure: no I/O.
import type { SipRequest, SipResponse } from '../message/types';

/**
 * Seconds the bindings this REGISTER made stay registered, according to its 2xx (RFC 3261
 * 10.3 step 8 lists every current binding with its expires): the longest among the contacts
 * the request itself named; 0 when none of them is listed (a removal, or a refused contact).
 */
export function registeredForS(rq: SipRequest, rs: SipResponse): number {
  const asked = rq.headers.contact;
  const listed = rs.headers.contact;
  if (!Array.isArray(asked) || !Array.isArray(listed)) return 0;
  const mine = new Set(asked.map((c) => c.uri));
  let best = 0;
  for (const c of listed) {
    if (!mine.has(c.uri)) continue;
    const s = Number(c.params.expires);
    if (Number.isFinite(s) && s > best) best = s;
  }
  return best;
}
