// OMA IM 7.2.1.5 (rejoining, and joining, a group session): steps 1-4 in the clause's order.
import { decideJoin, type JoinDecision, type JoinRequest, type JoinSnapshot } from '../../../../src/im/policies';
import { ALICE, BOB, CAROL, DAVE, ERIN, group, HOST, MALLORY, membersRule, off, on } from './helpers';

const req = (originator: string, extra: Partial<JoinRequest> = {}): JoinRequest => ({ originator, anonymityRequested: false, mediaAcceptable: true, ...extra });

const predefined = (g = group(), participants = on(ALICE, BOB)): JoinSnapshot => ({ target: { kind: 'predefined', group: g }, participants, host: HOST });

function refused(d: JoinDecision): { step: number; status: number; reason: string; warning: string | undefined } {
  if (d.allowed) throw new Error('expected a refusal');
  return { step: d.step, status: d.refusal.status, reason: d.refusal.reason, warning: d.refusal.warningHeader() };
}

describe('OMA IM 7.2.1.5 on a pre-defined group', () => {
  test('7.2.1.5 step 1: a requester the joining policy does not allow gets 403 Forbidden', () => {
    expect(refused(decideJoin(predefined(), req(MALLORY)))).toEqual({
      step: 1,
      status: 403,
      reason: 'Forbidden',
      warning: `399 ${HOST} "Not allowed to join this group session"`,
    });
  });

  test('7.2.1.5 step 1: a member allowed by <is-list-member> + <join-handling>allow joins', () => {
    const d = decideJoin(predefined(), req(CAROL));
    expect(d.allowed).toBe(true);
    expect(d.allowed && d.permissions?.matchedRules).toEqual(['members']);
  });

  test('7.2.1.5 step 1: a rule granting only block does not let a member in', () => {
    const g = group({ rules: [{ ...membersRule(), actions: { joinHandling: 'block' } }] });
    expect(refused(decideJoin(predefined(g), req(CAROL))).step).toBe(1);
  });

  test('7.2.1.5 step 1: a group without rules lets nobody join (RFC 4745: nothing granted)', () => {
    expect(refused(decideJoin(predefined(group({ rules: [] })), req(ALICE))).step).toBe(1);
  });

  test('7.2.1.5 step 1: <cr:identity><cr:one> admits a non-member', () => {
    const g = group({ rules: [membersRule(), { id: 'guest', conditions: [{ kind: 'identity', one: [MALLORY], many: [] }], actions: { joinHandling: 'allow' } }] });
    expect(decideJoin(predefined(g), req(MALLORY)).allowed).toBe(true);
  });

  test('7.2.1.5 step 2: <max-participant-count> reached -> 486 Busy Here with Warning 399 "Too many participants"', () => {
    const d = decideJoin(predefined(group({ maxParticipantCount: 2 }), on(ALICE, BOB)), req(CAROL));
    expect(refused(d)).toEqual({ step: 2, status: 486, reason: 'Busy Here', warning: `399 ${HOST} "Too many participants"` });
    expect(d.allowed ? '' : d.refusal.clause).toBe('OMA IM 7.2.1.5 step 2');
  });

  test('7.2.1.5 step 2: below the count the member joins', () => {
    expect(decideJoin(predefined(group({ maxParticipantCount: 3 }), on(ALICE, BOB)), req(CAROL)).allowed).toBe(true);
  });

  test('7.2.1.5 step 2 on a rejoin: the rejoiner still listed does not take its own place; disconnected participants hold none', () => {
    const g = group({ maxParticipantCount: 2 });
    // Carol rejoins: Alice is connected, Carol's own stale entry is not counted.
    expect(decideJoin(predefined(g, [...on(ALICE), ...off(CAROL)]), req(CAROL)).allowed).toBe(true);
    expect(decideJoin(predefined(g, on(ALICE, CAROL)), req(CAROL)).allowed).toBe(true);
    // After a restart everyone is disconnected: the first to come back gets in.
    expect(decideJoin(predefined(g, off(ALICE, BOB, CAROL)), req(DAVE)).allowed).toBe(true);
    // Two others connected: full, even for a rejoiner.
    expect(refused(decideJoin(predefined(g, [...on(ALICE, BOB), ...off(CAROL)]), req(CAROL))).step).toBe(2);
  });

  test('7.2.1.5 step 2 applies to pre-defined groups only, and not without <max-participant-count>', () => {
    expect(decideJoin(predefined(group(), on(ALICE, BOB, CAROL)), req(DAVE)).allowed).toBe(true);
  });

  test('7.2.1.5 step 3: Privacy: id not allowed by <allow-anonymity> -> 403', () => {
    expect(refused(decideJoin(predefined(), req(CAROL, { anonymityRequested: true })))).toEqual({
      step: 3,
      status: 403,
      reason: 'Forbidden',
      warning: `399 ${HOST} "Anonymity not allowed in this group session"`,
    });
  });

  test('7.2.1.5 step 3: <allow-anonymity>true admits an anonymous member; without Privacy: id nothing is checked', () => {
    const g = group({ rules: [membersRule({ allowAnonymity: true })] });
    expect(decideJoin(predefined(g), req(CAROL, { anonymityRequested: true })).allowed).toBe(true);
    expect(decideJoin(predefined(), req(CAROL, { anonymityRequested: false })).allowed).toBe(true);
  });

  test('7.2.1.5 step 3: anonymity is granted per originator (another rule for another identity does not help)', () => {
    const g = group({ rules: [membersRule(), { id: 'boss', conditions: [{ kind: 'identity', one: [ALICE], many: [] }], actions: { allowAnonymity: true } }] });
    expect(decideJoin(predefined(g), req(ALICE, { anonymityRequested: true })).allowed).toBe(true);
    expect(refused(decideJoin(predefined(g), req(CAROL, { anonymityRequested: true }))).step).toBe(3);
  });

  test('7.2.1.5 step 4: MSRP media parameters not acceptable -> 488 Not Acceptable Here', () => {
    expect(refused(decideJoin(predefined(), req(CAROL, { mediaAcceptable: false })))).toMatchObject({ step: 4, status: 488, reason: 'Not Acceptable Here' });
  });

  test('7.2.1.5 order: step 1 before 2, 2 before 3, 3 before 4', () => {
    const full = group({ maxParticipantCount: 2 });
    const everything = { anonymityRequested: true, mediaAcceptable: false };
    expect(refused(decideJoin(predefined(full), req(MALLORY, everything))).step).toBe(1);
    expect(refused(decideJoin(predefined(full), req(CAROL, everything))).step).toBe(2);
    expect(refused(decideJoin(predefined(group()), req(CAROL, everything))).step).toBe(3);
    const anon = group({ rules: [membersRule({ allowAnonymity: true })] });
    expect(refused(decideJoin(predefined(anon), req(CAROL, everything))).step).toBe(4);
  });

  test('7.2.1.5 step 5: otherwise accepted, with the permissions for the caller (e.g. conference state)', () => {
    const d = decideJoin(predefined(), req(BOB));
    expect(d).toMatchObject({ allowed: true, permissions: { joinHandling: 'allow', allowConferenceState: true } });
  });
});

describe('OMA IM 7.2.1.5 on an ad-hoc session (no group document)', () => {
  const adhoc = (allowAnonymity: boolean, participants = on(ALICE, BOB)): JoinSnapshot => ({
    target: { kind: 'adhoc', initiator: ALICE, invited: [BOB, CAROL], allowAnonymity },
    participants,
    host: HOST,
  });

  test('7.2.1.5 step 1: the initiator and the invited may (re)join, anyone else gets 403', () => {
    expect(decideJoin(adhoc(false), req(ALICE)).allowed).toBe(true);
    expect(decideJoin(adhoc(false), req(CAROL)).allowed).toBe(true);
    expect(refused(decideJoin(adhoc(false), req(ERIN))).step).toBe(1);
  });

  test('7.2.1.5 step 2 does not apply to ad-hoc sessions', () => {
    expect(decideJoin(adhoc(false, on(ALICE, BOB, DAVE, ERIN)), req(CAROL)).allowed).toBe(true);
  });

  test('7.2.1.5 step 3: anonymity follows the operator setting', () => {
    expect(refused(decideJoin(adhoc(false), req(CAROL, { anonymityRequested: true }))).step).toBe(3);
    expect(decideJoin(adhoc(true), req(CAROL, { anonymityRequested: true })).allowed).toBe(true);
  });

  test('7.2.1.5 step 4: 488 for unacceptable media', () => {
    expect(refused(decideJoin(adhoc(true), req(CAROL, { mediaAcceptable: false }))).status).toBe(488);
  });
});
