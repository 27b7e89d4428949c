// Attack finding: INVITEs that are never answered, sent under made-up caller names (open
// loopback registration), filled sessions.maxTotal, so every later session got 503 for the
// set-up timeout. Unanswered set-ups now count per source address (sessions.maxPendingPerSource):
// a flooder fills its own share, refused with 503 + Retry-After, and the share frees itself
// when its set-ups end.
import { startServer } from '../../helpers/server';
import { RawUa } from '../../helpers/raw-ua';
import { sipp, sippPort } from '../../helpers/sipp';
import { header } from '../../helpers/sip-peer';

test('sessions.maxPendingPerSource: unanswered set-ups from one address under made-up names stop at its share (503 + Retry-After), and the share comes back', async () => {
  const s = await startServer({
    env: { IMEDGE_SESSIONS__MAX_PENDING_PER_SOURCE: '2', IMEDGE_SESSIONS__SETUP_TIMEOUT_MS: '1500', IMEDGE_SESSIONS__RETRY_AFTER_S: '7' },
  });
  const uas: RawUa[] = [];
  try {
    const bobPort = sippPort();
    expect((await sipp(s.sipPort, 'register-expect-200.xml', { service: 'bob', localPort: bobPort })).code).toBe(0);
    const ringer = sipp(s.sipPort, 'invite-uas-180-expect-cancel.xml', { service: 'bob', localPort: bobPort, calls: 3, timeoutS: 20 });
    await new Promise((r) => setTimeout(r, 300));
    for (const name of ['made-up-1', 'made-up-2', 'made-up-3', 'made-up-4']) uas.push(await RawUa.open(name, s.sipPort));
    const [a, b, c, d] = uas;
    const ringing = [a!.invite('bob'), b!.invite('bob')];
    // both of this address's set-ups are pending once bob rang twice
    await new Promise((r) => setTimeout(r, 500));
    const refused = await c!.invite('bob');
    expect(refused.status).toBe(503);
    expect(header(refused, 'retry-after')).toBe('7');
    expect((await Promise.all(ringing)).map((r) => r.status)).toEqual([408, 408]);
    // the share is free again: the next set-up rings (and ends with the set-up timeout)
    expect((await d!.invite('bob')).status).toBe(408);
    expect((await ringer).code).toBe(0);
  } finally {
    for (const u of uas) await u.close();
    await s.stop();
  }
});
