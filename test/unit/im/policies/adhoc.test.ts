// OMA IM 7.1.1.6 step 5: the URI list of an ad-hoc conference against MAX-ADHOC-GROUP-SIZE.
import { checkAdhocSize } from '../../../../src/im/policies';
import { ALICE, BOB, CAROL, DAVE, HOST } from './helpers';

test('7.1.1.6 step 5: a list of MAX-ADHOC-GROUP-SIZE invitees is accepted', () => {
  expect(checkAdhocSize([BOB, CAROL, DAVE], ALICE, 3, HOST)).toEqual({ allowed: true, invitees: 3 });
});

test('7.1.1.6 step 5: one more than MAX-ADHOC-GROUP-SIZE -> 403 with a Warning saying why', () => {
  const d = checkAdhocSize([BOB, CAROL, DAVE], ALICE, 2, HOST);
  expect(d.allowed).toBe(false);
  if (d.allowed) return;
  expect(d.invitees).toBe(3);
  expect(d.refusal.status).toBe(403);
  expect(d.refusal.warningHeader()).toBe(`399 ${HOST} "Too many invited users: 3 listed, MAX-ADHOC-GROUP-SIZE is 2"`);
  expect(d.refusal.clause).toBe('OMA IM 7.1.1.6 step 5');
});

test('7.1.1.6 step 5: the initiator listing itself and an address listed twice are not extra invitees', () => {
  expect(checkAdhocSize([ALICE, BOB, 'sip:bob@EXAMPLE.com', CAROL], ALICE, 2, HOST)).toEqual({ allowed: true, invitees: 2 });
});
