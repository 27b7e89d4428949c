// V8 keeps a substring of 13 or more characters as a slice of the string it was cut from. A
// Call-ID, tag or MSRP path kept for a session's life would keep the whole message or SDP text
// it was parsed from alive (~1.8 KB per held 1-1 session, issue 8). These copies stand alone.

/** The same characters in a string of their own (short ones are copies already). */
export function detached(s: string): string {
  // a JSON round trip copies every UTF-16 unit exactly, lone surrogates included
  return s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

/** `detached` over every string of a plain value: objects and arrays are copied, others kept. */
export function detachedDeep<T>(v: T, depth = 0): T {
  if (typeof v === 'string') return detached(v) as T;
  if (v === null || typeof v !== 'object' || depth > 8) return v;
  if (Array.isArray(v)) return v.map((x: unknown) => detachedDeep(x, depth + 1)) as T;
  if (Buffer.isBuffer(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    // a key named __proto__ (a parameter from the wire) stays an own property
    if (k === '__proto__') Object.defineProperty(out, k, { value: detachedDeep(x, depth + 1), enumerable: true, writable: true, configurable: true });
    else out[detached(k)] = detachedDeep(x, depth + 1);
  }
  return out as T;
}
