// One group session hosted by the focus, and its participants. State only: what happens to it
// lives in focus.ts (entry points), join.ts, invite.ts and release.ts.
import type { AckWait } from '../../sip/stack';
import type { DialogState } from '../../sip/message/dialog';
import type { Flow } from '../../sip/message/types';
import type { MsrpSwitch } from '../../msrp/switch';
import type { GroupView, ParticipantView } from '../policies';
import { addressKey } from '../policies';

export type MemberState =
  /** the focus invited it and waits for the answer */
  | 'invited'
  /** answered (200 sent or received), MSRP leg being opened */
  | 'connecting'
  /** a Participant: dialog confirmed and MSRP leg bound */
  | 'joined'
  /** a Participant from before a restart: its dialog and leg are gone, it may rejoin (7.2.1.5) */
  | 'disconnected'
  /** left, removed or declined: gone from every map */
  | 'gone';

export class Member {
  state: MemberState = 'connecting';
  dialog: DialogState | undefined;
  flows: Flow[] = [];
  /** imedge's MSRP role toward it (RFC 6135) */
  msrpRole: 'active' | 'passive' = 'passive';
  /** our 2xx resent until its ACK (RFC 3261 13.3.1.4) */
  ackWait: AckWait | undefined;
  /** an active leg waits for the ACK before the focus dials (RFC 3261 15: BYE only after ACK) */
  dialAfterAck = false;
  /** cancels our INVITE branches to an invitee */
  cancelInvite: (() => void)[] = [];
  timer: NodeJS.Timeout | undefined;
  /** a BYE went to it or came from it: no second one */
  byeDone = false;
  /** the focus invited it (RFC 4575 joining-method dialed-out) */
  invitedByFocus = false;

  constructor(
    /** the switch's participant id; also the member's key in the conference */
    readonly pid: string,
    /** its IM Address (sip:user@domain): who it is, whatever its anonymity */
    readonly uri: string,
    /** Privacy: id (RFC 3323): shown to the others as anonymous */
    readonly anonymous: boolean,
  ) {}

  get key(): string {
    return addressKey(this.uri);
  }

  clearTimers(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.ackWait?.cancel();
    this.ackWait = undefined;
  }
}

export type ConferenceKind = 'adhoc' | 'predefined';

export class Conference {
  state: 'active' | 'released' = 'active';
  readonly members = new Map<string, Member>();
  /** ad-hoc: the URI list it was created with and anyone invited since (7.2.1.5 step 1) */
  readonly invited: string[] = [];
  /** invitations still unanswered from the set-up (7.2.2.8: counting waits until they settle) */
  pendingInvitations = 0;
  releaseTimer: NodeJS.Timeout | undefined;
  /** after a restart: members that have not rejoined by then are removed */
  rejoinTimer: NodeJS.Timeout | undefined;
  /** pre-defined: the group document now (changes and deletion update it) */
  group: GroupView | undefined;
  /** pre-defined: the group's <display-name>, shown in the conference state */
  displayName: string | undefined;

  constructor(
    readonly id: string,
    readonly kind: ConferenceKind,
    /** the IM Session Identity (Contact URI of the focus, without ;isfocus) */
    readonly identity: string,
    /** who started it (7.2.2.8 rules 1a/1b) */
    readonly initiator: string,
    readonly createdAt: number,
    readonly sw: MsrpSwitch,
    /** pre-defined: the group id (sip:<groupId>@domain) */
    readonly groupId?: string,
  ) {}

  /** The member with this IM Address, whatever its state. */
  byAddress(uri: string): Member | undefined {
    const k = addressKey(uri);
    for (const m of this.members.values()) if (m.key === k) return m;
    return undefined;
  }

  /**
   * Participants as the policies see them: joined ones, and those answered whose MSRP leg is
   * still coming up. Both hold a place (7.2.1.5 step 2): counting only joined ones let a burst
   * of joins past max-participant-count (attack finding).
   */
  participantViews(): ParticipantView[] {
    const out: ParticipantView[] = [];
    for (const m of this.members.values()) {
      if (m.state === 'joined' || m.state === 'connecting') out.push({ uri: m.uri, connected: true, anonymous: m.anonymous });
      else if (m.state === 'disconnected') out.push({ uri: m.uri, connected: false, anonymous: m.anonymous });
    }
    return out;
  }

  get participantCount(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.state === 'joined' || m.state === 'connecting' || m.state === 'disconnected') n++;
    return n;
  }
}
