import { legFailure, roleOf } from '../../../../src/im/participating/legs';

test('RFC 6135 4: who connects gives imedge its role on the leg; holdconn has none', () => {
  expect(roleOf('we')).toBe('active');
  expect(roleOf('peer')).toBe('passive');
  expect(roleOf('none')).toBeUndefined();
});

test('RFC 3261 21.5.4: a leg failed at our MSRP connection limit is 503 with Retry-After; the peer failing is 480, one reason phrase whatever the cause (no port-scan oracle)', () => {
  expect(legFailure('limit', 'callee')).toEqual({ status: 503, reason: 'Service Unavailable (MSRP connection limit)', retryAfter: true });
  for (const o of ['refused', 'timeout', 'rejected', 'released'] as const) {
    const f = legFailure(o, 'callee');
    expect(f.status).toBe(480);
    expect(f.retryAfter).toBe(false);
    expect(f.reason).toBe('Temporarily Unavailable (callee MSRP connection not established)');
  }
});
