// Attack finding: a callee that answers imedge's CANCEL with 200 but never sends the 487 (nor
// any final response) kept imedge's INVITE client transaction forever: sip@0.0.6 has no timer
// for it. RFC 3261 9.1: "If no final response is received ... within 64*T1 seconds after the
// CANCEL, the client transaction is destroyed". The callee is SIPp; T1 comes from the config.
import { sipFigures } from '../../helpers/figures';
import { startServer } from '../../helpers/server';
import { RawUa } from '../../helpers/raw-ua';
import { requireSipp, sipp, sippPort } from '../../helpers/sipp';

const until = async (pred: () => Promise<boolean>, what: string, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`condition not met in time: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

test('RFC 3261 9.1: a callee that answers CANCEL 200 and never 487: the caller gets its 487, and 64*T1 after the CANCEL our INVITE transaction ends (408) and leaves the tables', async () => {
  requireSipp();
  // T1 = 10 ms: the transaction is given up 640 ms after the CANCEL
  const s = await startServer({ env: { IMEDGE_SIP__T1_MS: '10', IMEDGE_SIP__T2_MS: '40', IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' } });
  let alice: RawUa | undefined;
  try {
    const bobPort = sippPort();
    expect((await sipp(s.sipPort, 'register-expect-200.xml', { service: 'bob', localPort: bobPort })).code).toBe(0);
    const bob = sipp(s.sipPort, 'invite-uas-180-cancel-200-never-487.xml', { service: 'bob', localPort: bobPort, timeoutS: 20 });
    await new Promise((r) => setTimeout(r, 300));
    alice = await RawUa.open('alice', s.sipPort);
    // alice cancels while bob rings: imedge answers her CANCEL 200 and her INVITE 487 (9.2)
    const rs = await alice.invite('bob', { cancelAfterMs: 400 });
    expect(rs.status).toBe(487);
    expect((await alice.cancelResponse!).status).toBe(200);
    // imedge's CANCEL toward bob was answered 200, its INVITE never: the callee said its part
    const callee = await bob;
    expect({ code: callee.code, out: callee.code === 0 ? '' : callee.out }).toEqual({ code: 0, out: '' });

    await s.waitForLog((l) => l.msg === 'cancelled INVITE got no final response within 64*T1 of the CANCEL: transaction ended with 408 (RFC 3261 9.1)' && l.afterMs === 640);
    // every client transaction (the INVITE, and the CANCEL once its Timer K ran) and every
    // request we sent is gone; nothing of the session is left
    let last: Record<string, number> = {};
    await until(async () => {
      const f = (last = await sipFigures(s.httpPort));
      return f.transactions_client === 0 && f.in_flight_outgoing === 0 && f.sessions === 0;
    }, 'client transactions and outgoing requests back to zero').catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(last)}`);
    });
    expect((await sipFigures(s.httpPort)).abandoned).toBe(1);
  } finally {
    await alice?.close();
    expect(await s.stop()).toBe(0);
  }
});
