// RFC 3891 Replaces: the header's value, and the same value carried as a URI header of a
// resource-list entry (RFC 5366 / OMA IM 7.1.1.6 step 8, Appendix M). Pure.

export interface ReplacesTarget {
  readonly callId: string;
  /** RFC 3891 3: compared with the recipient's LOCAL tag */
  readonly toTag: string;
  /** compared with the recipient's REMOTE tag */
  readonly fromTag: string;
  readonly earlyOnly: boolean;
}

const MAX_REPLACES = 512;
// RFC 3261 25.1: callid = word [ "@" word ]; a token for the tags
const CALL_ID = /^[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]+(?:@[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]+)?$/;
const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/** RFC 3891 6.1: callid *(SEMI replaces-param); to-tag and from-tag are mandatory. undefined when malformed. */
export function parseReplaces(value: string | undefined): ReplacesTarget | undefined {
  if (value === undefined || value.length === 0 || value.length > MAX_REPLACES) return undefined;
  const parts = value.split(';').map((p) => p.trim());
  const callId = parts[0];
  if (callId === undefined || !CALL_ID.test(callId)) return undefined;
  let toTag: string | undefined;
  let fromTag: string | undefined;
  let earlyOnly = false;
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    const v = eq < 0 ? '' : p.slice(eq + 1).trim();
    if (name === 'to-tag') toTag = v;
    else if (name === 'from-tag') fromTag = v;
    else if (name === 'early-only') earlyOnly = true;
  }
  if (toTag === undefined || fromTag === undefined || !TOKEN.test(toTag) || !TOKEN.test(fromTag)) return undefined;
  return { callId, toTag, fromTag, earlyOnly };
}

/** The header value for a dialog, tags named from the point of view of the INVITE's recipient. */
export function formatReplaces(t: Omit<ReplacesTarget, 'earlyOnly'> & { earlyOnly?: boolean }): string {
  return `${t.callId};to-tag=${t.toTag};from-tag=${t.fromTag}${t.earlyOnly ? ';early-only' : ''}`;
}

/**
 * A URI with its headers split off (RFC 3261 19.1.1: "?name=value&..."; values %-encoded).
 * A header that cannot be decoded makes the whole URI undefined (the caller says 400).
 */
export function splitUriHeaders(uri: string): { readonly base: string; readonly headers: ReadonlyMap<string, string> } | undefined {
  const q = uri.indexOf('?');
  if (q < 0) return { base: uri, headers: new Map() };
  const headers = new Map<string, string>();
  for (const pair of uri.slice(q + 1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    try {
      headers.set(decodeURIComponent(pair.slice(0, eq)).toLowerCase(), decodeURIComponent(pair.slice(eq + 1)));
    } catch {
      return undefined;
    }
  }
  return { base: uri.slice(0, q), headers };
}

/**
 * The URI with the dialog added as a Replaces URI header (OMA IM 7.1.1.6 step 8, RFC 3891 6.1,
 * RFC 3261 19.1.1): `sip:bob@x?Replaces=<callid>%3Bto-tag%3D…%3Bfrom-tag%3D…`. hvalue allows
 * only unreserved and hnv-unreserved characters unescaped (RFC 3261 25.1); encodeURIComponent
 * leaves exactly alphanum and the RFC 3261 marks, all of them unreserved.
 */
export function withReplacesHeader(uri: string, t: Omit<ReplacesTarget, 'earlyOnly'> & { earlyOnly?: boolean }): string {
  return `${uri}${uri.includes('?') ? '&' : '?'}Replaces=${encodeURIComponent(formatReplaces(t))}`;
}

/**
 * RFC 3261 8.2.2.3: the option tags of a Require value that are not in `supported` (compared
 * case-insensitively), each once. option-tag = token (RFC 3261 25.1): text that is no token
 * names no extension and is left out, so nothing but tokens is ever echoed in Unsupported.
 */
export function unsupportedOptions(require: string | undefined, supported: readonly string[]): string[] {
  if (require === undefined) return [];
  const ours = new Set(supported.map((s) => s.toLowerCase()));
  const tags = require.split(',').map((t) => t.trim()).filter((t) => TOKEN.test(t));
  return [...new Set(tags.filter((t) => !ours.has(t.toLowerCase())))];
}
