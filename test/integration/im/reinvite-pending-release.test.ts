// Attack finding: a re-INVITE imedge relayed to the callee, answered there with 100 Trying only,
// kept imedge's INVITE client transaction for ever once the caller BYEd (an INVITE client
// transaction past its provisional runs no timer, RFC 3261 17.1.1.2): imedge_sip_in_flight
// {outgoing} and imedge_sip_transactions{client} grew by one per such session. RFC 3261 9.1 /
// 15.1.2: the release CANCELs the pending re-INVITE (and answers the caller's one 487); a callee
// that never answers even the CANCEL loses the transaction 64*T1 after it. Real server, loopback.
import { sipFigures } from '../../helpers/figures';
import { startServer, type ServerHandle } from '../../helpers/server';
import { RawUa, msrpOffer } from '../../helpers/raw-ua';
import { header, type WireMessage } from '../../helpers/sip-peer';
import { branchOf, holdWithTrying } from '../../helpers/reinvite';

const until = async (pred: () => boolean | Promise<boolean>, what: string, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`condition not met in time: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

async function byeFrom(alice: RawUa): Promise<WireMessage> {
  const d = alice.dialog!;
  return alice.peer.requestRaw(
    Buffer.from(
      [
        `BYE ${d.remoteTarget} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${alice.peer.port};branch=z9hG4bKbye${Date.now()};rport`,
        'Max-Forwards: 70',
        `From: <${d.localUri}>;tag=${d.localTag}`,
        `To: <${d.remoteUri}>;tag=${d.remoteTag}`,
        `Call-ID: ${d.callId}`,
        `CSeq: ${d.cseq + 1} BYE`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    ),
    `${d.callId}|${d.cseq + 1} BYE`,
  );
}

describe('RFC 3261 9.1 / 15.1.2: a session released while its relayed re-INVITE is pending', () => {
  let s: ServerHandle;
  const uas: RawUa[] = [];
  beforeAll(async () => {
    // T1 = 10 ms: an unanswered CANCELled INVITE is given up 640 ms after the CANCEL
    s = await startServer({ env: { IMEDGE_SIP__T1_MS: '10', IMEDGE_SIP__T2_MS: '40', IMEDGE_HEALTH__MAX_LOAD1_PER_CORE: '1000' } });
  });
  afterAll(async () => {
    for (const u of uas) await u.close();
    expect(await s.stop()).toBe(0);
  });

  test.each([
    ['answers the CANCEL 200 and the re-INVITE 487', true],
    ['answers the CANCEL 200 and never the re-INVITE', false],
  ])('callee answers the re-INVITE 100 only, caller BYEs, callee %s: CANCEL sent, caller gets 487, client transactions back to their earlier count', async (_what, polite) => {
    const tag = polite ? 'p' : 'n';
    const alice = await RawUa.open(`alice-rl${tag}`, s.sipPort);
    const bob = await RawUa.open(`bob-rl${tag}`, s.sipPort);
    uas.push(alice, bob);
    const idle = (f: Record<string, number>) => f.transactions_client === 0 && f.in_flight_outgoing === 0 && f.sessions === 0;
    let last: Record<string, number> = {};
    await until(async () => idle((last = await sipFigures(s.httpPort))), 'idle before the session', 45_000);
    const before = last;

    expect((await alice.invite(bob.user)).status).toBe(200);
    await bob.incomingReady;
    const seen = holdWithTrying(bob, polite);
    const reinvite = alice.requestInDialog('INVITE', ['Content-Type: application/sdp'], Buffer.from(msrpOffer(alice['msrpUri' as never], { acceptTypes: ['text/plain'] })));
    await until(() => seen.reinvites.length === 1, 're-INVITE relayed to the callee');
    // the 100 has reached imedge: its transaction is in Proceeding, where no timer runs
    await new Promise((r) => setTimeout(r, 200));

    expect((await byeFrom(alice)).status).toBe(200);
    // 15.1.2: the caller's pending re-INVITE is answered 487
    expect((await reinvite).status).toBe(487);
    // 9.1: the callee gets a CANCEL for imedge's re-INVITE (its branch, its CSeq number), then the BYE
    await until(() => seen.cancels.length === 1, 'CANCEL for the re-INVITE at the callee');
    const [re] = seen.reinvites;
    const [cancel] = seen.cancels;
    expect(branchOf(cancel)).toBe(branchOf(re));
    expect(header(cancel, 'call-id')).toBe(header(re, 'call-id'));
    expect(header(cancel, 'cseq')).toBe(header(re, 'cseq')!.replace('INVITE', 'CANCEL'));
    await until(() => bob.byes.length === 1, 'BYE at the callee');

    // the outgoing request is over at once (the callee's 487, or the give-up 64*T1 after the CANCEL)
    await until(async () => (last = await sipFigures(s.httpPort)).in_flight_outgoing === before.in_flight_outgoing, 'outgoing requests back to their earlier count', 5_000);
    if (!polite) await s.waitForLog((l) => l.msg === 'cancelled INVITE got no final response within 64*T1 of the CANCEL: transaction ended with 408 (RFC 3261 9.1)');
    // before the fix: transactions{client} and in_flight{outgoing} stayed one up for ever; now the
    // library's entries (initial INVITE in Accepted, re-INVITE in Completed) leave after its 32 s timers
    await until(async () => idle((last = await sipFigures(s.httpPort))), 'client transactions and outgoing requests back to their earlier count', 45_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(last)}`);
    });
    expect({ client: last.transactions_client, outgoing: last.in_flight_outgoing }).toEqual({ client: before.transactions_client, outgoing: before.in_flight_outgoing });
    expect(last.abandoned - before.abandoned).toBe(polite ? 0 : 1);
  }, 120_000);
});
