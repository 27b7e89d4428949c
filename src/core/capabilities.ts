// What this server advertises. One place, because clause 7.1.1.5 is a rule about it.

// OMA IM 7.1.1.5: sessions are modified by re-INVITE only, so UPDATE is not offered.
// Only what is implemented is advertised: SUBSCRIBE/NOTIFY come back with the conference
// event package (RFC 4575), Replaces and the XML/multipart bodies with group sessions.
export const ALLOWED_METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'MESSAGE', 'REGISTER'] as const;

export const ALLOW_HEADER = ALLOWED_METHODS.join(', ');

export const ACCEPT_HEADER = ['application/sdp', 'text/plain', 'message/cpim'].join(', ');

/** No option tags yet (RFC 3261 20.37: an empty Supported is allowed). */
export const SUPPORTED_HEADER = '';

/** Methods the SIP grammar knows but this server refuses with 405 (RFC 3261 8.2.1). */
export const KNOWN_NOT_ALLOWED = new Set(['UPDATE', 'PRACK', 'INFO', 'REFER', 'PUBLISH']);
