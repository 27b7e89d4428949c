import { unsupportedOptions } from '../sip/message/replaces';

// What this server advertises. One place, because clause 7.1.1.5 is a rule about it.

// OMA IM 7.1.1.5: sessions are modified by re-INVITE only, so UPDATE is not offered.
// Only what is implemented is advertised: SUBSCRIBE/NOTIFY for the conference event package
// (RFC 4575), Replaces and the XML/multipart bodies for group sessions.
export const ALLOWED_METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'MESSAGE', 'REGISTER', 'SUBSCRIBE', 'NOTIFY'] as const;

/** RFC 6665 8.2.2: the event packages this server serves. */
export const ALLOW_EVENTS_HEADER = 'conference';

export const ALLOW_HEADER = ALLOWED_METHODS.join(', ');

// multipart/mixed and resource lists: the conference factory's INVITE (RFC 5366, OMA IM 7.1.1.6)
export const ACCEPT_HEADER = ['application/sdp', 'text/plain', 'message/cpim', 'multipart/mixed', 'application/resource-lists+xml', 'application/conference-info+xml'].join(', ');

/**
 * Option tags (RFC 3261 20.37): 'replaces' (RFC 3891: a factory INVITE may replace the
 * initiator's 1-1 dialog, OMA IM 7.1.1.6 step 8) and 'recipient-list-invite' (RFC 5366).
 */
export const SUPPORTED_OPTION_TAGS = ['replaces', 'recipient-list-invite'] as const;
export const SUPPORTED_HEADER = SUPPORTED_OPTION_TAGS.join(', ');

/** RFC 3261 8.2.2.3: the option tags of a Require header this server does not support. */
export function unsupportedRequire(require: string | undefined): string[] {
  return unsupportedOptions(require, SUPPORTED_OPTION_TAGS).slice(0, 16);
}

/** Methods the SIP grammar knows but this server refuses with 405 (RFC 3261 8.2.1). */
export const KNOWN_NOT_ALLOWED = new Set(['UPDATE', 'PRACK', 'INFO', 'REFER', 'PUBLISH']);
