/**
 * What the policies read. Policies import nothing but util (STYLE layer table), so they state
 * their own view of a group document; the XML codec's GroupDocument (src/xml) has exactly this
 * shape and is passed in as is (structural typing; test/unit/im/policies/group-view.test.ts
 * keeps the two in step).
 */

export type JoinHandling = 'allow' | 'block';

export interface RuleActionsView {
  readonly joinHandling?: JoinHandling;
  readonly allowAnonymity?: boolean;
  readonly allowInitiateConference?: boolean;
  readonly allowConferenceState?: boolean;
}

export type IdentityExceptView = { readonly id: string } | { readonly domain: string };

export type RuleConditionView =
  | { readonly kind: 'is-list-member' }
  | {
      readonly kind: 'identity';
      readonly one: readonly string[];
      readonly many: readonly { readonly domain?: string; readonly except: readonly IdentityExceptView[] }[];
    }
  | { readonly kind: 'unsupported'; readonly ns: string; readonly name: string };

export interface PolicyRuleView {
  readonly id: string;
  readonly conditions: readonly RuleConditionView[];
  readonly actions: RuleActionsView;
}

/** OMA IM 7.2.2.8: release-policy values of the group definition (they override the operator's). */
export interface ReleaseOverridesView {
  readonly autoRelease?: boolean;
  /** seconds; 0 means no limit */
  readonly sessionMaxLength?: number;
  readonly numberOfRemainingParticipants?: 0 | 1;
}

export interface GroupView {
  readonly uri: string;
  readonly entries: readonly { readonly uri: string }[];
  readonly inviteMembers?: boolean;
  readonly maxParticipantCount?: number;
  readonly rules: readonly PolicyRuleView[];
  readonly release: ReleaseOverridesView;
}

/**
 * A Participant of a session: joined and not left (no BYE from it, not removed by the server).
 * `connected` is false while its MSRP connection is down and it may still rejoin (after a
 * restart every participant starts so); it is still a Participant.
 */
export interface ParticipantView {
  readonly uri: string;
  readonly connected: boolean;
  /** joined with Privacy: id (RFC 3323), so its anonymity must stay allowed (7.2.2.8 rule 2a) */
  readonly anonymous?: boolean;
}

/** 1-1 sessions, ad-hoc group sessions (conference factory), pre-defined group sessions. */
export type SessionKind = '1-1' | 'adhoc' | 'predefined';
