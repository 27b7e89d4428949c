/** The one error the SDP codec throws for malformed input; the SIP layer maps it to 400 (or 488). */

export type SdpErrorCode =
  /** Body larger than the caller's limit. */
  | 'SDP_TOO_LARGE'
  /** Well-formed, but more m= sections than this side takes: unacceptable, not malformed (488). */
  | 'SDP_TOO_MANY_MEDIA'
  /** Not UTF-8 (RFC 4566 section 5: the default charset is UTF-8). */
  | 'SDP_ENCODING'
  /** A line that is not `<type>=<value>`, an unknown type letter, or a line out of place. */
  | 'SDP_SYNTAX'
  /** v=, o=, s=, t= or a connection address missing. */
  | 'SDP_MISSING_LINE'
  /** An o=, c=, t= or m= line whose fields break the RFC 4566 grammar. */
  | 'SDP_BAD_FIELD'
  /** An attribute whose value breaks its grammar (RFC 4975 section 8, RFC 4145, RFC 3264). */
  | 'SDP_BAD_ATTRIBUTE';

export class SdpError extends Error {
  override readonly name = 'SdpError';

  constructor(
    readonly code: SdpErrorCode,
    /** Short, human-readable; safe to put in a Warning header (no input echoed beyond 64 chars). */
    readonly reason: string,
    /** 1-based line number in the body, when one line is to blame. */
    readonly line?: number,
  ) {
    super(line === undefined ? reason : `line ${line}: ${reason}`);
  }
}

/**
 * RFC 3261 21.4.26: a description that is well formed but cannot be taken (488) rather than
 * malformed (400).
 */
export function sdpUnacceptable(err: SdpError): boolean {
  return err.code === 'SDP_TOO_MANY_MEDIA';
}

/** Keeps echoed input short in reasons (a reason may end up in a SIP Warning header). */
export function excerpt(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 61)}...` : clean;
}
