/**
 * 1-1 session figures: set-ups per second through a real `imedge serve` process, each one
 * INVITE/200/ACK + MSRP connect + one message + BYE, with N concurrent caller/callee pairs
 * (src/client drives it, in this process); and the server's RSS per open session. The
 * baselines in the same run are the same server relaying a page-mode MESSAGE between the same
 * pairs (its SIP floor), and its idle RSS.
 */
import { ImClient, type ImSession } from '../../src/client';
import { startImedge } from './imedge-server';
import { cpuTicks, cpuTicksSplit, memStatus } from './proc-stats';
import { percentile } from './stats';
import { fmt, formatTable } from './table';

const client = (user: string, sipPort: number) =>
  ImClient.start({ user, domain: 'localhost', server: { host: '127.0.0.1', port: sipPort, transport: 'TCP' }, maxSessions: 4096 });

/** CPU seconds (user + system) of a process.cpuUsage() difference. */
const usedSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;

/** Store commits so far (each one fsync with synchronous=FULL): the server's group-commit counter. */
async function storeCommits(httpPort: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
  const text = await res.text();
  const m = /^imedge_store_group_commits_total\s+([0-9.e+]+)$/m.exec(text);
  return m === null ? Number.NaN : Number(m[1]);
}

/** N registered caller/callee pairs (callerI, calleeI) on the server. */
export async function registeredPairs(pairs: number, sipPort: number): Promise<{ callers: ImClient[]; callees: ImClient[] }> {
  const callers: ImClient[] = [];
  const callees: ImClient[] = [];
  for (let i = 0; i < pairs; i++) {
    const a = await client(`caller${i}`, sipPort);
    const b = await client(`callee${i}`, sipPort);
    callers.push(a);
    callees.push(b);
    await a.register(600);
    await b.register(600);
  }
  return { callers, callees };
}

/**
 * Opens n 1-1 sessions (each INVITE answered) and holds them: the pairs work in parallel, each
 * opening its share one after another (so at most one set-up per pair is in flight).
 */
export async function holdSessions(callers: readonly ImClient[], n: number): Promise<ImSession[]> {
  const perPair = callers.map((_, i) => Math.floor(n / callers.length) + (i < n % callers.length ? 1 : 0));
  const held = await Promise.all(
    callers.map(async (c, i) => {
      const mine: ImSession[] = [];
      for (let k = 0; k < perPair[i]; k++) mine.push(await c.invite(`callee${i}`));
      return mine;
    }),
  );
  return held.flat();
}

/** The server's V8 heap in use (its /metrics gauge), bytes. */
async function heapUsed(httpPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const m = /^imedge_nodejs_heap_size_used_bytes\s+([0-9.e+]+)$/m.exec(text);
  return m === null ? Number.NaN : Number(m[1]);
}

export interface SessionFigures {
  /** Store commits (fsyncs) per set-up during the set-up run; issue 8 target <= 1. */
  commitsPerSetup: number;
  setupsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerSetup: number;
  /** Share of that CPU spent in the kernel (socket syscalls, fsync), 0..1. */
  systemShareSetup: number;
  systemShareOptions: number;
  optionsPerSec: number;
  cpuUsPerOptions: number;
  idleRssMb: number;
  rssMbOpen: number;
  kbPerSession: number;
  /** V8 heap bytes per held session (heap in use with them open minus before), KB. */
  heapKbPerSession: number;
  /** Cores kept busy during the set-up run by the server and by the clients (this process). */
  serverCores: number;
  clientCores: number;
  /** The same during the page-MESSAGE baseline run. */
  serverCoresMsg: number;
  clientCoresMsg: number;
  /** Seconds to set up the held sessions (the pairs in parallel). */
  openSeconds: number;
  openSessions: number;
  /** The same hold on a fresh server (no rate run before it): its idle and held RSS, MB, and seconds. */
  fresh: FreshHold;
}

export interface FreshHold {
  idleRssMb: number;
  rssMbOpen: number;
  kbPerSession: number;
  openSeconds: number;
}

/**
 * Opens n sessions (holdSessions) and reads the server's RSS 0.5 s after the last one: what
 * both hold measurements take, on the rate run's server and on a fresh one.
 */
async function timedHold(pid: number, callers: readonly ImClient[], n: number): Promise<{ held: ImSession[]; seconds: number; rssKb: number }> {
  const t0 = Date.now();
  const held = await holdSessions(callers, n);
  const seconds = (Date.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 500));
  return { held, seconds, rssKb: memStatus(pid)?.rssKb ?? 0 };
}

/**
 * openSessions held on a fresh server: the rate run before the hold in measureSessions leaves
 * dead objects V8 has not collected yet and INVITE transactions in RFC 6026's Accepted state
 * (32 s), so that server starts the hold well above its idle floor. Both figures are printed.
 */
async function freshHold(pairs: number, openSessions: number): Promise<FreshHold> {
  const server = await startImedge();
  const clients: ImClient[] = [];
  try {
    const { callers, callees } = await registeredPairs(pairs, server.sipPort);
    clients.push(...callers, ...callees);
    await new Promise((r) => setTimeout(r, 1000));
    const idle = memStatus(server.pid)?.rssKb ?? 0;
    const hold = await timedHold(server.pid, callers, openSessions);
    for (const s of hold.held) await s.leave().catch(() => undefined);
    return { idleRssMb: idle / 1024, rssMbOpen: hold.rssKb / 1024, kbPerSession: (hold.rssKb - idle) / openSessions, openSeconds: hold.seconds };
  } finally {
    for (const c of clients) await c.close(200).catch(() => undefined);
    await server.stop();
  }
}

export async function measureSessions(pairs: number, seconds: number, openSessions: number, clk: number): Promise<SessionFigures> {
  // the rate run's clients and server are gone before the fresh hold: it has the machine to itself
  const figures = await measureOnOneServer(pairs, seconds, openSessions, clk);
  return { ...figures, fresh: await freshHold(pairs, openSessions) };
}

/** Warm-up of each loop before the measured runs, ms. */
const WARMUP_MS = 1000;

/** One relayed page-mode MESSAGE per iteration and pair until `end`; how many were answered. */
async function pageLoop(callers: readonly ImClient[], end: number): Promise<number> {
  let n = 0;
  await Promise.all(
    callers.map(async (c, i) => {
      while (Date.now() < end) {
        await c.sendMessage(`callee${i}`, 'ping');
        n++;
      }
    }),
  );
  return n;
}

/** One set-up per iteration and pair until `end` (INVITE, one message that arrives, BYE); latencies in ms. */
async function setupLoop(callers: readonly ImClient[], arrived: ((() => void) | undefined)[], end: number, latencies: number[]): Promise<void> {
  await Promise.all(
    callers.map(async (a, i) => {
      while (Date.now() < end) {
        const start = process.hrtime.bigint();
        const got = new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('message not delivered in 10 s')), 10_000);
          arrived[i] = () => {
            clearTimeout(t);
            resolve();
          };
        });
        const s = await a.invite(`callee${i}`);
        await s.send('ping', { contentType: 'text/plain' });
        await got;
        await s.leave();
        latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    }),
  );
}

/** The rate run, its page-MESSAGE baseline and the hold after them, on one server. */
async function measureOnOneServer(pairs: number, seconds: number, openSessions: number, clk: number): Promise<Omit<SessionFigures, 'fresh'>> {
  const server = await startImedge();
  const pid = server.pid;
  const callers: ImClient[] = [];
  const callees: ImClient[] = [];
  const arrived: ((() => void) | undefined)[] = [];
  try {
    for (let i = 0; i < pairs; i++) {
      const a = await client(`caller${i}`, server.sipPort);
      const b = await client(`callee${i}`, server.sipPort);
      await a.register(600);
      await b.register(600);
      callers.push(a);
      callees.push(b);
      // Every session the callee gets reports its messages to whoever waits on this pair;
      // listening once per session could miss a message that beats the listener.
      b.on('session', (sess: ImSession) => sess.on('message', () => arrived[i]?.()));
    }
    // Warm-up, not counted: both loops run once so that the server's and the clients' code is
    // compiled before either is timed (a cold first second read ~25% below steady state).
    await pageLoop(callers, Date.now() + WARMUP_MS);
    await setupLoop(callers, arrived, Date.now() + WARMUP_MS, []);
    // Baseline: the same server and pairs, one relayed page-mode MESSAGE per iteration.
    const optSplit0 = cpuTicksSplit(pid);
    const optStart = cpuTicks(pid) ?? 0;
    const optClient0 = process.cpuUsage();
    const optT0 = Date.now();
    const options = await pageLoop(callers, optT0 + seconds * 1000);
    const optCpu = ((cpuTicks(pid) ?? 0) - optStart) / clk;
    const optSys = systemShare(optSplit0, cpuTicksSplit(pid));
    const optClient = usedSeconds(process.cpuUsage(optClient0));
    const optElapsed = (Date.now() - optT0) / 1000;

    const latencies: number[] = [];
    const commits0 = await storeCommits(server.httpPort).catch(() => Number.NaN);
    const split0 = cpuTicksSplit(pid);
    const cpu0 = cpuTicks(pid) ?? 0;
    const client0 = process.cpuUsage();
    const t0 = Date.now();
    await setupLoop(callers, arrived, t0 + seconds * 1000, latencies);
    const elapsed = (Date.now() - t0) / 1000;
    const cpu = ((cpuTicks(pid) ?? 0) - cpu0) / clk;
    const sys = systemShare(split0, cpuTicksSplit(pid));
    const clientCpu = usedSeconds(process.cpuUsage(client0));
    // after the last BYE's deferred row removal has had its chance to ride in a batch or commit alone
    await new Promise((r) => setTimeout(r, 1100));
    const commits = (await storeCommits(server.httpPort).catch(() => Number.NaN)) - commits0;
    const idleRss = memStatus(pid)?.rssKb ?? 0;

    // RSS per open session: hold openSessions sessions at once.
    const heap0 = await heapUsed(server.httpPort).catch(() => Number.NaN);
    const hold = await timedHold(pid, callers, openSessions);
    const heap1 = await heapUsed(server.httpPort).catch(() => Number.NaN);
    for (const s of hold.held) await s.leave().catch(() => undefined);
    const sorted = Float64Array.from(latencies).sort();
    return {
      commitsPerSetup: commits / Math.max(1, latencies.length),
      setupsPerSec: latencies.length / elapsed,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      cpuUsPerSetup: (cpu * 1e6) / Math.max(1, latencies.length),
      systemShareSetup: sys,
      systemShareOptions: optSys,
      optionsPerSec: options / seconds,
      cpuUsPerOptions: (optCpu * 1e6) / Math.max(1, options),
      idleRssMb: idleRss / 1024,
      rssMbOpen: hold.rssKb / 1024,
      kbPerSession: (hold.rssKb - idleRss) / openSessions,
      heapKbPerSession: (heap1 - heap0) / 1024 / openSessions,
      serverCores: cpu / elapsed,
      clientCores: clientCpu / elapsed,
      serverCoresMsg: optCpu / optElapsed,
      clientCoresMsg: optClient / optElapsed,
      openSeconds: hold.seconds,
      openSessions,
    };
  } finally {
    for (const c of [...callers, ...callees]) await c.close(200).catch(() => undefined);
    await server.stop();
  }
}

function systemShare(a: { user: number; system: number } | undefined, b: { user: number; system: number } | undefined): number {
  if (a === undefined || b === undefined) return Number.NaN;
  const total = b.user + b.system - a.user - a.system;
  return total > 0 ? (b.system - a.system) / total : Number.NaN;
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : 'n/a');

export function sessionsTable(pairs: number, f: SessionFigures): string {
  const rows = [
    ['per second', fmt(f.setupsPerSec), fmt(f.optionsPerSec), `${(f.setupsPerSec / f.optionsPerSec).toFixed(2)}x`],
    ['server CPU us each', fmt(f.cpuUsPerSetup), fmt(f.cpuUsPerOptions), `${(f.cpuUsPerSetup / f.cpuUsPerOptions).toFixed(1)}x`],
    ['  of which in the kernel', pct(f.systemShareSetup), pct(f.systemShareOptions), ''],
    ['cores busy: server / clients', `${f.serverCores.toFixed(2)} / ${f.clientCores.toFixed(2)}`, `${f.serverCoresMsg.toFixed(2)} / ${f.clientCoresMsg.toFixed(2)}`, ''],
    ['latency p50 / p99 ms', `${f.p50Ms.toFixed(1)} / ${f.p99Ms.toFixed(1)}`, '', ''],
    ['store commits (fsyncs) each', f.commitsPerSetup.toFixed(2), '0', 'target <= 1'],
  ];
  const mem = [
    ['server RSS MB', f.rssMbOpen.toFixed(1), f.idleRssMb.toFixed(1), `${f.kbPerSession.toFixed(1)} KB`],
    ['server V8 heap per session', '', '', `${f.heapKbPerSession.toFixed(1)} KB`],
    [`seconds to set up ${f.openSessions} (${pairs} pairs in parallel)`, f.openSeconds.toFixed(1), '', ''],
    ['fresh server (no rate run before): RSS MB', f.fresh.rssMbOpen.toFixed(1), f.fresh.idleRssMb.toFixed(1), `${f.fresh.kbPerSession.toFixed(1)} KB`],
    [`fresh server: seconds to set up ${f.openSessions}`, f.fresh.openSeconds.toFixed(1), '', ''],
  ];
  const cols = (titles: string[]) => titles.map((title, i) => ({ title, align: i === 0 ? ('left' as const) : ('right' as const) }));
  return (
    `1-1 sessions through imedge (${pairs} concurrent pairs, SIP over TCP; one set-up = INVITE/200/ACK + MSRP connect + 1 message + BYE)\n` +
    `${formatTable(cols(['figure', 'session set-up', 'baseline: page MESSAGE', 'ratio']), rows)}\n\n` +
    formatTable(cols(['figure', `${f.openSessions} sessions open`, 'baseline: idle', 'per session']), mem)
  );
}
