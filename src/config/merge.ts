/** Plain-object helpers for layering configurations. */

export type Layer = Record<string, unknown>;

function isPlainObject(x: unknown): x is Layer {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Later layers win; sections merge key by key; lists are replaced whole. */
export function mergeLayers(layers: readonly unknown[]): Layer {
  const out: Layer = {};
  for (const layer of layers) {
    if (!isPlainObject(layer)) continue;
    for (const [k, val] of Object.entries(layer)) {
      // Never a config key; assigning it would replace the prototype of `out`.
      if (k === '__proto__') continue;
      const prev = out[k];
      out[k] = isPlainObject(val) && isPlainObject(prev) ? mergeLayers([prev, val]) : val;
    }
  }
  return out;
}

/** Sets a dotted path in a layer, creating sections on the way. */
export function setPath(layer: Layer, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = layer;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (isPlainObject(next)) {
      cur = next;
    } else {
      const created: Layer = {};
      cur[part] = created;
      cur = created;
    }
  }
  cur[parts[parts.length - 1] ?? ''] = value;
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
