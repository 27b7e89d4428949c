import { admissionRefusal, type AdmissionInput } from '../../../../src/im/participating/admission';

const base: AdmissionInput = { live: 0, maxSessions: 10, msrpConnectionRoom: 100, callerSessions: 0, calleeSessions: 0, maxPerUser: 2, pendingFromSource: 0, maxPendingPerSource: 4, retryAfterS: 9 };

describe('admission of a new 1-1 session', () => {
  test('under every limit: admitted', () => {
    expect(admissionRefusal(base)).toBeUndefined();
  });

  test('RFC 3261 21.5.4: the box full is 503 with Retry-After, before the per-user limit', () => {
    expect(admissionRefusal({ ...base, live: 10, callerSessions: 5 })).toMatchObject({ status: 503, retryAfterS: 9, limit: 'sessions' });
  });

  test('RFC 3261 21.5.4: no room for the two MSRP connections of a session is 503 with Retry-After at once', () => {
    expect(admissionRefusal({ ...base, msrpConnectionRoom: 1 })).toMatchObject({ status: 503, retryAfterS: 9, limit: 'msrp-connections' });
    expect(admissionRefusal({ ...base, msrpConnectionRoom: 2 })).toBeUndefined();
  });

  test('a user at its limit, caller or callee, is 486', () => {
    expect(admissionRefusal({ ...base, callerSessions: 2 })).toMatchObject({ status: 486, limit: 'per-user' });
    expect(admissionRefusal({ ...base, calleeSessions: 2 })).toMatchObject({ status: 486, limit: 'per-user' });
  });

  test('unanswered set-ups from one source address past their share: 503 + Retry-After before the box limit (attack finding: made-up callers filled sessions.maxTotal)', () => {
    expect(admissionRefusal({ ...base, pendingFromSource: 4, live: 10 })).toMatchObject({ status: 503, retryAfterS: 9, limit: 'pending-per-source' });
    expect(admissionRefusal({ ...base, pendingFromSource: 3 })).toBeUndefined();
  });
});
