// V8 keeps a substring of 13 or more characters as a slice of the string it was cut from. A
// Call-ID, tag or MSRP path kept for a session's life would keep the whole message or SDP text
// it was parsed from alive (~1.8 KB per held 1-1 session, issue 8). These copies stand alone.

/** The same characters in a string of their own (short ones are copies already). */
export function detached(s: string): string {
  // a JSON round trip copies every UTF-16 unit exactly, lone surrogates included
  return s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

/**
 * `f` over every string value of a plain value (keys are property names V8 interns); objects and arrays are copied down to
 * `maxDepth`, Buffers and other values kept. Shared by the SIP byte/UTF-8 boundary (convert.ts)
 * and detachedDeep.
 */
export function mapStringsDeep(v: unknown, f: (s: string) => string, maxDepth: number, depth = 0): unknown {
  if (typeof v === 'string') return f(v);
  if (v === null || typeof v !== 'object' || depth > maxDepth || Buffer.isBuffer(v)) return v;
  // plain loops, no Object.entries or .map: this runs over every SIP message both ways, and the
  // [key, value] pairs entries() built were a tenth of a page MESSAGE's allocation
  if (Array.isArray(v)) {
    const n = v.length;
    const arr = new Array<unknown>(n);
    for (let i = 0; i < n; i++) arr[i] = mapStringsDeep(v[i], f, maxDepth, depth + 1);
    return arr;
  }
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k in src) {
    if (!Object.prototype.hasOwnProperty.call(src, k)) continue;
    const x = mapStringsDeep(src[k], f, maxDepth, depth + 1);
    // a key named __proto__ (a parameter or header from the wire) stays an own property
    // (assigning it would replace the object's prototype)
    if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    else out[k] = x;
  }
  return out;
}

/** `detached` over every string of a plain value: objects and arrays are copied, others kept. */
export function detachedDeep<T>(v: T): T {
  return mapStringsDeep(v, detached, 8) as T;
}
