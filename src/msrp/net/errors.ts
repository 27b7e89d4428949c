/** Typed errors of the MSRP network layer. */

/** listen() failed because the address/port is taken (EADDRINUSE). */
export class MsrpPortInUseError extends Error {
  readonly code = 'EADDRINUSE';
  /** secure: the MSRP over TLS port (msrp.tlsPort). */
  constructor(readonly host: string, readonly port: number, readonly secure = false) {
    super(`MSRP ${secure ? 'over TLS ' : ''}port ${port} on ${host} is already in use`);
    this.name = 'MsrpPortInUseError';
  }
}

/**
 * Why an outbound connection was not made: a local limit (refused before any packet left), the
 * peer refused or was unreachable, or no answer within the connect timeout.
 */
export type MsrpConnectFailure = 'limit' | 'refused' | 'timeout';

/** A connection could not be made or was refused by a limit. */
export class MsrpConnectError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
    readonly kind: MsrpConnectFailure = 'refused',
  ) {
    super(message);
    this.name = 'MsrpConnectError';
  }
}
