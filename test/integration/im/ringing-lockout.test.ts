// Attack finding: ten INVITEs a callee never answers used to fill that user's session limit,
// so nobody else could call it (486) until the set-up timeout. A session still ringing toward a
// user now counts only against the caller that placed it.
import { metricsText } from '../../helpers/figures';
import { startServer } from '../../helpers/server';
import { RawUa } from '../../helpers/raw-ua';
import { sipp, sippPort } from '../../helpers/sipp';

async function liveSessions(port: number): Promise<number> {
  return Number(/^imedge_sessions\{kind="1-1"\} (\d+)/m.exec(await metricsText(port))?.[1] ?? -1);
}

test('sessions.maxPerUser: unanswered INVITEs from one caller fill only that caller\'s slots; another caller still reaches the callee', async () => {
  const s = await startServer({ env: { IMEDGE_SESSIONS__MAX_PER_USER: '2', IMEDGE_SESSIONS__SETUP_TIMEOUT_MS: '1500' } });
  try {
    const bobPort = sippPort();
    expect((await sipp(s.sipPort, 'register-expect-200.xml', { service: 'bob', localPort: bobPort })).code).toBe(0);
    const ringer = sipp(s.sipPort, 'invite-uas-180-expect-cancel.xml', { service: 'bob', localPort: bobPort, calls: 3, timeoutS: 20 });
    await new Promise((r) => setTimeout(r, 300));
    const mallory = await RawUa.open('mallory', s.sipPort);
    const carol = await RawUa.open('carol', s.sipPort);
    const flood = [mallory.invite('bob'), mallory.invite('bob')];
    for (let i = 0; i < 100 && (await liveSessions(s.httpPort)) < 2; i++) await new Promise((r) => setTimeout(r, 20));
    // mallory's own slots are full
    expect((await mallory.invite('bob')).status).toBe(486);
    // carol still reaches bob: her INVITE rings (and ends with the set-up timeout, 408), it is not refused 486
    expect((await carol.invite('bob')).status).toBe(408);
    expect((await Promise.all(flood)).map((r) => r.status)).toEqual([408, 408]);
    expect((await ringer).code).toBe(0);
    await mallory.close();
    await carol.close();
  } finally {
    await s.stop();
  }
});
