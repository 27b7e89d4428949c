// Issue 11 item 6(a): SIGKILL the real `imedge serve` at a random moment of message load, N
// times, restarting it on the same data directory each time. The load, all at once:
//   - pager MESSAGE (RFC 3428) kp -> kq over UDP;
//   - MSRP 1-1 through the relay, k1 -> k2, Success-Report: yes;
//   - a pre-defined group session ka, kb, kc: ka sends to the group.
// After each kill, before the restart: PRAGMA integrity_check, registrations and the group
// (document and stored session) are in the database. After the restart the group's members
// rejoin by its IM Session Identity (as test/integration/groups/power-cut.test.ts does) and
// the 1-1 session is set up again.
//
// Accounting (DESIGN "Persistence": what was acknowledged is never lost):
//   - a MESSAGE's 200 is the recipient's 200 relayed (imedge stores no pager message), so
//     every acknowledged MESSAGE must have reached kq: lost = acked - delivered, must be 0;
//   - MSRP: a relay's or the focus's 200 is hop by hop (RFC 4975 7.1.2, RFC 4976); what says
//     a message arrived is the receiver's success REPORT (1-1), resp. the focus's success REPORT
//     once every leg took it (group). Confirmed-but-not-delivered must be 0. Messages with a
//     hop-by-hop 200 and no success REPORT that were in a ring at the kill are counted apart
//     ("in flight at the kill"): the sender knows they were not confirmed.
//
//   node dist/scripts/fault/kill-loop.js [--runs N]   (default 20 kills)
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { startServer, tempDir, type ServerHandle } from '../../test/helpers/server';
import { RawUa } from '../../test/helpers/raw-ua';
import { delivered, focusIdentity, putGroup } from '../../test/helpers/group';
import { intArg, runMain, sleep, until } from './common';

export interface KillLoopFigures {
  kills: number;
  integrityOk: number;
  registrationsIntact: number;
  groupsIntact: number;
  pager: { sent: number; acked: number; delivered: number; ackedNotDelivered: number };
  msrp1to1: { sent: number; hopAcked: number; confirmed: number; delivered: number; confirmedNotDelivered: number; hopAckedInFlightAtKill: number };
  group: { sent: number; hopAcked: number; confirmed: number; deliveredToAll: number; confirmedNotDelivered: number; hopAckedInFlightAtKill: number };
}

const t0 = Date.now();
/** Progress on stderr with FAULT_TRACE=1. */
function trace(what: string): void {
  if (process.env.FAULT_TRACE) process.stderr.write(`${Date.now() - t0} ms ${what}\n`);
}

const USERS = ['ka', 'kb', 'kc', 'k1', 'k2', 'kp', 'kq'] as const;

function checkDb(dataDir: string): { integrity: boolean; registrations: number; group: boolean } {
  const db = new Database(path.join(dataDir, 'imedge.db'), { readonly: true });
  try {
    const integrity = db.pragma('integrity_check', { simple: true }) === 'ok';
    const registrations = (db.prepare('SELECT count(DISTINCT user) AS n FROM registrations').get() as { n: number }).n;
    const doc = db.prepare("SELECT count(*) AS n FROM group_documents WHERE id = 'kteam'").get() as { n: number };
    const sessions = db.prepare('SELECT count(*) AS n FROM group_sessions').get() as { n: number };
    return { integrity, registrations, group: doc.n === 1 && sessions.n === 1 };
  } finally {
    db.close();
  }
}

export async function runKillLoop(kills = 3, seed = Date.now()): Promise<KillLoopFigures> {
  // a small deterministic generator: the kill moments of a run can be replayed with its seed
  let x = seed >>> 0 || 1;
  const random = () => ((x = (x * 1103515245 + 12345) >>> 0) % 10_000) / 10_000;
  const dataDir = tempDir('imedge-fault-kill-');
  let s: ServerHandle = await startServer({ dataDir });
  const sipPort = s.sipPort;
  const restart = async () => {
    s = await startServer({ dataDir, args: ['--sip-port', String(sipPort)] });
  };
  const ua = Object.fromEntries(await Promise.all(USERS.map(async (u) => [u, await RawUa.open(u, sipPort, 'UDP', { transactionTimeoutMs: 3000 })]))) as Record<(typeof USERS)[number], RawUa>;
  const all = Object.values(ua);
  const figures: KillLoopFigures = {
    kills: 0,
    integrityOk: 0,
    registrationsIntact: 0,
    groupsIntact: 0,
    pager: { sent: 0, acked: 0, delivered: 0, ackedNotDelivered: 0 },
    msrp1to1: { sent: 0, hopAcked: 0, confirmed: 0, delivered: 0, confirmedNotDelivered: 0, hopAckedInFlightAtKill: 0 },
    group: { sent: 0, hopAcked: 0, confirmed: 0, deliveredToAll: 0, confirmedNotDelivered: 0, hopAckedInFlightAtKill: 0 },
  };
  const pagerAcked = new Set<string>();
  const pagerPending: Promise<unknown>[] = [];
  const oneHop = new Map<string, string>(); // message id -> text, 1-1, hop-by-hop 200
  const groupHop = new Map<string, string>();
  try {
    if ((await putGroup(s.httpPort, { id: 'kteam', members: ['ka', 'kb', 'kc'], inviteMembers: true, autoRelease: false })) !== 201) throw new Error('group not stored');
    const g = await ua.ka.invite('kteam', { requestUri: 'sip:kteam@localhost' });
    if (g.status !== 200) throw new Error(`group INVITE: ${g.status}`);
    const identity = focusIdentity(g);
    for (const u of [ua.kb, ua.kc]) {
      await until(() => u.incomingReady !== undefined, `${u.user} invited`);
      await u.incomingReady;
    }
    const setUp1to1 = async () => {
      const rs = await ua.k1.invite('k2');
      if (rs.status !== 200) throw new Error(`1-1 INVITE: ${rs.status}`);
      await until(() => ua.k2.incomingReady !== undefined, 'k2 answered');
      await ua.k2.incomingReady;
    };
    await setUp1to1();
    await sleep(50); // the joins' group commit window

    for (let round = 1; round <= kills; round++) {
      let loading = true;
      let stop!: () => void;
      // at the kill the loops stop at once; what was in flight settles on its own (accounted at the end)
      const stopped = new Promise<undefined>((r) => (stop = () => r(undefined)));
      const loops: Promise<void>[] = [];
      // pager MESSAGE: a few in parallel, each awaited across the kill (UDP retransmits reach the next server)
      loops.push(
        (async () => {
          for (let i = 0; loading; i++) {
            const text = `p-${round}-${i}`;
            figures.pager.sent++;
            const p = ua.kp.peer
              .request({ method: 'MESSAGE', uri: 'sip:kq@localhost', from: 'sip:kp@localhost', to: 'sip:kq@localhost', body: text, headers: { 'Content-Type': 'text/plain' } }, 12_000)
              .then((rs) => {
                if (rs.status === 200) pagerAcked.add(text);
              })
              .catch(() => undefined);
            pagerPending.push(p);
            if (i % 4 === 3) await Promise.race([p, stopped]);
          }
        })(),
      );
      const msrpLoop = (sender: RawUa, tag: string, hop: Map<string, string>, counts: { sent: number }) =>
        (async () => {
          const ep = sender.endpoint!;
          for (let i = 0; loading; i++) {
            const text = `${tag}-${round}-${i}`;
            counts.sent++;
            const sent = ep.send(Buffer.from(text), { contentType: 'text/plain', successReport: 'yes' });
            // a window of 8 messages in flight, so the kill finds some in the relay's and the switch's rings
            const done = sent.then((v) => (v.status === 200 && hop.set(v.messageId, text), v), () => undefined);
            if (i % 8 !== 7) continue;
            if ((await Promise.race([done, stopped])) === undefined) return;
          }
        })();
      loops.push(msrpLoop(ua.k1, 'm', oneHop, figures.msrp1to1));
      loops.push(msrpLoop(ua.ka, 'g', groupHop, figures.group));
      await sleep(100 + Math.floor(random() * 500));
      s.proc.kill('SIGKILL');
      await new Promise((r) => s.proc.once('exit', r));
      loading = false;
      stop();
      figures.kills++;
      await Promise.all(loops);
      trace(`round ${round}: killed, loops ended`);

      const db = checkDb(dataDir);
      if (db.integrity) figures.integrityOk++;
      if (db.registrations === USERS.length) figures.registrationsIntact++;
      if (db.group) figures.groupsIntact++;

      await restart();
      trace(`round ${round}: restarted`);
      // the stored group session comes back: every member gets a BYE and rejoins by identity
      await until(() => [ua.ka, ua.kb, ua.kc].every((u) => u.byes.length >= round), `round ${round}: BYE to the members`);
      for (const u of [ua.ka, ua.kb, ua.kc]) {
        const back = await u.invite('x', { requestUri: identity });
        if (back.status !== 200) throw new Error(`round ${round}: ${u.user} rejoin: ${back.status}`);
      }
      await setUp1to1();
      trace(`round ${round}: rejoined`);
    }
    await Promise.all(pagerPending);
    trace('pager settled');
    // a last quiet moment for deliveries of the last round to land
    await sleep(300);
  } finally {
    await s.stop();
    for (const u of all) await u.close();
  }

  // Accounting over the whole run.
  const kqGot = new Set(ua.kq.peer.received.filter((m) => m.method === 'MESSAGE').map((m) => m.body.toString('utf8')));
  figures.pager.acked = pagerAcked.size;
  figures.pager.delivered = kqGot.size;
  figures.pager.ackedNotDelivered = [...pagerAcked].filter((t) => !kqGot.has(t)).length;

  const k2Got = new Set(ua.k2.messages.map((m) => m.body.toString('utf8')));
  const confirmed1 = new Set(ua.k1.reports.filter((r) => r.status.code === 200).map((r) => r.messageId));
  figures.msrp1to1.hopAcked = oneHop.size;
  figures.msrp1to1.delivered = k2Got.size;
  figures.msrp1to1.confirmed = [...oneHop.keys()].filter((id) => confirmed1.has(id)).length;
  figures.msrp1to1.confirmedNotDelivered = [...oneHop].filter(([id, t]) => confirmed1.has(id) && !k2Got.has(t)).length;
  figures.msrp1to1.hopAckedInFlightAtKill = [...oneHop].filter(([id, t]) => !confirmed1.has(id) && !k2Got.has(t)).length;

  const texts = (u: RawUa) => new Set(u.messages.filter((m) => m.contentType === 'message/cpim').map((m) => delivered(m).text));
  const kbGot = texts(ua.kb);
  const kcGot = texts(ua.kc);
  const confirmedG = new Set(ua.ka.reports.filter((r) => r.status.code === 200).map((r) => r.messageId));
  const toAll = (t: string) => kbGot.has(t) && kcGot.has(t);
  figures.group.hopAcked = groupHop.size;
  figures.group.deliveredToAll = [...groupHop.values()].filter(toAll).length;
  figures.group.confirmed = [...groupHop.keys()].filter((id) => confirmedG.has(id)).length;
  figures.group.confirmedNotDelivered = [...groupHop].filter(([id, t]) => confirmedG.has(id) && !toAll(t)).length;
  figures.group.hopAckedInFlightAtKill = [...groupHop].filter(([id, t]) => !confirmedG.has(id) && !toAll(t)).length;
  return figures;
}

runMain(module, () => runKillLoop(intArg('runs', 20)));
