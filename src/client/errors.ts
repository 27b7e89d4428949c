// Typed failures of the client library: a SIP refusal carries its status, reason and Warning
// so the CLI can print it and exit 1 (STYLE habit 6).

/** A request was answered with a final failure (>= 300), or never answered (408 synthesised). */
export class SipStatusError extends Error {
  constructor(
    readonly method: string,
    readonly status: number,
    readonly reason: string,
    readonly warning?: string,
  ) {
    super(`${method} failed: ${status} ${reason}${warning ? ` (${warningText(warning)})` : ''}`);
    this.name = 'SipStatusError';
  }

  /** What the Warning says to a person (its warn-text), e.g. why a 403 refused a group (OMA IM 7.1.1.6 step 5). */
  get warningText(): string | undefined {
    return this.warning === undefined ? undefined : warningText(this.warning);
  }
}

/**
 * RFC 3261 20.43: warning-value = warn-code SP warn-agent SP warn-text, warn-text a quoted
 * string. The texts of every value, joined; the whole value when it does not parse.
 */
export function warningText(value: string): string {
  const texts: string[] = [];
  const re = /\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(value); m !== null; m = re.exec(value)) texts.push(m[1]!.replace(/\\(.)/g, '$1'));
  return texts.length > 0 ? texts.join('; ') : value;
}

/** OMA IM 7.1.1.9 step 1: rejoin asked for a session whose identity is not (or no longer) stored. */
export class NoStoredSessionError extends Error {
  constructor(readonly sessionId: string) {
    super(`no stored IM Session Identity for ${sessionId} (or it expired): cannot rejoin`);
    this.name = 'NoStoredSessionError';
  }
}

/** OMA IM 7.1.1.6 step 5: the URI list names more invited users than MAX-ADHOC-GROUP-SIZE; nothing was sent. */
export class AdhocGroupTooLargeError extends Error {
  constructor(
    readonly invited: number,
    readonly maxAdhocGroupSize: number,
  ) {
    super(`too many invited users: ${invited}, the most an ad-hoc group may have is ${maxAdhocGroupSize} (MAX-ADHOC-GROUP-SIZE); nothing was sent`);
    this.name = 'AdhocGroupTooLargeError';
  }
}

/** The session could not be set up or used on the media plane (SDP or MSRP). */
export class MediaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MediaError';
  }
}
