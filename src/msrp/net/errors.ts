/** Typed errors of the MSRP network layer. */

/** listen() failed because the address/port is taken (EADDRINUSE). */
export class MsrpPortInUseError extends Error {
  readonly code = 'EADDRINUSE';
  constructor(readonly host: string, readonly port: number) {
    super(`MSRP port ${port} on ${host} is already in use`);
    this.name = 'MsrpPortInUseError';
  }
}

/** A connection could not be made or was refused by a limit. */
export class MsrpConnectError extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'MsrpConnectError';
  }
}
