/**
 * OMA IM 7.2.1.5: may this INVITE to an IM Session Identity (join or rejoin a group session)
 * be accepted? Steps 1-4 in the clause's order; the first that fails decides the answer.
 * Steps 5-10 (200 with the SDP answer, MSRP switch, NOTIFY) are the caller's.
 */
import { refuse, type SipRefusal } from '../../util/sip-refusal';
import { sameAddress } from './address';
import { permissionsFor, type Permissions } from './common-policy';
import type { GroupView, ParticipantView } from './types';

/** The session being joined, as far as the joining policy is concerned. */
export type JoinTarget =
  | { readonly kind: 'predefined'; readonly group: GroupView }
  | {
      readonly kind: 'adhoc';
      readonly initiator: string;
      /** the URI list the session was created with (RFC 5366) and anyone invited since */
      readonly invited: readonly string[];
      /** operator configuration: an ad-hoc session has no group document to say */
      readonly allowAnonymity: boolean;
    };

export interface JoinSnapshot {
  readonly target: JoinTarget;
  /** the session's Participants now (the joiner may be among them, disconnected, on a rejoin) */
  readonly participants: readonly ParticipantView[];
  /** warn-agent of the Warning header: this server's host name */
  readonly host: string;
}

export interface JoinRequest {
  /** the Authenticated Originator's IM Address */
  readonly originator: string;
  /** the request's Privacy header contains "id" (RFC 3323) */
  readonly anonymityRequested: boolean;
  /** step 4, decided by the SDP layer: the MSRP media parameters are acceptable */
  readonly mediaAcceptable: boolean;
}

export type JoinDecision =
  | { readonly allowed: true; readonly permissions?: Permissions }
  | { readonly allowed: false; readonly step: 1 | 2 | 3 | 4; readonly refusal: SipRefusal };

const CLAUSE = 'OMA IM 7.2.1.5';

export function decideJoin(s: JoinSnapshot, req: JoinRequest): JoinDecision {
  const t = s.target;
  const permissions = t.kind === 'predefined' ? permissionsFor(t.group, req.originator) : undefined;

  // 7.2.1.5 step 1: the joining policy (7.2.2.9): the group's rules must allow this originator.
  // An ad-hoc session has no rules: whoever was invited (or started it) may join.
  const mayJoin =
    permissions !== undefined
      ? permissions.joinHandling === 'allow'
      : t.kind === 'adhoc' && (sameAddress(t.initiator, req.originator) || t.invited.some((u) => sameAddress(u, req.originator)));
  if (!mayJoin) {
    return { allowed: false, step: 1, refusal: refuse(403, 'Forbidden', `${CLAUSE} step 1`, { agent: s.host, text: 'Not allowed to join this group session' }) };
  }

  // 7.2.1.5 step 2: a pre-defined group's <max-participant-count> already reached -> 486 with
  // Warning "Too many participants". Counted: connected Participants other than the joiner
  // (a rejoiner still listed from before does not take its own place).
  if (t.kind === 'predefined' && t.group.maxParticipantCount !== undefined) {
    const present = s.participants.filter((p) => p.connected && !sameAddress(p.uri, req.originator)).length;
    if (present >= t.group.maxParticipantCount) {
      return { allowed: false, step: 2, refusal: refuse(486, 'Busy Here', `${CLAUSE} step 2`, { agent: s.host, text: 'Too many participants' }) };
    }
  }

  // 7.2.1.5 step 3: anonymity (Privacy: id) must be allowed by <allow-anonymity> for this originator.
  if (req.anonymityRequested) {
    const anonymityAllowed = permissions !== undefined ? permissions.allowAnonymity : t.kind === 'adhoc' && t.allowAnonymity;
    if (!anonymityAllowed) {
      return { allowed: false, step: 3, refusal: refuse(403, 'Forbidden', `${CLAUSE} step 3`, { agent: s.host, text: 'Anonymity not allowed in this group session' }) };
    }
  }

  // 7.2.1.5 step 4: MSRP media parameters unacceptable -> 488.
  if (!req.mediaAcceptable) {
    return { allowed: false, step: 4, refusal: refuse(488, 'Not Acceptable Here', `${CLAUSE} step 4`, { agent: s.host, text: 'MSRP media parameters not acceptable' }) };
  }

  // 7.2.1.5 step 5: accept.
  return permissions === undefined ? { allowed: true } : { allowed: true, permissions };
}
