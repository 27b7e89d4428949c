// One back-to-back IM session as the participating function holds it in memory.
import type { DialogState } from '../../sip/message/dialog';
import type { Flow } from '../../sip/message/types';
import type { AckWait, IncomingRequest } from '../../sip/stack';
import type { MediaFields } from '../../sdp';

export type LegName = 'caller' | 'callee';
export type SessionKind = '1-1' | 'large-message';

/** imedge's RFC 6135 role on one MSRP leg: 'active' dials the client, 'passive' waits for it. */
export type MsrpRole = 'active' | 'passive';

export interface Leg {
  user: string;
  /** Dialog with this client; the callee's exists once it answered. */
  dialog?: DialogState;
  /** Where in-dialog requests to this client go first. */
  flows: Flow[];
  /** Its current MSRP stream (offer or answer). */
  media?: MediaFields;
  /** Our MSRP URI this client connects to. */
  ourUri: string;
  /** Who opens this leg's MSRP connection, once known (the callee's: from its answer). */
  msrpRole?: MsrpRole;
  /** A BYE went either way on this dialog: a late 2xx in it is ACKed, never BYEd again. */
  ended?: boolean;
}

export class B2bSession {
  state: 'early' | 'confirmed' | 'terminated' = 'early';
  /** The caller's INVITE until it is answered finally (a 2xx: until its ACK). */
  invite?: IncomingRequest;
  /** Cancels our INVITE toward the callee(s) while it is pending. */
  cancelCallee: (() => void)[] = [];
  /** Our 2xx to the caller, resent over UDP until its ACK (RFC 3261 13.3.1.4). */
  ackWait?: AckWait;
  /** The caller offered passive: imedge dials it once the caller's ACK came (RFC 3261 15: no BYE before it). */
  callerDialPending = false;
  /** Releases a session whose clients never connected their MSRP legs. */
  connectTimer?: NodeJS.Timeout;
  /** Releases a session still early this long after the caller's INVITE (no state lives forever). */
  setupTimer?: NodeJS.Timeout;
  /** A re-INVITE from a client being relayed; answered 487 if the session ends first (RFC 3261 15.1.2). */
  pendingReinvite?: IncomingRequest;
  /**
   * Our 2xx to a client's re-INVITE, kept alive until its ACK (this leg, this CSeq; RFC 3261
   * 13.3.1.4). `wantsAnswer`: the 200 carried our offer, the ACK brings the answer (14.1).
   */
  reinviteAck?: { readonly leg: LegName; readonly seq: number; readonly wait: AckWait; readonly wantsAnswer: boolean };
  /** The leg pendingReinvite came from. */
  reinviteFrom?: LegName;
  /** Cancels our re-INVITE relaying pendingReinvite to the other leg (RFC 3261 9.1), while it is pending. */
  cancelReinvite?: () => void;
  /** A session row was queued for the store: release removes it. */
  persisted = false;
  /** The caller asked for privacy (RFC 3323/3325): the callee leg carries an anonymous From. */
  anonymous = false;
  /** o= version of our SDP, one up for every description we send. */
  sdpVersion = 0;
  /** A re-INVITE is being relayed; a second one gets 500 or 491 (RFC 3261 14.2, reinvite.ts). */
  modifying = false;
  readonly createdAt = Date.now();

  constructor(
    readonly id: string,
    readonly kind: SessionKind,
    readonly pairId: string,
    readonly caller: Leg,
    readonly callee: Leg,
  ) {}

  /** Re-read after every await: a BYE or a timer may have ended the session meanwhile. */
  get released(): boolean {
    return this.state === 'terminated';
  }

  leg(name: LegName): Leg {
    return name === 'caller' ? this.caller : this.callee;
  }

  other(name: LegName): LegName {
    return name === 'caller' ? 'callee' : 'caller';
  }

  clearTimers(): void {
    this.ackWait?.cancel();
    this.reinviteAck?.wait.cancel();
    this.reinviteAck = undefined;
    clearTimeout(this.connectTimer);
    clearTimeout(this.setupTimer);
    this.ackWait = undefined;
    this.connectTimer = undefined;
    this.setupTimer = undefined;
  }
}
