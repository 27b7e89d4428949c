import type { CpimAddress } from '../wire';

export interface MsrpSwitchOptions {
  /** The group session's URI (its IM Session Identity): CPIM To of every message. */
  readonly conference: CpimAddress;
  /** Other URIs of the same conference a sender's own CPIM To may name (the group URI, say). */
  readonly conferenceAliases?: readonly string[];
  /**
   * A receiver whose leg stays congested (above the high watermark) this long is removed
   * (event removed-slow). Must be below the net's transactionTimeoutMs: while a leg is
   * congested the switch stops reading the other participants, their answers included.
   */
  readonly slowReceiverMs?: number;
  /** Participants at most; addParticipant throws RangeError beyond (the focus answers 486 first). */
  readonly maxParticipants?: number;
  /** Messages one participant may have half sent (chunked, '+') at once; 413 beyond. */
  readonly maxOpenMessagesPerSender?: number;
  /** Largest CPIM message header block a sender may send (its From is rewritten); 400 beyond. */
  readonly maxCpimHeaderBytes?: number;
  /**
   * What participants may send (the a=accept-types the focus answered); anything else gets 415
   * (RFC 4975 7.3 / 8.6). Undefined: any type.
   */
  readonly acceptTypes?: readonly string[];
  /** The clock for CPIM DateTime (tests pin it). */
  readonly now?: () => Date;
}

export interface ResolvedSwitchOptions {
  readonly conference: CpimAddress;
  readonly conferenceAliases: readonly string[];
  readonly slowReceiverMs: number;
  readonly maxParticipants: number;
  readonly maxOpenMessagesPerSender: number;
  readonly maxCpimHeaderBytes: number;
  readonly acceptTypes: readonly string[] | undefined;
  readonly now: () => Date;
}

export const DEFAULT_SWITCH_LIMITS = Object.freeze({
  slowReceiverMs: 5_000,
  maxParticipants: 256,
  maxOpenMessagesPerSender: 16,
  maxCpimHeaderBytes: 8 * 1024,
});

/** Merges defaults and checks every limit; throws RangeError naming the bad key. */
export function resolveSwitchOptions(o: MsrpSwitchOptions, transactionTimeoutMs: number): ResolvedSwitchOptions {
  const r: ResolvedSwitchOptions = {
    conference: o.conference,
    conferenceAliases: o.conferenceAliases ?? [],
    slowReceiverMs: o.slowReceiverMs ?? DEFAULT_SWITCH_LIMITS.slowReceiverMs,
    maxParticipants: o.maxParticipants ?? DEFAULT_SWITCH_LIMITS.maxParticipants,
    maxOpenMessagesPerSender: o.maxOpenMessagesPerSender ?? DEFAULT_SWITCH_LIMITS.maxOpenMessagesPerSender,
    maxCpimHeaderBytes: o.maxCpimHeaderBytes ?? DEFAULT_SWITCH_LIMITS.maxCpimHeaderBytes,
    acceptTypes: o.acceptTypes?.map((t) => t.toLowerCase()),
    now: o.now ?? (() => new Date()),
  };
  for (const key of ['slowReceiverMs', 'maxParticipants', 'maxOpenMessagesPerSender', 'maxCpimHeaderBytes'] as const) {
    const v = r[key];
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`MSRP switch option ${key} must be a positive integer, got ${String(v)}`);
  }
  if (r.slowReceiverMs >= transactionTimeoutMs) {
    throw new RangeError(`MSRP switch option slowReceiverMs (${r.slowReceiverMs}) must be below transactionTimeoutMs (${transactionTimeoutMs})`);
  }
  return r;
}

/** Counters of one switch, read by metrics. Plain numbers, mutated in place. */
export interface MsrpSwitchCounters {
  /** Messages accepted from senders (first chunks). */
  messagesIn: number;
  /** SEND chunks accepted from senders. */
  chunksIn: number;
  /** Messages handed whole to a receiver leg (their last chunk's end-line written), one per receiver. */
  deliveries: number;
  /** Chunks written to receiver legs, one per receiver. */
  framesOut: number;
  /** Body bytes written to receiver legs (CPIM envelope included), summed over receivers. */
  bytesOut: number;
  /** Hop-by-hop 200s sent to senders (RFC 4975 7.2). */
  okSent: number;
  /** Chunks refused with an error response (400, 413, 428, ...). */
  refused: number;
  /** Chunks refused 413 and cut ('#') because they held other senders' copies back too long. */
  framesCut: number;
  /** Chunks refused 413 because their message passes msrp.maxMessageSize (copies begun end with '#'). */
  oversizeRefused: number;
  /** Failure REPORTs sent to senders (RFC 4975 7.1.2), one per receiver that missed a chunk. */
  failureReportsSent: number;
  /** Success REPORTs the switch generated (every receiver leg confirmed the whole message). */
  successReportsSent: number;
  /** REPORTs received from participants (about the switch's messages): consumed, never forwarded. */
  reportsAbsorbed: number;
  /** Receivers removed because their leg stayed congested for slowReceiverMs. */
  removedSlow: number;
  /** Leg congestion episodes (high watermark crossings) that paused the other participants. */
  congestions: number;
  /** Chunk copies whose receiver answer could not be waited for (waiter full): reported as 408. */
  untracked: number;
  /** Times a sender's frame waited behind another one on a shared receiver connection. */
  framesHeld: number;
  /** Empty SENDs that bound a participant's connection (RFC 4975 5.4). */
  bindSends: number;
  /** Event listeners that threw (counted, never propagated). */
  listenerErrors: number;
}

export function newSwitchCounters(): MsrpSwitchCounters {
  return {
    messagesIn: 0,
    chunksIn: 0,
    deliveries: 0,
    framesOut: 0,
    bytesOut: 0,
    okSent: 0,
    refused: 0,
    framesCut: 0,
    oversizeRefused: 0,
    failureReportsSent: 0,
    successReportsSent: 0,
    reportsAbsorbed: 0,
    removedSlow: 0,
    congestions: 0,
    untracked: 0,
    framesHeld: 0,
    bindSends: 0,
    listenerErrors: 0,
  };
}

/** Counters plus what is live now, as one plain object for metrics. */
export interface MsrpSwitchStats extends MsrpSwitchCounters {
  readonly participants: number;
  readonly boundParticipants: number;
  /** Messages half received (chunked) across senders. */
  readonly openMessages: number;
  /** Legs congested right now. */
  readonly congestedLegs: number;
  /** Highest ring occupancy any participant leg reached; never above ringBytes. */
  readonly ringHighWater: number;
  readonly ringBytes: number;
}
