// OMA IM 7.2.2.8, the IM Session release policy: rules 1a-1f and 2a, group definition over operator config.
import { decideRelease, effectiveRelease, releaseDeadline, type ReleaseConfig, type ReleaseSnapshot } from '../../../../src/im/policies';
import { ALICE, BOB, CAROL, DAVE, group, membersRule, off, on } from './helpers';

const OPERATOR: ReleaseConfig = { autoRelease: false, sessionMaxLengthS: 0, remainingParticipants: 1 };
const T0 = 1_700_000_000_000;

function snap(over: Partial<ReleaseSnapshot> & Pick<ReleaseSnapshot, 'event'>): ReleaseSnapshot {
  return { kind: 'predefined', initiator: ALICE, participants: on(ALICE, BOB, CAROL), group: group(), operator: OPERATOR, createdAt: T0, now: T0 + 1000, ...over };
}

describe('rule 1a: 1-1 and ad-hoc sessions end when the originator leaves (NOTE 1)', () => {
  test('7.2.2.8 rule 1a: ad-hoc originator leaves -> release, the rest removed', () => {
    const d = decideRelease(snap({ kind: 'adhoc', group: undefined, participants: on(BOB, CAROL), event: { kind: 'participant-left', uri: ALICE } }));
    expect(d).toEqual({ action: 'release', rule: '1a', reason: 'the originator left the adhoc session', remove: [BOB, CAROL] });
  });

  test('7.2.2.8 rule 1a: whatever auto-release says (NOTE 1)', () => {
    const d = decideRelease(snap({ kind: 'adhoc', group: undefined, operator: { ...OPERATOR, autoRelease: false, remainingParticipants: 0 }, event: { kind: 'participant-left', uri: ALICE } }));
    expect(d).toMatchObject({ action: 'release', rule: '1a' });
  });

  test('7.2.2.8 rule 1a: 1-1 originator leaves', () => {
    const d = decideRelease(snap({ kind: '1-1', group: undefined, participants: on(ALICE, BOB), event: { kind: 'participant-left', uri: ALICE } }));
    expect(d).toMatchObject({ action: 'release', rule: '1a', remove: [BOB] });
  });

  test('7.2.2.8 rule 1a: the originator removed by the server counts as leaving', () => {
    const d = decideRelease(snap({ kind: 'adhoc', group: undefined, event: { kind: 'participant-removed', uri: ALICE } }));
    expect(d).toMatchObject({ action: 'release', rule: '1a', remove: [BOB, CAROL] });
  });

  test('7.2.2.8 rule 1a: the originator is recognised in another spelling of the same address', () => {
    const d = decideRelease(snap({ kind: 'adhoc', group: undefined, event: { kind: 'participant-left', uri: 'sip:alice@EXAMPLE.com;transport=tcp' } }));
    expect(d).toMatchObject({ action: 'release', rule: '1a', remove: [BOB, CAROL] });
  });

  test('an ad-hoc participant other than the originator leaving does not end it (3 left, remaining 1)', () => {
    const d = decideRelease(snap({ kind: 'adhoc', group: undefined, participants: on(ALICE, CAROL, DAVE), event: { kind: 'participant-left', uri: BOB } }));
    expect(d).toEqual({ action: 'keep' });
  });
});

describe('rule 1b: pre-defined sessions and auto-release', () => {
  test('7.2.2.8 rule 1b: originator leaves with auto-release true -> release', () => {
    const d = decideRelease(snap({ operator: { ...OPERATOR, autoRelease: true }, participants: on(BOB, CAROL), event: { kind: 'participant-left', uri: ALICE } }));
    expect(d).toMatchObject({ action: 'release', rule: '1b', remove: [BOB, CAROL] });
  });

  test('7.2.2.8 auto-release false: the session goes on without its originator', () => {
    const d = decideRelease(snap({ participants: on(BOB, CAROL), event: { kind: 'participant-left', uri: ALICE } }));
    expect(d).toEqual({ action: 'keep' });
  });

  test('7.2.2.8 precedence: <auto-release> in the group definition overrides the operator value', () => {
    const g = group({ release: { autoRelease: true } });
    expect(decideRelease(snap({ group: g, event: { kind: 'participant-left', uri: ALICE } }))).toMatchObject({ rule: '1b' });
    const g2 = group({ release: { autoRelease: false } });
    expect(decideRelease(snap({ group: g2, operator: { ...OPERATOR, autoRelease: true }, event: { kind: 'participant-left', uri: ALICE } }))).toEqual({ action: 'keep' });
  });
});

describe('rule 1c: 1-1 sessions with one or no Participants (NOTE 2)', () => {
  test('7.2.2.8 rule 1c: the peer leaves a 1-1 session -> release', () => {
    const d = decideRelease(snap({ kind: '1-1', group: undefined, participants: on(ALICE), event: { kind: 'participant-left', uri: BOB } }));
    expect(d).toMatchObject({ action: 'release', rule: '1c', remove: [ALICE] });
  });

  test('7.2.2.8 rule 1c: whatever number-of-remaining-participants says (NOTE 2)', () => {
    const d = decideRelease(snap({ kind: '1-1', group: undefined, operator: { ...OPERATOR, remainingParticipants: 0 }, participants: on(ALICE, BOB), event: { kind: 'participant-left', uri: BOB } }));
    expect(d).toMatchObject({ action: 'release', rule: '1c' });
  });
});

describe('rule 1d: number-of-remaining-participants', () => {
  test('7.2.2.8 rule 1d: pre-defined session down to 1 Participant with the value 1 -> release', () => {
    const d = decideRelease(snap({ participants: on(ALICE), event: { kind: 'participant-left', uri: BOB } }));
    expect(d).toMatchObject({ action: 'release', rule: '1d', remove: [ALICE] });
  });

  test('7.2.2.8 rule 1d: with the value 0 the last Participant may stay; at 0 the session ends', () => {
    const op = { ...OPERATOR, remainingParticipants: 0 as const };
    expect(decideRelease(snap({ operator: op, participants: on(ALICE), event: { kind: 'participant-left', uri: BOB } }))).toEqual({ action: 'keep' });
    expect(decideRelease(snap({ operator: op, participants: [], event: { kind: 'participant-left', uri: ALICE } }))).toMatchObject({ action: 'release', rule: '1d', remove: [] });
  });

  test('7.2.2.8 rule 1d: ad-hoc sessions too', () => {
    const d = decideRelease(snap({ kind: 'adhoc', group: undefined, participants: on(ALICE, BOB), event: { kind: 'participant-left', uri: BOB } }));
    expect(d).toMatchObject({ action: 'release', rule: '1d', remove: [ALICE] });
  });

  test('7.2.2.8 rule 1d: the participant that left is not counted even if the caller still lists it', () => {
    const d = decideRelease(snap({ participants: on(ALICE, BOB), event: { kind: 'participant-left', uri: BOB } }));
    expect(d).toMatchObject({ action: 'release', rule: '1d', remove: [ALICE] });
  });

  test('7.2.2.8 rule 1d: a disconnected Participant (awaiting rejoin, e.g. after a restart) still counts', () => {
    const d = decideRelease(snap({ participants: [...on(ALICE), ...off(CAROL)], event: { kind: 'participant-left', uri: BOB } }));
    expect(d).toEqual({ action: 'keep' });
  });

  test('7.2.2.8 precedence: <number-of-remaining-participants> in the group overrides the operator value', () => {
    const g = group({ release: { numberOfRemainingParticipants: 0 } });
    expect(decideRelease(snap({ group: g, participants: on(ALICE), event: { kind: 'participant-left', uri: BOB } }))).toEqual({ action: 'keep' });
  });

  test('7.2.2.8 rule 1d: when the invitations are settled, an initiator left alone ends the session', () => {
    expect(decideRelease(snap({ kind: 'adhoc', group: undefined, participants: on(ALICE), event: { kind: 'invitations-settled' } }))).toMatchObject({ rule: '1d' });
  });

  test('7.2.2.8 rule 1d is not applied to a timer event: a session just set up with the initiator alone is kept', () => {
    expect(decideRelease(snap({ participants: on(ALICE), event: { kind: 'timer' } }))).toEqual({ action: 'keep' });
  });
});

describe('rule 1e: session max length', () => {
  test('7.2.2.8 rule 1e: the timer at the deadline releases the session', () => {
    const op = { ...OPERATOR, sessionMaxLengthS: 600 };
    expect(releaseDeadline({ kind: 'predefined', group: group(), operator: op, createdAt: T0 })).toBe(T0 + 600_000);
    const d = decideRelease(snap({ operator: op, now: T0 + 600_000, event: { kind: 'timer' } }));
    expect(d).toEqual({ action: 'release', rule: '1e', reason: 'the session lasted 600 s (session max length)', remove: [ALICE, BOB, CAROL] });
  });

  test('7.2.2.8 rule 1e: a timer before the deadline keeps the session', () => {
    expect(decideRelease(snap({ operator: { ...OPERATOR, sessionMaxLengthS: 600 }, now: T0 + 599_999, event: { kind: 'timer' } }))).toEqual({ action: 'keep' });
  });

  test('7.2.2.8 rule 1e: any event after the deadline releases (the timer may have been lost in a restart)', () => {
    const d = decideRelease(snap({ operator: { ...OPERATOR, sessionMaxLengthS: 60 }, now: T0 + 3_600_000, participants: on(ALICE, CAROL), event: { kind: 'participant-left', uri: BOB } }));
    expect(d).toMatchObject({ action: 'release', rule: '1e' });
  });

  test('7.2.2.8 precedence: <session-max-length> of the group overrides the operator value; 0 means none', () => {
    const g = group({ release: { sessionMaxLength: 30 } });
    expect(releaseDeadline({ kind: 'predefined', group: g, operator: { ...OPERATOR, sessionMaxLengthS: 600 }, createdAt: T0 })).toBe(T0 + 30_000);
    expect(releaseDeadline({ kind: 'predefined', group: group({ release: { sessionMaxLength: 0 } }), operator: { ...OPERATOR, sessionMaxLengthS: 600 }, createdAt: T0 })).toBeUndefined();
    expect(releaseDeadline({ kind: 'predefined', group: group(), operator: OPERATOR, createdAt: T0 })).toBeUndefined();
  });

  test('7.2.2.8: ad-hoc and 1-1 sessions have no group definition: only the operator values apply', () => {
    const g = group({ release: { sessionMaxLength: 30, autoRelease: true, numberOfRemainingParticipants: 0 } });
    expect(effectiveRelease('adhoc', g, { ...OPERATOR, sessionMaxLengthS: 600 })).toEqual({ autoRelease: false, sessionMaxLengthS: 600, remainingParticipants: 1 });
    expect(effectiveRelease('predefined', g, OPERATOR)).toEqual({ autoRelease: true, sessionMaxLengthS: 30, remainingParticipants: 0 });
  });
});

describe('rule 1f: the pre-defined group is deleted', () => {
  test('7.2.2.8 rule 1f: group-deleted -> release, everyone removed', () => {
    const d = decideRelease(snap({ group: undefined, event: { kind: 'group-deleted' } }));
    expect(d).toEqual({ action: 'release', rule: '1f', reason: 'the group was deleted', remove: [ALICE, BOB, CAROL] });
  });
});

describe('rule 2a: the group definition changes', () => {
  test('7.2.2.8 rule 2a: a member taken off the <list> (rules grant members only) is removed from the session', () => {
    const g = group({ entries: [ALICE, BOB, DAVE].map((uri) => ({ uri })) });
    const d = decideRelease(snap({ group: g, participants: on(ALICE, BOB, CAROL, DAVE), event: { kind: 'group-changed' } }));
    expect(d).toEqual({ action: 'remove', rule: '2a', reason: 'no longer allowed by the group definition', remove: [CAROL] });
  });

  test('7.2.2.8 rule 2a: a participant admitted by an identity rule stays when that rule stays', () => {
    const g = group({ entries: [{ uri: ALICE }, { uri: BOB }], rules: [membersRule(), { id: 'carol', conditions: [{ kind: 'identity', one: [CAROL], many: [] }], actions: { joinHandling: 'allow' } }] });
    expect(decideRelease(snap({ group: g, event: { kind: 'group-changed' } }))).toEqual({ action: 'keep' });
  });

  test('7.2.2.8 rule 2a: an anonymous participant whose anonymity is no longer allowed is removed', () => {
    const g = group({ rules: [membersRule({ allowAnonymity: false })] });
    const d = decideRelease(snap({ group: g, participants: [...on(ALICE, BOB), { uri: CAROL, connected: true, anonymous: true }], event: { kind: 'group-changed' } }));
    expect(d).toMatchObject({ action: 'remove', rule: '2a', remove: [CAROL] });
  });

  test('7.2.2.8 rules 2a then 1d: removals that leave too few Participants release the session', () => {
    const g = group({ entries: [{ uri: ALICE }] });
    const d = decideRelease(snap({ group: g, event: { kind: 'group-changed' } }));
    expect(d).toMatchObject({ action: 'release', rule: '1d' });
    expect(d.action === 'release' && [...d.remove].sort()).toEqual([ALICE, BOB, CAROL].sort());
  });

  test('7.2.2.8 rules 2a then 1b: the originator no longer allowed, with auto-release -> release', () => {
    const g = group({ entries: [BOB, CAROL, DAVE].map((uri) => ({ uri })), release: { autoRelease: true } });
    const d = decideRelease(snap({ group: g, participants: on(ALICE, BOB, CAROL, DAVE), event: { kind: 'group-changed' } }));
    expect(d).toMatchObject({ action: 'release', rule: '1b' });
  });

  test('7.2.2.8 rule 2a: a change that removes nobody keeps the session', () => {
    expect(decideRelease(snap({ event: { kind: 'group-changed' } }))).toEqual({ action: 'keep' });
  });
});
