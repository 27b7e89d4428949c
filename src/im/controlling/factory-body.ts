// The body of an INVITE to the conference factory (RFC 5366 2, OMA IM 7.1.1.6 steps 3-7): a
// multipart/mixed with the SDP offer and the URI list of invitees. Read with the real parsers
// (multipart, XML); every failure names the part, for the 400's reason phrase.
import { MultipartError, parseMultipart, type MimePart } from '../../sip/message/multipart';
import { parseReplaces, splitUriHeaders, type ReplacesTarget } from '../../sip/message/replaces';
import { parseResourceLists, RESOURCE_LISTS_CONTENT_TYPE, XmlError } from '../../xml';

export interface Invitee {
  /** the entry's URI without URI headers */
  readonly uri: string;
  readonly displayName?: string;
  /** RFC 3891 via a "?Replaces=" URI header (7.1.1.6 step 8, Appendix M): the dialog this invitation replaces */
  readonly replaces?: ReplacesTarget;
  /** RFC 5364 copy control: hide this invitee's identity from the others */
  readonly anonymize: boolean;
}

export type FactoryBody =
  | { readonly ok: true; readonly sdp: Buffer; readonly invitees: readonly Invitee[] }
  | { readonly ok: false; readonly status: 400 | 415; readonly reason: string };

const bad = (reason: string): FactoryBody => ({ ok: false, status: 400, reason });

/** RFC 5366 4.1: the list part may be marked Content-Disposition: recipient-list; any other disposition is not the list. */
function isRecipientList(p: MimePart): boolean {
  if (p.mediaType !== RESOURCE_LISTS_CONTENT_TYPE) return false;
  const disp = p.headers['content-disposition']?.split(';')[0]?.trim().toLowerCase();
  return disp === undefined || disp === 'recipient-list';
}

export function readFactoryBody(contentType: string | undefined, body: Buffer): FactoryBody {
  if (contentType === undefined || body.length === 0) {
    return bad('a conference factory INVITE needs a multipart/mixed body: an SDP offer and a recipient list (RFC 5366)');
  }
  if (!/^\s*multipart\/mixed\s*(;|$)/i.test(contentType)) {
    return { ok: false, status: 415, reason: `conference factory needs multipart/mixed (SDP + ${RESOURCE_LISTS_CONTENT_TYPE}), not ${contentType.split(';')[0]?.trim().slice(0, 64)}` };
  }
  let parts: MimePart[];
  try {
    parts = parseMultipart(contentType, body);
  } catch (err) {
    if (err instanceof MultipartError) return bad(`multipart body${err.part !== undefined ? ` part ${err.part}` : ''}: ${err.reason}`);
    throw err;
  }
  const sdps = parts.filter((p) => p.mediaType === 'application/sdp');
  const lists = parts.filter(isRecipientList);
  if (sdps.length !== 1) return bad(`multipart body: ${sdps.length === 0 ? 'no' : 'more than one'} application/sdp part`);
  if (lists.length !== 1) return bad(`multipart body: ${lists.length === 0 ? 'no' : 'more than one'} ${RESOURCE_LISTS_CONTENT_TYPE} recipient-list part`);
  let entries;
  try {
    entries = parseResourceLists((lists[0] as MimePart).body);
  } catch (err) {
    if (err instanceof XmlError) return bad(`${RESOURCE_LISTS_CONTENT_TYPE} part: ${err.path ?? 'resource-lists'}: ${err.reason}`);
    throw err;
  }
  const invitees: Invitee[] = [];
  for (const e of entries) {
    const split = splitUriHeaders(e.uri);
    if (split === undefined) return bad(`${RESOURCE_LISTS_CONTENT_TYPE} part: entry "${e.uri.slice(0, 64)}": undecodable URI header`);
    const raw = split.headers.get('replaces');
    const replaces = raw === undefined ? undefined : parseReplaces(raw);
    if (raw !== undefined && replaces === undefined) return bad(`${RESOURCE_LISTS_CONTENT_TYPE} part: entry "${split.base.slice(0, 64)}": malformed Replaces (RFC 3891)`);
    invitees.push({
      uri: split.base,
      ...(e.displayName !== undefined ? { displayName: e.displayName } : {}),
      ...(replaces !== undefined ? { replaces } : {}),
      anonymize: e.anonymize === true,
    });
  }
  return { ok: true, sdp: (sdps[0] as MimePart).body, invitees };
}
