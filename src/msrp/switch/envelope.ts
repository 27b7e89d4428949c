/**
 * The CPIM envelope the switch puts around every message (RFC 3862; OMA IM 7.2: the focus
 * asserts who sent what). Pure functions: the switch calls them once per message, never per
 * receiver.
 */
import {
  CPIM_ANONYMOUS_URI,
  encodeCpimPrefix,
  formatCpimAddress,
  isCpimDateTime,
  parseCpimAddress,
  type CpimAddress,
  type CpimHeader,
  type CpimMimeHeader,
  type MsrpRequestHead,
} from '../wire';

/** Who a participant is in the CPIM From of its messages: its identity, or anonymous. */
export type SwitchIdentity = CpimAddress | 'anonymous';

/** RFC 3323 4.1.1.3 / OMA IM 7.2.1.5 (Privacy: id): an anonymous participant's From. */
export const ANONYMOUS_FROM: CpimAddress = Object.freeze({ name: 'Anonymous', uri: CPIM_ANONYMOUS_URI });

/** The From the focus asserts; throws RangeError for an identity that cannot be written. */
export function assertedFrom(identity: SwitchIdentity): CpimAddress {
  if (identity === 'anonymous') return ANONYMOUS_FROM;
  formatCpimAddress(identity);
  return identity;
}

/** The conference as named in CPIM To, and the other URIs a sender may use for it. */
export interface ConferenceAddress {
  readonly address: CpimAddress;
  readonly aliases: readonly string[];
}

/**
 * Loose SIP URI comparison for "is this the conference": scheme (sip and sips alike), user
 * part as written, host case-insensitively; URI parameters and headers ignored.
 */
function uriKey(uri: string): string {
  const colon = uri.indexOf(':');
  const scheme = uri.slice(0, colon).toLowerCase();
  let rest = uri.slice(colon + 1);
  const cut = rest.search(/[;?]/);
  if (cut >= 0) rest = rest.slice(0, cut);
  const at = rest.lastIndexOf('@');
  const user = at < 0 ? '' : rest.slice(0, at + 1);
  return `${scheme === 'sips' ? 'sip' : scheme}:${user}${rest.slice(at + 1).toLowerCase()}`;
}

export function namesConference(uri: string, conference: ConferenceAddress): boolean {
  const key = uriKey(uri);
  return key === uriKey(conference.address.uri) || conference.aliases.some((a) => uriKey(a) === key);
}

/** MIME headers of the encapsulated object: the SEND's Content-* headers, in wire order (RFC 3862 2.3). */
export function mimeHeadersOf(head: MsrpRequestHead): CpimMimeHeader[] {
  const out: CpimMimeHeader[] = [];
  for (const h of head.headers) if (/^content-/i.test(h.name)) out.push({ name: h.name, value: h.value });
  return out;
}

/**
 * Everything a receiver gets before the sender's body when the sender sent a plain body
 * (RFC 3862 2): From (asserted), To (the conference), DateTime, then the body's MIME headers.
 */
export function wrapPrefix(from: CpimAddress, conference: ConferenceAddress, dateTime: string, mime: readonly CpimMimeHeader[]): Buffer {
  return encodeCpimPrefix(
    [
      { name: 'From', params: [], value: formatCpimAddress(from) },
      { name: 'To', params: [], value: formatCpimAddress(conference.address) },
      { name: 'DateTime', params: [], value: dateTime },
    ],
    mime,
  );
}

export type Rewrite =
  | { readonly ok: true; readonly headers: CpimHeader[] }
  | { readonly ok: false; readonly status: 400 | 428; readonly reason: string };

/**
 * The message headers a receiver gets when the sender sent message/cpim itself.
 *
 * Policy (OMA IM 7.2 and RFC 3862 4.1, as a focus applies them): the From of a message in a
 * group session is what the focus asserts, never what the client wrote, so every From header
 * (in any letter case, so that a lenient reader cannot be fooled) is dropped and one From with
 * the asserted identity, or the anonymous URI, goes first. To and cc must name this conference:
 * OMA IM group sessions have no private messages, and forwarding one to everybody would leak
 * it, so a message addressed elsewhere is refused with 428 (RFC 7701 6.2: private messages not
 * supported). The sender's To/cc are replaced by one To naming the conference. A valid sender
 * DateTime is kept (RFC 3862 4.4: when the originator sent it), else the focus's is written.
 * Every other header (Subject, NS, Require, extensions) passes unchanged, in order.
 */
export function rewriteHeaders(sent: readonly CpimHeader[], from: CpimAddress, conference: ConferenceAddress, now: string): Rewrite {
  let dateTime: string | undefined;
  const kept: CpimHeader[] = [];
  for (const h of sent) {
    const name = h.name.toLowerCase();
    if (name === 'from') continue;
    if (name === 'to' || name === 'cc') {
      const a = parseCpimAddress(h.value);
      if (a === undefined) return { ok: false, status: 400, reason: `malformed CPIM ${h.name} header` };
      if (!namesConference(a.uri, conference)) return { ok: false, status: 428, reason: 'Private messages not supported' };
      continue;
    }
    if (name === 'datetime') {
      if (dateTime === undefined && h.name === 'DateTime' && isCpimDateTime(h.value)) dateTime = h.value;
      continue;
    }
    kept.push(h);
  }
  return {
    ok: true,
    headers: [
      { name: 'From', params: [], value: formatCpimAddress(from) },
      { name: 'To', params: [], value: formatCpimAddress(conference.address) },
      { name: 'DateTime', params: [], value: dateTime ?? now },
      ...kept,
    ],
  };
}
