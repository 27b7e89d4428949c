// Admission of a new 1-1 session: the limits of the box, of the MSRP data plane and of each
// user. Pure: counts in, a refusal (or none) out. Reaching a limit is logged by the caller.

export interface AdmissionInput {
  /** Sessions live now, and the most the box takes (sessions.maxTotal). */
  readonly live: number;
  readonly maxSessions: number;
  /** MSRP connections that may still be opened: free slots plus sessionless inbound ones a new connection would evict. */
  readonly msrpConnectionRoom: number;
  /** Sessions of the caller and of the callee now, and the most per user (sessions.maxPerUser). */
  readonly callerSessions: number;
  readonly calleeSessions: number;
  readonly maxPerUser: number;
  /** Sessions not yet answered whose INVITE came from the caller's source address, and their limit. */
  readonly pendingFromSource: number;
  readonly maxPendingPerSource: number;
  readonly retryAfterS: number;
}

export interface Refusal {
  readonly status: number;
  readonly reason: string;
  /** Sent as Retry-After (RFC 3261 21.5.4: a 503 says when to come back). */
  readonly retryAfterS?: number;
  /** Which limit, for the log. */
  readonly limit: 'sessions' | 'msrp-connections' | 'per-user' | 'pending-per-source';
}

/** A session needs one MSRP connection per leg (a client may share one, but cannot be counted on to). */
export const MSRP_CONNECTIONS_PER_SESSION = 2;

/**
 * The source address first (503 + Retry-After: its unanswered set-ups, so a flood of INVITEs
 * under made-up names fills its own share and not the box), then the box (sessions, then MSRP
 * connections, refused at once rather than after a connect timeout), then the user (486).
 * No limit on sessions ringing toward one callee: made-up callers could then keep that user
 * from being called at all (a ringing session counts only against its caller, see SessionTable).
 */
export function admissionRefusal(i: AdmissionInput): Refusal | undefined {
  if (i.pendingFromSource >= i.maxPendingPerSource) {
    return { status: 503, reason: 'Service Unavailable (set-ups per source address)', retryAfterS: i.retryAfterS, limit: 'pending-per-source' };
  }
  if (i.live >= i.maxSessions) {
    return { status: 503, reason: 'Service Unavailable (session limit)', retryAfterS: i.retryAfterS, limit: 'sessions' };
  }
  if (i.msrpConnectionRoom < MSRP_CONNECTIONS_PER_SESSION) {
    return { status: 503, reason: 'Service Unavailable (MSRP connection limit)', retryAfterS: i.retryAfterS, limit: 'msrp-connections' };
  }
  if (i.callerSessions >= i.maxPerUser || i.calleeSessions >= i.maxPerUser) {
    return { status: 486, reason: 'Busy Here (session limit per user)', limit: 'per-user' };
  }
  return undefined;
}
