import type { ContentType } from '../wire';

/** True when the content type matches one of the negotiated a=accept-types ("*", "type/*", "type/sub"). */
export function acceptsType(acceptTypes: readonly string[], ct: ContentType): boolean {
  for (const a of acceptTypes) {
    const t = a.toLowerCase();
    if (t === '*' || t === `${ct.type}/*` || t === `${ct.type}/${ct.subtype}`) return true;
  }
  return false;
}
