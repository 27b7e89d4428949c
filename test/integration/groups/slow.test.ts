// A participant that stops reading (OMA IM 7.2.1.9, issue 9 item 6): its MSRP leg stays above
// the high watermark, the switch drops it after groups.slowReceiverMs (short here) and the
// focus BYEs it, while the others go on receiving everything; the sender gets a failure
// REPORT for each chunk the removed one missed (RFC 4975 7.1.2, Failure-Report yes by
// default). The slow one is a raw MSRP socket the test pauses; real server, real sockets.
import { startServer, type ServerHandle } from '../../helpers/server';
import { RawUa } from '../../helpers/raw-ua';
import { header } from '../../helpers/sip-peer';
import type { RawMsrpPeer } from '../../helpers/msrp-peer';
import { FACTORY, delivered, factoryBody, focusIdentity, joinWithRawMsrp, until } from '../../helpers/group';
import { sessionFigures } from '../../helpers/figures';

/** The MSRP switch figures of every group session (imedge_group_switch in /metrics). */
async function switchFigures(httpPort: number): Promise<Record<string, number>> {
  const all = await sessionFigures(httpPort);
  return Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith('switch.')).map(([k, v]) => [k.slice('switch.'.length), v]));
}

const SLOW_MS = 300;

let s: ServerHandle;
const uas: RawUa[] = [];
const peers: RawMsrpPeer[] = [];
beforeAll(async () => {
  s = await startServer({ env: { IMEDGE_GROUPS__SLOW_RECEIVER_MS: String(SLOW_MS), IMEDGE_LOG__LEVEL: 'info' } });
});
afterAll(async () => {
  for (const p of peers) await p.close();
  for (const u of uas) await u.close();
  expect(await s.stop()).toBe(0);
});

/** Switch totals before each case (the figures count since the server started). */
let totals: Record<string, number> = {};

test.each([
  ['', 'sl', false, undefined],
  [' (anonymous: the REPORTs do not name it)', 'sa', true, undefined],
  [' (the sender said Failure-Report: no: no REPORTs)', 'sn', false, 'no'],
] as const)('OMA IM 7.2.1.9 / RFC 4975 7.1.2: a participant that stops reading is removed (BYE, reason too slow) after slowReceiverMs; the others receive every message; the sender gets failure REPORTs for what it missed; it may rejoin%s', async (_what, p, anonymous, failureReport) => {
  const [alice, bob] = await Promise.all([RawUa.open(`${p}-alice`, s.sipPort), RawUa.open(`${p}-bob`, s.sipPort)]);
  uas.push(alice, bob);
  // <p>-slow is on the list (so it may join) but not registered yet: its invitation goes nowhere
  const rs = await alice.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody([`sip:${p}-bob@localhost`, `sip:${p}-slow@localhost`]) });
  expect(rs.status).toBe(200);
  await until(() => bob.incomingReady !== undefined, 'bob invited');
  await bob.incomingReady;
  const slow = await RawUa.open(`${p}-slow`, s.sipPort);
  uas.push(slow);
  const identity = focusIdentity(rs);
  const { msrp: slowMsrp } = await joinWithRawMsrp(slow, identity, { anonymous });
  peers.push(slowMsrp);
  // bound; from now on it reads nothing (the kernel buffers fill, then its ring in the switch)
  slowMsrp.connections[0]!.socket.pause();

  // alice sends 64 KiB messages, a batch at a time, until the focus has removed the slow one
  const body = (i: number) => Buffer.concat([Buffer.from(`m${i} `), Buffer.alloc(64 * 1024 - 8, 0x61)]);
  const sent: string[] = [];
  const statuses: number[] = [];
  for (let batch = 0; slow.byes.length === 0; batch++) {
    if (batch >= 200) throw new Error('the slow participant was never removed');
    const results = await Promise.all(Array.from({ length: 8 }, (_, k) => alice.endpoint!.send(body(batch * 8 + k), { contentType: 'text/plain', ...(failureReport ? { failureReport } : {}) })));
    for (const r of results) {
      sent.push(r.messageId);
      statuses.push(r.status);
    }
    await new Promise((r) => setImmediate(r));
  }
  // 7.2.1.9: the focus's BYE says why
  expect(header(slow.byes[0]!, 'reason')).toMatch(/too slow/);
  // hop by hop, the switch took every chunk (the stall lasted slowReceiverMs, then it resumed);
  // with Failure-Report: no there is no answer to wait for (RFC 4975 7.2)
  expect(statuses.every((st) => st === 200)).toBe(true);

  // the others go on: one more message after the removal, and bob has every one, in order, once
  await alice.endpoint!.send(Buffer.from('after the removal'), { contentType: 'text/plain' });
  await until(() => bob.messages.length === sent.length + 1, `bob has all ${sent.length + 1} messages`, 20_000);
  const texts = bob.messages.map((m) => delivered(m).text.split(' ', 1)[0]);
  expect(texts).toEqual([...sent.map((_, i) => `m${i}`), 'after']);

  // RFC 4975 7.1.2: failure REPORTs (408, naming the slow one unless it is anonymous) for the
  // messages it missed, as many as the switch counted; they are the first ones alice sent (the
  // removed one is no receiver of anything sent later)
  const before = totals;
  const f = { sw: await switchFigures(s.httpPort) };
  totals = f.sw;
  expect(f.sw.removedSlow - (before.removedSlow ?? 0)).toBe(1);
  const failureReports = f.sw.failureReportsSent - (before.failureReportsSent ?? 0);
  if (failureReport === 'no') {
    // RFC 4975 7.1.2: a sender that asked for no failure reports gets none
    expect(failureReports).toBe(0);
    expect(alice.reports).toEqual([]);
  } else expect(failureReports).toBeGreaterThan(0);
  await until(() => alice.reports.length === failureReports, `alice has the ${failureReports} failure REPORTs`);
  expect(alice.reports.every((r) => r.status.code === 408)).toBe(true);
  const named = alice.reports.filter((r) => (r.status.reason ?? '').includes(`${p}-slow@localhost`));
  expect(named).toHaveLength(anonymous ? 0 : alice.reports.length);
  const reported = [...new Set(alice.reports.map((r) => r.messageId))];
  if (failureReport === undefined) expect(reported.length).toBeGreaterThan(0);
  expect(reported.sort()).toEqual(sent.slice(0, reported.length).sort());
  expect(bob.reports).toEqual([]);
  // bob and alice are still in the session: nobody else was sent a BYE
  expect(alice.byes.length + bob.byes.length).toBe(0);
  // removed, not banned: it rejoins by the IM Session Identity with a new connection and hears the others
  const again = await joinWithRawMsrp(slow, identity, { anonymous });
  peers.push(again.msrp);
  await alice.endpoint!.send(Buffer.from('welcome back'), { contentType: 'text/plain' });
  await again.msrp.until(() => again.msrp.messages.length === 1, 'the rejoined one hears alice');
  expect(again.msrp.messages[0]!.body.toString('utf8')).toMatch(/welcome back$/);

  expect((await alice.requestInDialog('BYE')).status).toBe(200);
  await until(() => bob.byes.length === 1 && slow.byes.length === 2, 'bob and the rejoined one BYEd at the end (7.2.2.8 1a)');
}, 60_000);
