// OMA IM 7.2.2.3, the IM Session initiation policy for pre-defined groups.
import { decideInitiation } from '../../../../src/im/policies';
import { ALICE, BOB, CAROL, DAVE, ERIN, group, HOST, MALLORY, membersRule } from './helpers';

test('7.2.2.3 paragraph 1: an originator without <allow-initiate-conference> gets 403', () => {
  const d = decideInitiation(group(), MALLORY, HOST);
  expect(d.allowed).toBe(false);
  if (d.allowed) return;
  expect([d.refusal.status, d.refusal.reason, d.refusal.warningHeader()]).toEqual([403, 'Forbidden', `399 ${HOST} "Not allowed to initiate a session of this group"`]);
});

test('7.2.2.3 paragraph 1: a member allowed to join but not to initiate gets 403', () => {
  const g = group({ rules: [{ ...membersRule(), actions: { joinHandling: 'allow', allowInitiateConference: false } }] });
  expect(decideInitiation(g, ALICE, HOST).allowed).toBe(false);
});

test('7.2.2.3 paragraph 2: <invite-members>true invites the <list> minus the initiator, in list order', () => {
  const d = decideInitiation(group(), BOB, HOST);
  expect(d).toMatchObject({ allowed: true, invite: [ALICE, CAROL, DAVE], notInvited: [] });
});

test('7.2.2.3 paragraph 2: <invite-members> false or absent invites nobody (the session starts with the initiator)', () => {
  expect(decideInitiation(group({ inviteMembers: false }), ALICE, HOST)).toMatchObject({ allowed: true, invite: [] });
  expect(decideInitiation(group({ inviteMembers: undefined }), ALICE, HOST)).toMatchObject({ allowed: true, invite: [] });
});

test('7.2.2.3 paragraph 3: more members than <max-participant-count> -> only that many Participants, the initiator counted', () => {
  const g = group({ entries: [ALICE, BOB, CAROL, DAVE, ERIN].map((uri) => ({ uri })), maxParticipantCount: 3 });
  const d = decideInitiation(g, ALICE, HOST);
  // 3 Participants: Alice (initiator) + the first two others of the list.
  expect(d).toMatchObject({ allowed: true, invite: [BOB, CAROL], notInvited: [DAVE, ERIN] });
});

test('7.2.2.3 paragraph 3: an initiator allowed by identity but not on the list still takes a place', () => {
  const g = group({
    entries: [BOB, CAROL, DAVE].map((uri) => ({ uri })),
    maxParticipantCount: 2,
    rules: [membersRule(), { id: 'boss', conditions: [{ kind: 'identity', one: [MALLORY], many: [] }], actions: { allowInitiateConference: true } }],
  });
  expect(decideInitiation(g, MALLORY, HOST)).toMatchObject({ allowed: true, invite: [BOB], notInvited: [CAROL, DAVE] });
});

test('7.2.2.3: the initiator in another spelling is not invited; max-participant-count 1 invites nobody', () => {
  expect(decideInitiation(group(), 'sip:alice@Example.COM:5060', HOST)).toMatchObject({ invite: [BOB, CAROL, DAVE] });
  expect(decideInitiation(group({ maxParticipantCount: 1 }), ALICE, HOST)).toMatchObject({ invite: [], notInvited: [BOB, CAROL, DAVE] });
});
