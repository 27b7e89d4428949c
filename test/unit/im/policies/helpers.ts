import type { GroupView, ParticipantView, PolicyRuleView } from '../../../../src/im/policies';

export const HOST = 'im.example.com';

export const ALICE = 'sip:alice@example.com';
export const BOB = 'sip:bob@example.com';
export const CAROL = 'sip:carol@example.com';
export const DAVE = 'sip:dave@example.com';
export const ERIN = 'sip:erin@example.com';
export const MALLORY = 'sip:mallory@elsewhere.example.net';

/** Members may join, initiate and see the conference state; anonymity as asked. */
export function membersRule(extra: Partial<PolicyRuleView['actions']> = {}): PolicyRuleView {
  return {
    id: 'members',
    conditions: [{ kind: 'is-list-member' }],
    actions: { joinHandling: 'allow', allowInitiateConference: true, allowConferenceState: true, ...extra },
  };
}

export function group(overrides: Partial<GroupView> = {}): GroupView {
  return {
    uri: 'sip:team@example.com',
    entries: [ALICE, BOB, CAROL, DAVE].map((uri) => ({ uri })),
    inviteMembers: true,
    rules: [membersRule()],
    release: {},
    ...overrides,
  };
}

export const on = (...uris: string[]): ParticipantView[] => uris.map((uri) => ({ uri, connected: true }));
export const off = (...uris: string[]): ParticipantView[] => uris.map((uri) => ({ uri, connected: false }));
