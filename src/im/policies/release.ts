/**
 * OMA IM 7.2.2.8, the IM Session release policy: after something happened to a session, keep
 * it, release it (the caller removes every remaining Participant per 7.2.1.9), or remove some
 * Participants. Pure: the time is an input; releaseDeadline() tells the caller when to arm
 * its one timer.
 */
import { addressKey, sameAddress } from './address';
import { permissionsFor } from './common-policy';
import type { GroupView, ParticipantView, SessionKind } from './types';

/** The operator-configurable variables of 7.2.2.8. */
export interface ReleaseConfig {
  /** auto-release (true/false) */
  readonly autoRelease: boolean;
  /** session max length, seconds; 0 means no limit */
  readonly sessionMaxLengthS: number;
  /** number-of-remaining-participants (0/1) */
  readonly remainingParticipants: 0 | 1;
}

/** The variables in force for one session. */
export interface EffectiveRelease {
  readonly autoRelease: boolean;
  readonly sessionMaxLengthS: number;
  readonly remainingParticipants: 0 | 1;
}

export type ReleaseEvent =
  /** 7.2.1.10: BYE received from this Participant */
  | { readonly kind: 'participant-left'; readonly uri: string }
  /** 7.2.1.9: the server removed this Participant */
  | { readonly kind: 'participant-removed'; readonly uri: string }
  /** every invitation sent at set-up has been answered (accepted or not): who is in is now known */
  | { readonly kind: 'invitations-settled' }
  /** the timer armed for releaseDeadline() fired */
  | { readonly kind: 'timer' }
  /** the pre-defined group was deleted */
  | { readonly kind: 'group-deleted' }
  /** the pre-defined group's document changed; the snapshot carries the new one */
  | { readonly kind: 'group-changed' };

export interface ReleaseSnapshot {
  readonly kind: SessionKind;
  /** the originator of the session (who sent the INVITE that created it) */
  readonly initiator: string;
  /** Participants after the event (one that left or was removed may be listed or not: it is not counted) */
  readonly participants: readonly ParticipantView[];
  /** pre-defined sessions: the group document now; undefined once deleted */
  readonly group?: GroupView;
  readonly operator: ReleaseConfig;
  /** epoch ms */
  readonly createdAt: number;
  readonly now: number;
  readonly event: ReleaseEvent;
}

export type ReleaseRule = '1a' | '1b' | '1c' | '1d' | '1e' | '1f';

export type ReleaseDecision =
  | { readonly action: 'keep' }
  /** 7.2.2.8 rule 1x: remove the rest of the Participants (each by 7.2.1.9) and release the session */
  | { readonly action: 'release'; readonly rule: ReleaseRule; readonly reason: string; readonly remove: readonly string[] }
  /** 7.2.2.8 rule 2a: remove these Participants (each by 7.2.1.9); the session goes on */
  | { readonly action: 'remove'; readonly rule: '2a'; readonly reason: string; readonly remove: readonly string[] };

/**
 * 7.2.2.8: "In case of overlapping definitions, the Group definition takes precedence": each
 * variable the group document sets replaces the operator's. Only pre-defined sessions have one.
 */
export function effectiveRelease(kind: SessionKind, group: GroupView | undefined, operator: ReleaseConfig): EffectiveRelease {
  const g = kind === 'predefined' ? group?.release : undefined;
  return {
    autoRelease: g?.autoRelease ?? operator.autoRelease,
    sessionMaxLengthS: g?.sessionMaxLength ?? operator.sessionMaxLengthS,
    remainingParticipants: g?.numberOfRemainingParticipants ?? operator.remainingParticipants,
  };
}

/** When "session max length" ends (epoch ms), or undefined when there is no limit: arm one timer for it. */
export function releaseDeadline(s: Pick<ReleaseSnapshot, 'kind' | 'group' | 'operator' | 'createdAt'>): number | undefined {
  const { sessionMaxLengthS } = effectiveRelease(s.kind, s.group, s.operator);
  return sessionMaxLengthS > 0 ? s.createdAt + sessionMaxLengthS * 1000 : undefined;
}

const release = (rule: ReleaseRule, reason: string, remove: readonly string[]): ReleaseDecision => ({ action: 'release', rule, reason, remove });

/** Who is no longer allowed under the group's (new) rules: join-handling, and anonymity for those who joined anonymously. */
function noLongerAllowed(group: GroupView, participants: readonly ParticipantView[]): string[] {
  return participants
    .filter((p) => {
      const perm = permissionsFor(group, p.uri);
      return perm.joinHandling !== 'allow' || (p.anonymous === true && !perm.allowAnonymity);
    })
    .map((p) => p.uri);
}

/**
 * Rules 1a-1f are checked in the clause's order, then 2a. The counting rules (1c, 1d) are
 * checked when the number of Participants can have dropped (a Participant left or was removed,
 * the group changed) or has just become known (invitations settled): a pre-defined or ad-hoc
 * session starts with its initiator alone while the invitations are out, and releasing it then
 * would end every session before it began.
 */
export function decideRelease(s: ReleaseSnapshot): ReleaseDecision {
  const ev = s.event;
  const policy = effectiveRelease(s.kind, s.group, s.operator);
  const subject = ev.kind === 'participant-left' || ev.kind === 'participant-removed' ? addressKey(ev.uri) : undefined;
  let remaining = s.participants.filter((p) => addressKey(p.uri) !== subject);
  const rest = (): string[] => remaining.map((p) => p.uri);
  const initiatorLeft = subject !== undefined && subject === addressKey(s.initiator);

  // Rule 2a is computed first because its removals feed rules 1b and 1d below.
  let removedBy2a: string[] = [];
  if (ev.kind === 'group-changed' && s.kind === 'predefined' && s.group !== undefined) {
    removedBy2a = noLongerAllowed(s.group, remaining);
    const gone = new Set(removedBy2a.map(addressKey));
    remaining = remaining.filter((p) => !gone.has(addressKey(p.uri)));
  }
  const initiatorRemovedBy2a = removedBy2a.some((u) => sameAddress(u, s.initiator));

  // 1a) an Ad-hoc or 1-1 session whose originator leaves (NOTE 1: whatever auto-release says).
  if ((s.kind === 'adhoc' || s.kind === '1-1') && initiatorLeft) {
    return release('1a', `the originator left the ${s.kind} session`, rest());
  }
  // 1b) a Pre-defined session whose originator leaves, with auto-release "true".
  if (s.kind === 'predefined' && (initiatorLeft || initiatorRemovedBy2a) && policy.autoRelease) {
    return release('1b', 'the originator left and auto-release is true', [...rest(), ...removedBy2a]);
  }
  const counting = subject !== undefined || ev.kind === 'group-changed' || ev.kind === 'invitations-settled';
  // 1c) a 1-1 session with only one or no Participants (NOTE 2: whatever number-of-remaining-participants says).
  if (s.kind === '1-1' && counting && remaining.length <= 1) {
    return release('1c', `${remaining.length} participant(s) left in a 1-1 session`, rest());
  }
  // 1d) a Pre-defined or Ad-hoc session with as many as or less than number-of-remaining-participants.
  if (s.kind !== '1-1' && counting && remaining.length <= policy.remainingParticipants) {
    return release('1d', `${remaining.length} participant(s) left, number-of-remaining-participants is ${policy.remainingParticipants}`, [...rest(), ...removedBy2a]);
  }
  // 1e) the session has lasted the session max length.
  const deadline = releaseDeadline(s);
  if (deadline !== undefined && s.now >= deadline) {
    return release('1e', `the session lasted ${policy.sessionMaxLengthS} s (session max length)`, [...rest(), ...removedBy2a]);
  }
  // 1f) a Pre-defined session whose group was deleted.
  if (s.kind === 'predefined' && (ev.kind === 'group-deleted' || s.group === undefined)) {
    return release('1f', 'the group was deleted', rest());
  }
  // 2a) Participants the changed group definition no longer allows.
  if (removedBy2a.length > 0) {
    return { action: 'remove', rule: '2a', reason: 'no longer allowed by the group definition', remove: removedBy2a };
  }
  return { action: 'keep' };
}
