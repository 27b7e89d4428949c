/**
 * OMA IM 7.2.2.3: may this originator start a session of a pre-defined group, and whom does
 * the server invite?
 */
import { refuse, type SipRefusal } from '../../util/sip-refusal';
import { addressKey } from './address';
import { permissionsFor, type Permissions } from './common-policy';
import type { GroupView } from './types';

export type InitiationDecision =
  | {
      readonly allowed: true;
      readonly permissions: Permissions;
      /** group members to invite, in <list> order; empty when <invite-members> is not true */
      readonly invite: readonly string[];
      /** members left out because of <max-participant-count> */
      readonly notInvited: readonly string[];
    }
  | { readonly allowed: false; readonly refusal: SipRefusal };

const CLAUSE = 'OMA IM 7.2.2.3';

/**
 * 7.2.2.3 paragraph 1: initiate only if the originator is allowed <allow-initiate-conference>.
 * Paragraph 2: invite the members of <list> when <invite-members> is "true" (absent is not true).
 * Paragraph 3: if the members exceed <max-participant-count>, invite only that many. The
 * initiator counts as one of them: <max-participant-count> bounds the Participants of the
 * session (7.2.1.5 step 2 applies it to them), and the initiator is a Participant from the
 * start, so at most max-participant-count - 1 others are invited. Which members is left open
 * by the clause's NOTE; imedge takes them in <list> order.
 */
export function decideInitiation(group: GroupView, originator: string, host: string): InitiationDecision {
  const permissions = permissionsFor(group, originator);
  if (!permissions.allowInitiateConference) {
    return {
      allowed: false,
      refusal: refuse(403, 'Forbidden', `${CLAUSE} paragraph 1`, { agent: host, text: 'Not allowed to initiate a session of this group' }),
    };
  }
  if (group.inviteMembers !== true) return { allowed: true, permissions, invite: [], notInvited: [] };

  const self = addressKey(originator);
  const seen = new Set<string>([self]);
  const members: string[] = [];
  for (const e of group.entries) {
    const k = addressKey(e.uri);
    if (seen.has(k)) continue; // the initiator is already in; a member listed twice is invited once
    seen.add(k);
    members.push(e.uri);
  }
  const room = group.maxParticipantCount === undefined ? members.length : Math.max(0, group.maxParticipantCount - 1);
  return { allowed: true, permissions, invite: members.slice(0, room), notInvited: members.slice(room) };
}
