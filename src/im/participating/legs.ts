// Opening each MSRP leg of a 1-1 session in the direction RFC 6135 gives it (RFC 4975 5.4 for
// a peer without a=setup). The direction itself is decided in one place,
// src/sdp/connection-role.ts; here it is carried out on the relay.
import type { ConnectOutcome, MsrpRelay } from '../../msrp/relay';
import type { Connector } from '../../sdp';
import type { MsrpRole } from './session';

/** imedge's role from who connects: 'we' dial (active), 'peer' dials us (passive); holdconn has none. */
export function roleOf(connects: Connector): MsrpRole | undefined {
  if (connects === 'we') return 'active';
  if (connects === 'peer') return 'passive';
  return undefined;
}

export interface LegTimeouts {
  /** How long a passive leg waits for its client to connect and bind. */
  readonly waitMs: number;
  /** How long imedge's own connect (TCP and the binding SEND's 200) may take. */
  readonly connectMs: number;
}

/**
 * Passive: wait for the client's connection (bounded). Active: dial the first URI of the
 * client's a=path and bind it with an empty SEND (MsrpRelay.connectSide).
 */
export async function openLeg(relay: MsrpRelay, pairId: string, side: 'a' | 'b', role: MsrpRole, t: LegTimeouts): Promise<ConnectOutcome> {
  if (role === 'active') return relay.connectSide(pairId, side, t.connectMs);
  return (await relay.waitBound(pairId, side, t.waitMs)) ? 'connected' : 'timeout';
}

export interface LegFailure {
  readonly status: 480 | 503;
  readonly reason: string;
  /** 503 at a local limit: the caller may retry later (Retry-After). */
  readonly retryAfter: boolean;
}

/**
 * The caller's final answer when the callee's leg could not be opened: the MSRP connection
 * limit is ours (503 + Retry-After, said at once); anything else is the callee's media being
 * unreachable (480).
 */
export function legFailure(outcome: Exclude<ConnectOutcome, 'connected'>, who: string): LegFailure {
  if (outcome === 'limit') return { status: 503, reason: 'Service Unavailable (MSRP connection limit)', retryAfter: true };
  // One reason phrase for every way the dial failed (the log has the outcome): a caller whose
  // accomplice answers with an a=path of its choice must not learn whether that port was
  // closed, silent or speaking something else (imedge as a port scanner, attack finding).
  return { status: 480, reason: `Temporarily Unavailable (${who} MSRP connection not established)`, retryAfter: false };
}
