// What the controlling IM function (conference focus) is built with and what it counts.
import type { Logger } from '../../log';
import type { Flow } from '../../sip/message/types';
import type { DialogState } from '../../sip/message/dialog';
import type { ReplacesTarget } from '../../sip/message/replaces';
import type { SipStack, SipTimers } from '../../sip/stack';
import type { MsrpNet } from '../../msrp/net';
import type { AuthGate } from '../../core/auth/gate';
import type { Registrar } from '../../core/registrar';
import type { GroupDocument } from '../../xml';
import type { ReleaseConfig } from '../policies';
import type { GroupSessionRepository } from '../../store';

export interface ControllingOptions {
  /** The served domain: the factory is conference-factory@domain, groups <id>@domain. */
  readonly domain: string;
  /** Host and port written in the focus's Contact (the IM Session Identity routes back here). */
  readonly sipHost: string;
  readonly sipPort: number;
  /** Address and port written in c= and the MSRP URIs of the switch. */
  readonly msrp: { readonly address: string; readonly port: number };
  /** OMA IM 7.1.1.6 step 5 (server side): MAX-ADHOC-GROUP-SIZE, invitees of an ad-hoc list. */
  readonly maxAdhocGroupSize: number;
  /** Group sessions at once (beyond: 503 + Retry-After). */
  readonly maxSessions: number;
  /** Group sessions one user may have started and still running (beyond: 486), so one user cannot take them all. */
  readonly maxSessionsPerUser: number;
  /** Participants of one group session (the MSRP switch's cap; beyond: 486). */
  readonly maxParticipants: number;
  /** OMA IM 7.2.2.8: the operator's release policy (a group document overrides it). */
  readonly release: ReleaseConfig;
  /** Ad-hoc sessions have no group document: may a participant join anonymously (7.2.1.5 step 3)? */
  readonly adhocAllowAnonymity: boolean;
  /** How long the focus rings an invitee before it cancels the invitation. */
  readonly inviteTimeoutMs: number;
  /** A participant's MSRP connection must be up this long after its 200/ACK. */
  readonly msrpConnectTimeoutMs: number;
  /** A receiver whose leg stays congested this long is removed (7.2.1.9). */
  readonly slowReceiverMs: number;
  /** Largest message a participant may send (a=max-size). */
  readonly maxMessageSize?: number;
  readonly retryAfterS: number;
  readonly sipTimers: SipTimers;
  /** After a restart, how long stored participants have to rejoin before they are removed. */
  readonly rejoinWindowMs: number;
  /** The clock (tests pin it). */
  readonly now?: () => number;
}

/** A 1-1 dialog named by a Replaces (RFC 3891), found in the participating function. */
export interface ReplacedSession {
  /** the other party of the 1-1 session: its user name on this box */
  readonly peerUser: string;
  /** imedge's dialog with that peer, as imedge sees it (local tag = imedge's) */
  readonly peerDialog: DialogState;
  readonly peerFlows: readonly Flow[];
  /** ends the 1-1 session (BYE to both sides; 7.1.1.6 NOTE) */
  end(reason: string): void;
}

/**
 * Looks up the 1-1 session the initiator's Replaces names: its own dialog with imedge
 * (toTag = imedge's tag, fromTag = the initiator's), owned by that initiator.
 */
export type FindReplaced = (target: ReplacesTarget, initiatorUser: string) => ReplacedSession | undefined;

/** Something changed in a group session: the conference event package (RFC 4575) listens here. */
export type ConferenceEvent =
  | { readonly type: 'created'; readonly conference: string }
  /** the group's rules changed: who may watch is decided again (7.2.2.11) */
  | { readonly type: 'rules-changed'; readonly conference: string }
  | { readonly type: 'joined' | 'left' | 'removed'; readonly conference: string; readonly participant: string; readonly uri: string }
  | { readonly type: 'released'; readonly conference: string; readonly reason: string };

export interface ControllingDeps {
  readonly stack: () => SipStack;
  readonly registrar: Registrar;
  readonly auth: AuthGate;
  /** The MSRP listener shared with the 1-1 relay: every switch opens its sessions here. */
  readonly net: MsrpNet;
  /** Pre-defined group documents by id (undefined: no such group). */
  readonly group: (id: string) => GroupDocument | undefined;
  readonly findReplaced?: FindReplaced;
  /** Where group sessions outlive a power cut; without it they live in memory only. */
  readonly groupSessions?: GroupSessionRepository;
  /** Group commit of the store (Store.grouped). */
  readonly grouped?: (fn: () => void) => Promise<void>;
  readonly onEvent?: (event: ConferenceEvent) => void;
  readonly log: Logger;
}

/** Failures and decisions of the focus, for logs, metrics and tests. */
export interface ControllingStats {
  sessionsCreated: number;
  sessionsReleased: number;
  joins: number;
  /** 7.2.1.5 refusals, by step 1-4 */
  joinRefusals: number;
  invitationsSent: number;
  invitationsAccepted: number;
  invitationsDeclined: number;
  /** 7.2.1.9: participants the focus removed (slow, lost, policy) */
  removals: number;
  /** 1-1 sessions ended because a group replaced them (RFC 3891) */
  replaced: number;
  /** new group sessions refused at a limit */
  admissionRefusals: number;
  asyncErrors: number;
  /** sessions restored from the store after a restart */
  restored: number;
}

export function newControllingStats(): ControllingStats {
  return {
    sessionsCreated: 0,
    sessionsReleased: 0,
    joins: 0,
    joinRefusals: 0,
    invitationsSent: 0,
    invitationsAccepted: 0,
    invitationsDeclined: 0,
    removals: 0,
    replaced: 0,
    admissionRefusals: 0,
    asyncErrors: 0,
    restored: 0,
  };
}
