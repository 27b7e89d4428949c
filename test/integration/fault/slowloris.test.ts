// Issue 11 item 6(c): scripts/fault/slowloris.ts with 4 clients per port and kind (the script
// takes --runs N for more). Silent clients and clients sending a byte per 100 ms on SIP TCP,
// SIP TLS, MSRP, MSRP TLS and the admin port are all closed by the server after its bound
// (600 ms here), never before it, and every connection gauge returns to zero.
import { runSlowloris } from '../../../scripts/fault/slowloris';

test('issue 11 item 6(c): slowloris on every port is closed by the server within its configured bound; connection counts return to zero', async () => {
  const f = await runSlowloris(4);
  expect(f.notClosed).toBe(0);
  expect(Object.keys(f.closedAfterMs).sort()).toEqual(
    ['http/dribble', 'http/silent', 'msrp-tls/dribble', 'msrp-tls/silent', 'msrp/dribble', 'msrp/silent', 'sip-tcp/dribble', 'sip-tcp/silent', 'sip-tls/dribble', 'sip-tls/silent'],
  );
  for (const [key, ms] of Object.entries(f.closedAfterMs)) {
    // not before the bound (a slow but honest client keeps it) ...
    expect({ key, early: ms < f.boundMs - 50 }).toEqual({ key, early: false });
    // ... and by the bound plus the admin port's check interval (min(1 s, bound)) and scheduling slack
    expect({ key, late: ms > 2 * f.boundMs + 3000 }).toEqual({ key, late: false });
  }
  expect(f.liveAfter).toEqual({ sipTcp: 0, msrp: 0, admin: 0 });
  // the SIP bound closed both kinds: never a message (TCP), a message left half-sent (TCP and TLS)
  expect(f.sipSlowClosed).toEqual({ noMessage: 4, partialMessage: 8 });
}, 60_000);
