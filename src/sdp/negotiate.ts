/** accept-types negotiation for the SDP answer (RFC 4975 section 8.6). */

/** "type/subtype" in lower case, parameters dropped: media types compare case-insensitively (RFC 2045). */
function baseOf(entry: string): string {
  const semi = entry.indexOf(';');
  return (semi < 0 ? entry : entry.slice(0, semi)).trim().toLowerCase();
}

/** Does pattern ("*", "type/*" or "type/subtype") cover the base type? */
function covers(pattern: string, base: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('/*')) {
    const prefix = pattern.slice(0, -1); // "text/"
    return base === '*' ? false : base.startsWith(prefix);
  }
  return pattern === base;
}

/**
 * The types to put in the answer's a=accept-types (or a=accept-wrapped-types).
 *
 * RFC 4975 section 8.6: the answerer lists only types it understands. For each offered entry, in
 * the offer's order:
 *   - a concrete type we support (exactly, through our "type/*" or our "*") is kept as offered,
 *     parameters included;
 *   - an offered wildcard ("*" or "type/*") is replaced by the supported entries it covers, in our
 *     order; when our entry is itself a wildcard the narrower of the two is used ("*" offered and
 *     "text/*" supported gives "text/*").
 * Duplicates (by type/subtype, case-insensitive) keep their first place. An empty result means
 * no common type: the caller rejects the stream (488, DESIGN 7.2.1.5).
 */
export function negotiateAcceptTypes(offered: readonly string[], supported: readonly string[]): string[] {
  const result: string[] = [];
  const seen = new Set<string>();
  const add = (entry: string): void => {
    const key = baseOf(entry);
    if (seen.has(key)) return;
    seen.add(key);
    result.push(entry);
  };
  const ours = supported.map((s) => ({ entry: s, base: baseOf(s) }));

  for (const offer of offered) {
    const base = baseOf(offer);
    const isWildcard = base === '*' || base.endsWith('/*');
    if (!isWildcard) {
      if (ours.some((o) => covers(o.base, base))) add(offer);
      continue;
    }
    for (const o of ours) {
      if (covers(base, o.base) || o.base === base) add(o.entry); // ours is narrower or equal
      else if (covers(o.base, base)) add(offer); // ours is wider: the offered wildcard is the meet
    }
  }
  return result;
}
