// Privacy service (RFC 3323, RFC 3325 9.3; OMA IM 7.1.1.12 step 3): a request that asks for
// privacy leaves this server with nothing that names its sender. Pure: headers in, headers out.
import type { NameAddr, SipHeaders } from './types';

/** RFC 3323 4.1.1: the From of an anonymous request. */
export const ANONYMOUS_DISPLAY_NAME = '"Anonymous"';
export const ANONYMOUS_URI = 'sip:anonymous@anonymous.invalid';

/**
 * The headers an anonymised request keeps (RFC 3323 5.1 and 5.3, RFC 3325 9.3): those a request
 * needs to be routed and understood, none of which names or locates the sender. Everything
 * else goes, so that headers nobody listed (Referred-By, History-Info, X-anything: attack
 * finding) cannot carry the sender's name past the privacy service. From, Call-ID and Via are
 * replaced, not removed (they are mandatory).
 */
export const KEPT_WHEN_ANONYMOUS: ReadonlySet<string> = new Set([
  'to', 'cseq', 'max-forwards', 'privacy',
  'content-type', 'content-length', 'content-encoding', 'content-language', 'content-disposition', 'mime-version',
  'require', 'proxy-require', 'supported', 'allow', 'accept', 'accept-encoding', 'accept-language',
  'accept-contact', 'reject-contact', 'request-disposition',
  'expires', 'event', 'allow-events', 'subscription-state', 'session-expires', 'min-se', 'priority',
]);

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
 * back), and of the rest only KEPT_WHEN_ANONYMOUS.
 */
export function anonymizeHeaders(headers: SipHeaders, fromTag: string, callId: string): SipHeaders {
  const out: SipHeaders = {};
  for (const h of Object.keys(headers)) {
    // __proto__ and its like are never in the list, so plain assignment is safe here
    if (KEPT_WHEN_ANONYMOUS.has(h)) out[h] = headers[h];
  }
  out.from = anonymousFrom(fromTag);
  out['call-id'] = callId;
  out.via = [];
  return out;
}
