// The MSRP switch at scale (issue 9 item 6 and its test list): 20 participants of one ad-hoc
// session each send 100 messages at once (pipelined, not one after the other); every
// participant receives every other participant's messages exactly once, in the order each
// sender sent them, and never its own. The figures come from the switch (/metrics). On an idle
// machine this runs in a few seconds; the test process reading 38000 deliveries is the slow
// part, so answers are given a client timeout that a loaded CI box cannot hit. Real server process, real sockets; senders are told
// apart by the CPIM From the focus asserts (RFC 3862, OMA IM 7.2).
import { startServer, type ServerHandle } from '../../helpers/server';
import { RawUa } from '../../helpers/raw-ua';
import { FACTORY, delivered, factoryBody, until } from '../../helpers/group';
import { groupFigures } from '../../helpers/figures';

const N = 20;
const PER_SENDER = 100;

let s: ServerHandle;
const uas: RawUa[] = [];
beforeAll(async () => {
  // MAX-ADHOC-GROUP-SIZE 10 by default: a list of 19 needs more
  s = await startServer({ env: { IMEDGE_GROUPS__MAX_ADHOC_SIZE: '25', IMEDGE_LOG__LEVEL: 'info' } });
});
afterAll(async () => {
  for (const u of uas) await u.close();
  expect(await s.stop()).toBe(0);
});

test(`OMA IM 7.2.1.5 / MSRP switch: ${N} participants x ${PER_SENDER} messages: each delivered exactly once to every other participant, in order per sender, never echoed`, async () => {
  uas.push(...(await Promise.all(Array.from({ length: N }, (_, i) => RawUa.open(`sc-u${i}`, s.sipPort, 'UDP', { transactionTimeoutMs: 60_000 })))));
  const [initiator, ...invitees] = uas as [RawUa, ...RawUa[]];
  const rs = await initiator.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody(invitees.map((u) => `sip:${u.user}@localhost`)) });
  expect(rs.status).toBe(200);
  for (const u of invitees) {
    await until(() => u.incomingReady !== undefined, `${u.user} invited`);
    await u.incomingReady;
    expect(u.msrpError).toBeUndefined();
  }
  // a participant receives once its MSRP leg is bound at the switch: wait until all 20 are
  let bound = 0;
  const end = Date.now() + 10_000;
  while (bound < N && Date.now() < end) {
    bound = (await groupFigures(s.httpPort)).sw.boundParticipants ?? 0;
    if (bound < N) await new Promise((r) => setTimeout(r, 50));
  }
  expect(bound).toBe(N);

  // every sender at once, each pipelining its 100 messages (writes in order, answers awaited together)
  const results = await Promise.all(
    uas.map((u) => Promise.all(Array.from({ length: PER_SENDER }, (_, i) => u.endpoint!.send(Buffer.from(`${u.user} #${i}`), { contentType: 'text/plain' })))),
  );
  // RFC 4975 7.2: every chunk answered 200 hop by hop by the switch
  expect(results.flat().filter((r) => r.status !== 200)).toEqual([]);

  const expected = (N - 1) * PER_SENDER;
  await until(() => uas.every((u) => u.messages.length >= expected), `each participant has ${expected} messages`, 60_000);
  // one expect per receiver, not per message: 38000 expect calls would be most of the run
  const inOrder = Array.from({ length: PER_SENDER }, (_, i) => i);
  for (const receiver of uas) {
    const bySender = new Map<string, number[]>();
    const misattributed: string[] = [];
    for (const m of receiver.messages) {
      const d = delivered(m);
      const [user, seq] = d.text.split(' #') as [string, string];
      // the asserted From names the sender the text claims
      if (!d.from.includes(`<sip:${user}@localhost>`)) misattributed.push(`${d.from}: ${d.text}`);
      let list = bySender.get(user);
      if (list === undefined) bySender.set(user, (list = []));
      list.push(Number(seq));
    }
    expect(misattributed).toEqual([]);
    // never echoed; everyone else heard; each sender's 100 exactly once, in order
    expect(bySender.has(receiver.user)).toBe(false);
    expect(bySender.size).toBe(N - 1);
    expect([...bySender.values()].filter((seqs) => seqs.join() !== inOrder.join())).toEqual([]);
  }
  // nothing more than that left the switch: one delivery per (message, other participant)
  const f = await groupFigures(s.httpPort);
  expect(f.sw.messagesIn).toBe(N * PER_SENDER);
  expect(f.sw.deliveries).toBe(N * (N - 1) * PER_SENDER);
  expect(f.sw.refused ?? 0).toBe(0);
  expect(f.sw.removedSlow ?? 0).toBe(0);
  for (const u of uas) expect(u.messages).toHaveLength(expected);
  // 7.2.2.8 rule 1a: the initiator leaves, the focus BYEs the 19 others
  expect((await initiator.requestInDialog('BYE')).status).toBe(200);
  await until(() => invitees.every((u) => u.byes.length === 1), 'every invitee BYEd');
}, 90_000);
