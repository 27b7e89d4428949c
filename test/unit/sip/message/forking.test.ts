import type { SipResponse } from '../../../../src/sip/message/types';
import { bestFinalResponse, branchAnswer, upstreamStatus } from '../../../../src/sip/message/forking';

const r = (...statuses: number[]) => statuses.map((status, i) => ({ status, i }));

describe('RFC 3261 16.7 step 6: the best final response of a fork', () => {
  test('RFC 3261 16.7: a 6xx wins over everything, the first 6xx received', () => {
    expect(bestFinalResponse(r(486, 603, 200, 600))).toEqual({ status: 603, i: 1 });
  });

  test('RFC 3261 16.7: otherwise the lowest class wins, the first of it received', () => {
    expect(bestFinalResponse(r(500, 486, 480, 503))?.status).toBe(486);
    expect(bestFinalResponse(r(503, 500))).toEqual({ status: 503, i: 0 });
    expect(bestFinalResponse(r(408, 302, 486))?.status).toBe(302);
  });

  test('RFC 3261 16.7: within 4xx, 401/407/415/420/484 are preferred', () => {
    expect(bestFinalResponse(r(486, 407, 480))?.status).toBe(407);
    expect(bestFinalResponse(r(480, 415))?.status).toBe(415);
    expect(bestFinalResponse(r(404, 408))?.status).toBe(404);
  });

  test('RFC 3261 16.7: provisional responses are not candidates; nothing final gives undefined', () => {
    expect(bestFinalResponse(r(180, 183))).toBeUndefined();
    expect(bestFinalResponse([])).toBeUndefined();
    expect(bestFinalResponse(r(180, 486))?.status).toBe(486);
  });

  test('RFC 3261 16.7 step 6: a 503 is passed upstream as 500, anything else as it is', () => {
    expect(upstreamStatus(503)).toBe(500);
    expect(upstreamStatus(486)).toBe(486);
    expect(upstreamStatus(603)).toBe(603);
  });
});

describe('branchAnswer (attack finding F3)', () => {
  const rs = (status: number, tag?: string): SipResponse => ({ status, reason: 'x', headers: { to: { uri: 'sip:v@localhost', params: tag ? { tag } : {} } }, body: Buffer.alloc(0) });
  it('RFC 3261 8.2.6.2 / 21.4.18: an untagged 503 was made here (contact unreachable): 480', () => {
    expect(branchAnswer(rs(503)).status).toBe(480);
  });
  it('RFC 3261 16.7 step 6: a tagged 503 came from downstream and is left to upstreamStatus; other answers untouched', () => {
    expect(branchAnswer(rs(503, 't1')).status).toBe(503);
    expect(branchAnswer(rs(486)).status).toBe(486);
  });
});
