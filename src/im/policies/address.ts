/**
 * Comparing IM addresses for policy decisions: is this requester that list entry, that
 * <cr:one id>, in that <cr:many domain>? A key per address: user@host for SIP (scheme sip/sips
 * folded, host lower-cased, port, parameters and headers dropped, RFC 3261 19.1.4 unreserved
 * escapes decoded), the digits for tel (visual separators dropped, RFC 3966 5.1.1).
 */

function decodeUnreserved(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '%' && i + 2 < s.length) {
      const code = Number.parseInt(s.slice(i + 1, i + 3), 16);
      const c = Number.isNaN(code) ? '' : String.fromCharCode(code);
      // Only unreserved characters are the same whether escaped or not (RFC 3261 19.1.4).
      if (c !== '' && /[A-Za-z0-9\-_.!~*'()]/.test(c)) {
        out += c;
        i += 2;
        continue;
      }
      out += s.slice(i, i + 3).toUpperCase();
      i += 2;
      continue;
    }
    out += ch;
  }
  return out;
}

/** The comparison key of an address; an unparsable one is its own trimmed text (matches only itself). */
export function addressKey(address: string): string {
  let a = address.trim();
  if (a.startsWith('<') && a.endsWith('>')) a = a.slice(1, -1);
  const colon = a.indexOf(':');
  if (colon <= 0) return a;
  const scheme = a.slice(0, colon).toLowerCase();
  let rest = a.slice(colon + 1);
  if (scheme === 'tel') {
    const semi = rest.indexOf(';');
    if (semi >= 0) rest = rest.slice(0, semi);
    let digits = '';
    for (const ch of rest) if (!'-.() '.includes(ch)) digits += ch.toUpperCase();
    return `tel:${digits}`;
  }
  if (scheme !== 'sip' && scheme !== 'sips') return `${scheme}:${rest}`;
  for (const stop of [';', '?']) {
    const at = rest.indexOf(stop);
    if (at >= 0) rest = rest.slice(0, at);
  }
  const atSign = rest.lastIndexOf('@');
  const user = atSign >= 0 ? rest.slice(0, atSign) : '';
  let host = atSign >= 0 ? rest.slice(atSign + 1) : rest;
  // Drop the port (an IPv6 reference keeps its brackets).
  const portColon = host.lastIndexOf(':');
  if (portColon >= 0 && portColon > host.lastIndexOf(']')) host = host.slice(0, portColon);
  const userKey = decodeUnreserved(user.includes(':') ? user.slice(0, user.indexOf(':')) : user);
  return `sip:${userKey === '' ? '' : `${userKey}@`}${host.toLowerCase()}`;
}

export function sameAddress(a: string, b: string): boolean {
  return addressKey(a) === addressKey(b);
}

/** The host of a SIP address, lower-cased; undefined for tel and others. */
export function domainOf(address: string): string | undefined {
  const key = addressKey(address);
  if (!key.startsWith('sip:')) return undefined;
  const at = key.lastIndexOf('@');
  return at >= 0 ? key.slice(at + 1) : key.slice('sip:'.length);
}

/** Addresses in order, each once by key. */
export function distinctAddresses(addresses: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const a of addresses) {
    const k = addressKey(a);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(a);
  }
  return out;
}
