/** The one error the XML codecs throw; the caller maps it to 400 (SIP, HTTP) or an exit code (CLI). */

export type XmlErrorCode =
  /** Body larger than the caller's cap, or more elements / deeper nesting than allowed. */
  | 'XML_TOO_LARGE'
  /** Not UTF-8. */
  | 'XML_ENCODING'
  /** Not well-formed XML (the validator's message, with line and column). */
  | 'XML_MALFORMED'
  /** A DOCTYPE (hence DTD entities) or an entity reference other than the five predefined ones. */
  | 'XML_FORBIDDEN'
  /** An undeclared prefix or a malformed qualified name. */
  | 'XML_NAMESPACE'
  /** Well-formed, but not the document the codec expects (wrong root, bad value, missing element). */
  | 'XML_INVALID';

export class XmlError extends Error {
  override readonly name = 'XmlError';

  /** element path below the root, e.g. "list-service/max-participant-count", when one element is to blame */
  readonly path: string | undefined;

  constructor(
    readonly code: XmlErrorCode,
    /** short, human-readable; input echoed at most 64 characters */
    readonly reason: string,
    /** '' (the root) is reported as no path */
    path?: string,
  ) {
    super(path ? `${path}: ${reason}` : reason);
    this.path = path || undefined;
  }
}

/** Keeps echoed input short and printable in reasons (they may end up in a Warning header). */
export function excerpt(text: string): string {
  let clean = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    clean += c < 0x20 || c === 0x7f ? '?' : ch;
    if (clean.length > 64) return `${clean.slice(0, 61)}...`;
  }
  return clean;
}
