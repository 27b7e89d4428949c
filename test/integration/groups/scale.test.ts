// The MSRP switch at scale (issue 9 item 6 and its test list): 20 participants of one ad-hoc
// session each send 100 messages at once (pipelined, not one after the other); every
// participant receives every other participant's messages exactly once, in the order each
// sender sent them, and never its own. Messages larger than a chunk stay whole and byte-exact
// at every receiver, though chunks of several senders share each receiver's leg. Senders are
// told apart by the CPIM From the focus asserts (RFC 3862); the figures come from /metrics.
// Real server process, real sockets. On an idle machine each case takes a few seconds; the
// test process reading 38000 deliveries is the slow part, so MSRP answers get a client timeout
// that a loaded box cannot hit.
import { startServer, type ServerHandle } from '../../helpers/server';
import { scaled } from '../../helpers/node-exe';
import { RawUa } from '../../helpers/raw-ua';
import { FACTORY, delivered, factoryBody, until } from '../../helpers/group';
import { sessionFigures } from '../../helpers/figures';

/** The MSRP switch figures of every group session (imedge_group_switch in /metrics). */
async function switchFigures(httpPort: number): Promise<Record<string, number>> {
  const all = await sessionFigures(httpPort);
  return Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith('switch.')).map(([k, v]) => [k.slice('switch.'.length), v]));
}
import { parseCpim } from '../../../src/msrp/wire';
import type { ReceivedMessage } from '../../../src/msrp/endpoint';

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

test(`MSRP switch / RFC 3862: ${N} participants x ${PER_SENDER} messages: each delivered exactly once to every other participant, in order per sender, never echoed`, async () => {
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
  await allBound(N);

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
  const f = { sw: await switchFigures(s.httpPort) };
  expect(f.sw.messagesIn).toBe(N * PER_SENDER);
  expect(f.sw.deliveries).toBe(N * (N - 1) * PER_SENDER);
  expect(f.sw.refused ?? 0).toBe(0);
  expect(f.sw.removedSlow ?? 0).toBe(0);
  for (const u of uas) expect(u.messages).toHaveLength(expected);
  // 7.2.2.8 rule 1a: the initiator leaves, the focus BYEs the 19 others
  expect((await initiator.requestInDialog('BYE')).status).toBe(200);
  await until(() => invitees.every((u) => u.byes.length === 1), 'every invitee BYEd');
}, scaled(90_000));

/** Waits until the live session has `n` participants whose MSRP legs are bound at the switch. */
async function allBound(n: number): Promise<void> {
  const end = Date.now() + scaled(15_000);
  let bound = 0;
  while ((bound = (await switchFigures(s.httpPort)).boundParticipants ?? 0) !== n) {
    if (Date.now() > end) throw new Error(`${bound} of ${n} participants bound`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The sender's own bytes inside a delivered CPIM message, and who the focus says sent it. */
function inner(m: ReceivedMessage): { from: string; bytes: Buffer } {
  const r = parseCpim(m.body);
  if (!r.ok) throw new Error('not CPIM');
  return { from: r.value.headers.find((h) => h.name === 'From')?.value ?? '', bytes: r.value.body };
}

test('MSRP switch / RFC 4975 7.1.1: messages of several chunks from 6 senders at once reach every other participant whole, byte-exact, in order per sender', async () => {
  const n = 6;
  const per = 10;
  const ch = await Promise.all(Array.from({ length: n }, (_, i) => RawUa.open(`sk-u${i}`, s.sipPort, 'UDP', { transactionTimeoutMs: 60_000 })));
  uas.push(...ch);
  const [initiator, ...invitees] = ch as [RawUa, ...RawUa[]];
  const rs = await initiator.invite('conference-factory', { requestUri: FACTORY, wrap: factoryBody(invitees.map((u) => `sip:${u.user}@localhost`)) });
  expect(rs.status).toBe(200);
  for (const u of invitees) {
    await until(() => u.incomingReady !== undefined, `${u.user} invited`);
    await u.incomingReady;
  }
  await allBound(n);
  // about 150 KB each (3 chunks of the client's 64 KiB), a pattern per sender and message
  const message = (user: string, i: number): Buffer => {
    const b = Buffer.alloc(150_000 + i * 977);
    for (let k = 0; k < b.length; k++) b[k] = (k * 31 + i * 7 + user.length) & 0xff;
    b.write(`${user} #${i} `);
    return b;
  };
  const results = await Promise.all(ch.map((u) => Promise.all(Array.from({ length: per }, (_, i) => u.endpoint!.send(message(u.user, i), { contentType: 'text/plain' })))));
  expect(results.flat().filter((r) => r.status !== 200 || r.chunks < 3)).toEqual([]);
  await until(() => ch.every((u) => u.messages.length >= (n - 1) * per), 'every chunked message delivered', 30_000);
  for (const receiver of ch) {
    const bySender = new Map<string, number[]>();
    const broken: string[] = [];
    for (const m of receiver.messages) {
      const { from, bytes } = inner(m);
      const [user, rest] = bytes.subarray(0, 40).toString('latin1').split(' #') as [string, string];
      const i = Number(rest.split(' ')[0]);
      if (!from.includes(`<sip:${user}@localhost>`) || !bytes.equals(message(user, i))) broken.push(`${user} #${i}`);
      let list = bySender.get(user);
      if (list === undefined) bySender.set(user, (list = []));
      list.push(i);
    }
    expect(broken).toEqual([]);
    expect(bySender.has(receiver.user)).toBe(false);
    expect([...bySender.values()].map((l) => l.join())).toEqual(Array.from({ length: n - 1 }, () => Array.from({ length: per }, (_, i) => i).join()));
  }
  expect((await initiator.requestInDialog('BYE')).status).toBe(200);
  await until(() => invitees.every((u) => u.byes.length === 1), 'every invitee BYEd');
}, scaled(90_000));
