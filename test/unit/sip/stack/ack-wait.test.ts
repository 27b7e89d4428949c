import { awaitAck } from '../../../../src/sip/stack';

const timers = { t1Ms: 500, t2Ms: 4000 };

beforeEach(() => jest.useFakeTimers({ now: 0 }));
afterEach(() => jest.useRealTimers());

test('RFC 3261 13.3.1.4: over UDP the 2xx is resent at T1, 2T1, 4T1... capped at T2, and 64*T1 without ACK ends the dialog', () => {
  const sends: number[] = [];
  let timedOut = -1;
  awaitAck({ timers, reliable: false, resend: () => sends.push(Date.now()), onTimeout: () => (timedOut = Date.now()) });
  jest.advanceTimersByTime(40_000);
  expect(sends.slice(0, 5)).toEqual([500, 1500, 3500, 7500, 11500]);
  expect(sends.every((t, i) => i === 0 || t - sends[i - 1] <= 4000)).toBe(true);
  expect(timedOut).toBe(32_000);
  expect(sends[sends.length - 1]).toBeLessThan(32_000);
});

test('RFC 3261 13.3.1.4: the ACK stops the retransmissions and the give-up timer', () => {
  let sends = 0;
  let timedOut = false;
  const w = awaitAck({ timers, reliable: false, resend: () => sends++, onTimeout: () => (timedOut = true) });
  jest.advanceTimersByTime(1600);
  w.acked();
  jest.advanceTimersByTime(60_000);
  expect(sends).toBe(2);
  expect(timedOut).toBe(false);
});

test('RFC 3261 13.3.1.4: over a reliable transport nothing is resent, but no ACK in 64*T1 still ends it; T1 comes from config', () => {
  let sends = 0;
  let timedOut = -1;
  awaitAck({ timers: { t1Ms: 10, t2Ms: 40 }, reliable: true, resend: () => sends++, onTimeout: () => (timedOut = Date.now()) });
  jest.advanceTimersByTime(1000);
  expect(sends).toBe(0);
  expect(timedOut).toBe(640);
});
