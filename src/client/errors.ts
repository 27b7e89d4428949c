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
    super(`${method} failed: ${status} ${reason}${warning ? ` (Warning: ${warning})` : ''}`);
    this.name = 'SipStatusError';
  }
}

/** OMA IM 7.1.1.9 step 1: rejoin asked for a session whose identity is not (or no longer) stored. */
export class NoStoredSessionError extends Error {
  constructor(readonly sessionId: string) {
    super(`no stored IM Session Identity for ${sessionId} (or it expired): cannot rejoin`);
    this.name = 'NoStoredSessionError';
  }
}

/** The session could not be set up or used on the media plane (SDP or MSRP). */
export class MediaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MediaError';
  }
}
