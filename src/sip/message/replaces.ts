/**
 * The Replaces header (RFC 3891) and its form as a SIP URI header (`sip:bob@x?Replaces=…`,
 * RFC 3261 19.1.1): extending a 1-1 session to an ad-hoc conference names the original dialog
 * this way (OMA IM 7.1.1.6 step 8, Appendix M). Pure: strings in, strings out.
 */
import { TOKEN, WORD, spanClass } from './grammar/chars';

/** The dialog a Replaces value names, seen from the UA that receives it (RFC 3891 3). */
export interface ReplacesValue {
  readonly callId: string;
  /** Compared with the receiver's local tag. */
  readonly toTag: string;
  /** Compared with the receiver's remote tag. */
  readonly fromTag: string;
  /** RFC 3891 3: replace only a dialog that is still early. */
  readonly earlyOnly?: boolean;
}

/** callid = word [ "@" word ] (RFC 3261 25.1). */
function isCallId(s: string): boolean {
  const at = s.indexOf('@');
  const words = at < 0 ? [s] : [s.slice(0, at), s.slice(at + 1)];
  return words.every((w) => w.length > 0 && spanClass(w, 0, w.length, WORD) === w.length);
}

function isToken(s: string): boolean {
  return s.length > 0 && spanClass(s, 0, s.length, TOKEN) === s.length;
}

/** `callid;to-tag=…;from-tag=…[;early-only]` (RFC 3891 6.1); RangeError for a value that would not parse back. */
export function formatReplaces(r: ReplacesValue): string {
  if (!isCallId(r.callId)) throw new RangeError('Replaces: not a Call-ID');
  if (!isToken(r.toTag) || !isToken(r.fromTag)) throw new RangeError('Replaces: a tag is not a token');
  return `${r.callId};to-tag=${r.toTag};from-tag=${r.fromTag}${r.earlyOnly ? ';early-only' : ''}`;
}

/**
 * Replaces = callid *(SEMI replaces-param) (RFC 3891 6.1), exactly one to-tag and one from-tag
 * (RFC 3891 3); unknown generic-params are ignored. Returns the reason when the value is bad.
 */
export function parseReplaces(text: string): ReplacesValue | string {
  const parts = text.split(';').map((p) => p.trim());
  const callId = parts[0] ?? '';
  if (!isCallId(callId)) return 'Replaces: bad Call-ID';
  let toTag: string | undefined;
  let fromTag: string | undefined;
  let earlyOnly = false;
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : p.slice(eq + 1).trim();
    if (!isToken(name)) return 'Replaces: bad parameter';
    if (name === 'to-tag' || name === 'from-tag') {
      if (value === undefined || !isToken(value)) return `Replaces: bad ${name}`;
      if ((name === 'to-tag' ? toTag : fromTag) !== undefined) return `Replaces: ${name} repeated`;
      if (name === 'to-tag') toTag = value;
      else fromTag = value;
    } else if (name === 'early-only') {
      earlyOnly = true;
    }
  }
  if (toTag === undefined || fromTag === undefined) return 'Replaces: to-tag and from-tag are required';
  return { callId, toTag, fromTag, ...(earlyOnly ? { earlyOnly } : {}) };
}

// RFC 3261 25.1: hvalue = *( hnv-unreserved / unreserved / escaped ). encodeURIComponent leaves
// exactly alphanum and the RFC 3261 marks (-_.!~*'()) unescaped, all of them unreserved.
const escapeHvalue = (s: string): string => encodeURIComponent(s);

/**
 * The URI with a Replaces URI header added (RFC 3891 6.1 / RFC 3261 19.1.1):
 * `sip:bob@x?Replaces=<callid>%3Bto-tag%3D…%3Bfrom-tag%3D…`.
 */
export function withReplacesHeader(uri: string, r: ReplacesValue): string {
  return `${uri}${uri.includes('?') ? '&' : '?'}Replaces=${escapeHvalue(formatReplaces(r))}`;
}

export interface UriWithHeaders {
  /** The URI without its "?" headers. */
  readonly base: string;
  /** Header names lower-cased, values unescaped; undefined when an escape is broken. */
  readonly headers: ReadonlyMap<string, string>;
}

/** Splits `sip:…?h1=v1&h2=v2` into the URI and its headers (RFC 3261 19.1.1); undefined if an escape is broken. */
export function splitUriHeaders(uri: string): UriWithHeaders | undefined {
  const q = uri.indexOf('?');
  if (q < 0) return { base: uri, headers: new Map() };
  const headers = new Map<string, string>();
  for (const pair of uri.slice(q + 1).split('&')) {
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

/** The Replaces a URI carries as a header: undefined when none, the reason when it is bad. */
export function replacesFromUri(uri: string): ReplacesValue | string | undefined {
  const split = splitUriHeaders(uri);
  if (split === undefined) return 'Replaces: broken escape in URI headers';
  const v = split.headers.get('replaces');
  return v === undefined ? undefined : parseReplaces(v);
}

/**
 * RFC 3261 8.2.2.3: the option tags of a Require value that are not in `supported` (compared
 * case-insensitively), each once. option-tag = token (RFC 3261 25.1): text that is no token
 * names no extension and is left out, so nothing but tokens is ever echoed in Unsupported.
 */
export function unsupportedOptions(require: string | undefined, supported: readonly string[]): string[] {
  if (require === undefined) return [];
  const ours = new Set(supported.map((s) => s.toLowerCase()));
  const tags = require.split(',').map((t) => t.trim()).filter(isToken);
  return [...new Set(tags.filter((t) => !ours.has(t.toLowerCase())))];
}
