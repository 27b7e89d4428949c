/** Typed errors of the MSRP network layer. */

/** listen() failed because the address/port is taken (EADDRINUSE). */
export class MsrpPortInUseError extends Error {
  readonly code = 'EADDRINUSE';
  constructor(readonly host: string, readonly port: number) {
    super(`MSRP port ${port} on ${host} is already in use`);
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
