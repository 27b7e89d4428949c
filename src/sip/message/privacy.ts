// Privacy service (RFC 3323, RFC 3325 9.3; OMA IM 7.1.1.12 step 3): a request that asks for
// privacy leaves this server with nothing that names its sender. Pure: headers in, headers out.
import type { NameAddr, SipHeaders } from './types';

/** RFC 3323 4.1.1: the From of an anonymous request. */
export const ANONYMOUS_DISPLAY_NAME = '"Anonymous"';
export const ANONYMOUS_URI = 'sip:anonymous@anonymous.invalid';

/**
 * Headers that can name or locate the sender (RFC 3323 5.1 and 5.3, RFC 3325 9.3): removed from
 * an anonymised request. From, Call-ID and Via are replaced, not removed (they are mandatory).
 */
export const IDENTIFYING_HEADERS: readonly string[] = [
  'contact',
  'p-asserted-identity',
  'p-preferred-identity',
  'remote-party-id',
  'reply-to',
  'in-reply-to',
  'organization',
  'call-info',
  'record-route',
  'route',
  'user-agent',
  'subject',
  'server',
  'warning',
  'authorization',
  'proxy-authorization',
];

/** The priv-values of a Privacy header (RFC 3323 4.2), lower-cased; [] when there is none. */
export function privacyValues(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(/[;,]/)
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v.length > 0);
}

/**
 * True when the sender asked this server to hide its identity: 'id' (RFC 3325 9.3), 'header'
 * (RFC 3323 4.2) or 'user' (RFC 3323 4.2; the service may do it for the user agent). 'none'
 * switches privacy off whatever else is listed.
 */
export function wantsAnonymity(privacy: string | undefined): boolean {
  // fail closed: a 'none' beside a request for privacy (contradictory, RFC 3323 4.2) does not
  // switch it off; anonymity is lost only when nothing asks for it (attack finding)
  const values = privacyValues(privacy);
  return values.includes('id') || values.includes('header') || values.includes('user');
}

/** RFC 3323 4.1.1: `"Anonymous" <sip:anonymous@anonymous.invalid>` with the tag we chose. */
export function anonymousFrom(tag: string): NameAddr {
  return { name: ANONYMOUS_DISPLAY_NAME, uri: ANONYMOUS_URI, params: { tag } };
}

/**
 * The headers of a request this server sends on for an anonymous sender: From anonymous with
 * our tag, a Call-ID of ours, no Via of the sender's (the server transaction keeps the way
 * back), and none of IDENTIFYING_HEADERS. Everything else is kept as it was.
 */
export function anonymizeHeaders(headers: SipHeaders, fromTag: string, callId: string): SipHeaders {
  const out: SipHeaders = { ...headers };
  for (const h of IDENTIFYING_HEADERS) delete out[h];
  out.from = anonymousFrom(fromTag);
  out['call-id'] = callId;
  out.via = [];
  return out;
}
