/** Arguments and results of the calls the bench makes into its client processes. */
import type { Handshake } from './endpoint';

export interface SetupArg {
  readonly host: string;
  readonly port: number;
  /** This client's own MSRP URI (its From-Path). */
  readonly ownUri: string;
  readonly handshake: Handshake;
  /** To-Path of the handshake request (the relay's URI for this client). */
  readonly handshakeToPath: readonly string[];
  /** process.hrtime.bigint() of the parent, as text: every timestamp is ns after it. */
  readonly baseNs: string;
  readonly timeoutMs: number;
}

export interface SetupResult {
  /** Use-Path returned by an RFC 4976 relay to AUTH. */
  readonly usePath: string | undefined;
}

export interface RunArg {
  readonly toPath: readonly string[];
  readonly size: number;
  readonly chunk: number;
  readonly window: number;
  readonly count: number;
  /** Message-IDs are m<index>, index counted across runs so that none is reused. */
  readonly firstIndex: number;
  readonly timeoutMs: number;
  /**
   * End every message's body with its index (STAMP_BYTES: "m" and 10 digits), so that a
   * receiver that does not see the sender's Message-ID (the switch assigns its own) can still
   * tell which message it got. Off for the relay table.
   */
  readonly stamp?: boolean;
  /** Send at most this many messages per second (a paced, open-loop load); default: unpaced. */
  readonly paceMsgsPerSec?: number;
}

/** Length of the index stamp at the end of a stamped body: "m" + 10 digits. */
export const STAMP_BYTES = 11;

export interface RunResult {
  /** When the first chunk of each message was written, ns after base. */
  readonly sendNs: Float64Array;
  /** When the 200 to the last chunk of each message came back, ns after base. */
  readonly ackNs: Float64Array;
  /** Non-200 responses. */
  readonly failures: number;
  /** Non-200 responses by status, e.g. "503 x 12". */
  readonly failureStatuses: string;
  readonly errors: readonly string[];
}

export interface ExpectArg {
  readonly firstIndex: number;
  readonly count: number;
  readonly size: number;
  readonly timeoutMs: number;
}

export interface ExpectResult {
  /** When the last chunk of each message was read, ns after base. */
  readonly doneNs: Float64Array;
  /** Messages whose received byte count was not the size sent. */
  readonly bad: number;
  readonly errors: readonly string[];
}

/** Process clock, for the check that parent and children share CLOCK_MONOTONIC. */
/** The shared-clock probe both client processes answer (CLOCK_MONOTONIC across processes). */
export function clockNow(): ClockResult {
  return { hrtimeNs: process.hrtime.bigint().toString() };
}

export interface ClockResult {
  readonly hrtimeNs: string;
}
