/**
 * Conference state (issue 10 benchmark): NOTIFYs sent per join in a session of S watchers, and
 * the time from a join to the last watcher's NOTIFY, for paced joins and for a burst of joins
 * with watchers that answer at once or after a delay. One real `imedge serve` child; the
 * clients (raw SIP UAs) are one forked process (client/notify-clients.ts). Every row is a
 * fresh pre-defined group on the same server, set up, measured and taken down in turn.
 */
import { join } from 'node:path';
import { serializeGroupDocument } from '../../src/xml';
import type { NotifyJoinsArg, NotifyJoinsResult, NotifySetupArg, NotifySetupResult } from './client/notify-clients';
import { startImedge, type ImedgeServer } from './imedge-server';
import { groupsFigure, notifyFiguresOf, type NotifyRow, type NotifyRun, type NotifySpec } from './notify-report';
import { cpuTicks } from './proc-stats';
import { forkWorker, type Worker } from './rpc';
import { CLIENT_TIMEOUT_MS, type BenchContext } from './session';

const DOMAIN = 'localhost';
/** One phase's joins and NOTIFYs, at most (a burst with slow watchers takes ~joins x delay). */
const PHASE_TIMEOUT_MS = 120_000;
/** Paced joins: pause between one join being everywhere and the next. */
const PACED_GAP_MS = 10;

interface Kind {
  readonly label: string;
  readonly mode: 'paced' | 'burst';
  readonly answerDelayMs: number;
}

function kinds(s: NotifySpec): Kind[] {
  return [
    { label: 'paced, at once', mode: 'paced', answerDelayMs: 0 },
    { label: 'burst, at once', mode: 'burst', answerDelayMs: 0 },
    { label: `burst, after ${s.answerDelayMs} ms`, mode: 'burst', answerDelayMs: s.answerDelayMs },
  ];
}

/** A pre-defined group whose members may start, join and watch it (allow-conference-state). */
function groupDocument(id: string, members: readonly string[]): string {
  return serializeGroupDocument({
    uri: `sip:${id}@${DOMAIN}`,
    entries: members.map((m) => ({ uri: `sip:${m}@${DOMAIN}` })),
    inviteMembers: false,
    rules: [
      {
        id: 'members',
        conditions: [{ kind: 'is-list-member' }],
        actions: { joinHandling: 'allow', allowAnonymity: false, allowInitiateConference: true, allowConferenceState: true },
      },
    ],
    release: { autoRelease: false },
  });
}

async function http(server: ImedgeServer, method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${server.httpPort}${path}`, {
    method,
    ...(body !== undefined ? { body, headers: { 'content-type': 'application/xml' } } : {}),
  });
  return { status: res.status, text: await res.text() };
}

async function counters(server: ImedgeServer): Promise<{ notifies: number; coalesced: number; ticks: number }> {
  const ticks = cpuTicks(server.pid) ?? Number.NaN;
  const m = await http(server, 'GET', '/metrics');
  return { notifies: groupsFigure(m.text, 'events_notifies'), coalesced: groupsFigure(m.text, 'events_coalesced'), ticks };
}

async function phase(server: ImedgeServer, clients: Worker, s: NotifySpec, k: Kind, id: string, ctx: BenchContext): Promise<{ run: NotifyRun; errors: readonly string[] }> {
  const creator = `${id}-c`;
  const watchers = Array.from({ length: s.watchers }, (_, i) => `${id}-w${i}`);
  const joiners = Array.from({ length: s.joins }, (_, i) => `${id}-j${i}`);
  const put = await http(server, 'PUT', `/groups/${id}`, groupDocument(id, [creator, ...watchers, ...joiners]));
  if (put.status !== 201 && put.status !== 200) throw new Error(`PUT /groups/${id}: ${put.status} ${put.text.slice(0, 200)}`);
  const setup: NotifySetupArg = {
    sipPort: server.sipPort,
    domain: DOMAIN,
    groupUri: `sip:${id}@${DOMAIN}`,
    creator,
    watchers,
    joiners,
    answerDelayMs: k.answerDelayMs,
    timeoutMs: CLIENT_TIMEOUT_MS,
  };
  try {
    await clients.call<NotifySetupResult>('setup', setup, CLIENT_TIMEOUT_MS * 4);
    const before = await counters(server);
    const arg: NotifyJoinsArg = { mode: k.mode, gapMs: PACED_GAP_MS, settleMs: 2 * k.answerDelayMs + 200, timeoutMs: PHASE_TIMEOUT_MS };
    const r = await clients.call<NotifyJoinsResult>('joins', arg, PHASE_TIMEOUT_MS + 10_000);
    const after = await counters(server);
    const run: NotifyRun = {
      watchers: s.watchers,
      joins: s.joins,
      joinMs: r.joinMs,
      seenMs: r.seenMs,
      received: r.received,
      serverNotifies: after.notifies - before.notifies,
      serverCoalesced: after.coalesced - before.coalesced,
      cpuTicks: after.ticks - before.ticks,
      clkTck: ctx.clkTck,
    };
    return { run, errors: r.errors };
  } finally {
    await clients.call('teardown', null, CLIENT_TIMEOUT_MS * 2).catch(() => undefined);
    await http(server, 'DELETE', `/groups/${id}`).catch(() => undefined);
  }
}

export async function measureNotify(s: NotifySpec, ctx: BenchContext, log: (line: string) => void): Promise<NotifyRow[]> {
  const server = await startImedge({
    // the creator and every joiner are participants; the watchers are not
    IMEDGE_GROUPS__MAX_PARTICIPANTS: String(Math.max(2, s.joins + 1)),
    IMEDGE_EVENTS__MAX_SUBSCRIPTIONS: String(Math.max(500, 2 * s.watchers)),
  });
  ctx.registry.add(server.proc);
  let clients: Worker | undefined;
  const ks = kinds(s);
  const runs: NotifyRun[][] = ks.map(() => []);
  const errors: string[][] = ks.map(() => []);
  try {
    clients = await forkWorker('notify clients', join(__dirname, 'client', 'notify-clients.js'), ctx.registry, { timeoutMs: CLIENT_TIMEOUT_MS });
    // rows interleaved run by run: load from others on the machine falls on each alike
    for (let n = 0; n < s.runs; n++) {
      for (const [i, k] of ks.entries()) {
        try {
          const p = await phase(server, clients, s, k, `nb${n}${k.mode[0]}${k.answerDelayMs}`, ctx);
          runs[i].push(p.run);
          errors[i].push(...p.errors);
          log(`  notify ${k.label} run ${n + 1}: ${p.run.serverNotifies} NOTIFYs, ${p.run.serverCoalesced} coalesced`);
        } catch (e) {
          errors[i].push(e instanceof Error ? e.message : String(e));
          log(`  notify ${k.label} run ${n + 1}: failed: ${errors[i][errors[i].length - 1]}`);
        }
      }
    }
  } finally {
    await clients?.call('close', null, 5000).catch(() => undefined);
    await clients?.stop();
    await server.stop();
  }
  return ks.map((k, i) => ({ label: k.label, mode: k.mode, answerDelayMs: k.answerDelayMs, figures: runs[i].length > 0 ? notifyFiguresOf(runs[i]) : undefined, errors: errors[i] }));
}
