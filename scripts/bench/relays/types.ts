/** What the bench needs from a relay under test. */
import type { Handshake } from '../client/endpoint';

/** How one client reaches the relay for one session. */
export interface ClientTarget {
  readonly host: string;
  readonly port: number;
  readonly handshake: Handshake;
  /** To-Path of the handshake request: the relay's URI for this client. */
  readonly handshakeToPath: readonly string[];
  /**
   * To-Path of this client's SENDs. Ignored for a client whose peer AUTHs (RFC 4976): its
   * To-Path is then the peer's Use-Path followed by the peer's own URI.
   */
  readonly toPath: readonly string[];
}

export interface SessionTargets {
  readonly a: ClientTarget;
  readonly b: ClientTarget;
}

/** The clients' own URIs (their From-Path) for one session. */
export interface SessionUris {
  readonly aUri: string;
  readonly bUri: string;
}

export interface RunningRelay {
  /** The processes whose CPU time and memory are the relay's (read again at each sample). */
  pids(): readonly number[];
  /** Prepares one session between two clients; they then connect B first, then A. */
  openSession(uris: SessionUris): Promise<SessionTargets>;
  /** Stops the relay and everything it started; never throws. */
  stop(): Promise<void>;
}

export interface RelayUnderTest {
  readonly name: string;
  /** undefined when the relay can run here, else why not (printed instead of its rows). */
  probe(): Promise<string | undefined>;
  start(): Promise<RunningRelay>;
  /** Printed under the tables: how this relay's figures are to be read. */
  readonly note: string | undefined;
}

/** Default per-step time limit for relay start-up and session set-up. */
export const RELAY_TIMEOUT_MS = 15_000;
