// What a client needs to start group sessions (OMA IM 7.1.1.6, RFC 5366): the conference
// factory URI, the invitee count of MAX-ADHOC-GROUP-SIZE, the multipart factory body, and
// telling a focus from a peer. Pure: no sockets, no clock.
import { checkUri } from '../sip/message/grammar/uri';
import { buildMultipart, type BuiltMultipart } from '../sip/message/multipart';
import type { NameAddr } from '../sip/message/types';
import { RESOURCE_LISTS_CONTENT_TYPE, serializeResourceLists } from '../xml';
import { AdhocGroupTooLargeError } from './errors';

/** MAX-ADHOC-GROUP-SIZE when the client is not provisioned with one (OMA IM 7.1.1.6 step 5). */
export const DEFAULT_MAX_ADHOC_GROUP_SIZE = 10;

/** The option tag of an INVITE that carries a URI list (RFC 5366 4). */
export const RECIPIENT_LIST_INVITE = 'recipient-list-invite';

/** The Conference-factory-URI of the IM service (OMA IM 7.1.1.6 step 2; DESIGN fixed point). */
export function conferenceFactoryUri(domain: string): string {
  return `sip:conference-factory@${domain}`;
}

/** Throws RangeError unless the text is a SIP URI (headers allowed: the original peer carries Replaces). */
export function checkSipAddress(uri: string): void {
  const r = checkUri(uri, 0, uri.length);
  if (typeof r === 'string' || (r.scheme !== 'sip' && r.scheme !== 'sips')) throw new RangeError(`not a SIP address: ${JSON.stringify(uri.slice(0, 80))}`);
}

/**
 * The key two addresses of one user share: sip and sips folded, host lower-cased, port,
 * parameters and headers dropped, escapes of unreserved characters decoded (RFC 3261 19.1.4).
 */
export function userKey(uri: string): string {
  let a = uri.trim();
  const colon = a.indexOf(':');
  const scheme = colon > 0 ? a.slice(0, colon).toLowerCase() : '';
  if (scheme !== 'sip' && scheme !== 'sips') return a;
  a = a.slice(colon + 1).split(/[;?]/, 1)[0] ?? '';
  const at = a.lastIndexOf('@');
  const user = at >= 0 ? a.slice(0, at).replace(/%([0-9A-Fa-f]{2})/g, (all, h: string) => {
    const c = String.fromCharCode(parseInt(h, 16));
    return /[A-Za-z0-9\-_.!~*'()]/.test(c) ? c : all.toUpperCase();
  }) : '';
  let host = at >= 0 ? a.slice(at + 1) : a;
  const portColon = host.lastIndexOf(':');
  if (portColon >= 0 && portColon > host.lastIndexOf(']')) host = host.slice(0, portColon);
  return `sip:${user === '' ? '' : `${user}@`}${host.toLowerCase()}`;
}

/**
 * OMA IM 7.1.1.6 step 5: the invited users of a URI list are its distinct users; the IM User
 * itself is not invited, so it is not counted even when listed. Order is kept; the first
 * spelling of each user wins.
 */
export function invitedUsers(list: readonly string[], self: string): string[] {
  const seen = new Set([userKey(self)]);
  const out: string[] = [];
  for (const uri of list) {
    const k = userKey(uri);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(uri);
  }
  return out;
}

/**
 * OMA IM 7.1.1.6 step 5: refuse locally, before anything is sent, a list of more invited users
 * than MAX-ADHOC-GROUP-SIZE; the error's message is what the IM User is told.
 */
export function checkAdhocGroupSize(invited: readonly string[], maxAdhocGroupSize: number): void {
  if (invited.length > maxAdhocGroupSize) throw new AdhocGroupTooLargeError(invited.length, maxAdhocGroupSize);
}

/**
 * OMA IM 7.1.1.6 steps 3, 4, 6, 7 / RFC 5366 4: multipart/mixed holding the SDP offer and the
 * URI list of the invitees (Content-Disposition: recipient-list).
 */
export function factoryBody(sdp: string, invitees: readonly string[]): BuiltMultipart {
  return buildMultipart([
    { contentType: 'application/sdp', body: sdp },
    {
      contentType: RESOURCE_LISTS_CONTENT_TYPE,
      headers: { 'Content-Disposition': 'recipient-list' },
      body: serializeResourceLists(invitees.map((uri) => ({ uri }))),
    },
  ]);
}

/** RFC 4579 / RFC 4353: a Contact with the isfocus feature parameter is a conference focus. */
export function isFocusContact(contact: NameAddr[] | '*' | undefined): boolean {
  return Array.isArray(contact) && contact.length > 0 && Object.keys(contact[0]!.params).some((k) => k.toLowerCase() === 'isfocus');
}

/** message/cpim must be among the types a group session offers: the focus wraps every message in it. */
export function withCpim(types: readonly string[]): readonly string[] {
  return types.some((t) => t === '*' || t.toLowerCase() === 'message/cpim' || t.toLowerCase() === 'message/*') ? types : [...types, 'message/cpim'];
}
