/**
 * Group session fan-out (issue 9, issue 14 item 3): one sender, N receivers, through imedge's
 * MSRP switch (relays/switch-main.ts), beside the 1-1 relay between the same client processes
 * at the same size and window, in the same run. Each row runs in fresh processes.
 */
import { join } from 'node:path';
import type { ReceiversExpectArg, ReceiversExpectResult, ReceiversSetupArg } from './client/fanout-receivers';
import type { RunArg, RunResult, SetupArg, SetupResult } from './client/protocol';
import { FANOUT_KEYS, fanoutFiguresOf, type FanoutFigures, type FanoutMemory, type FanoutRow } from './fanout-report';
import { runCount, warmupCount } from './measure';
import { memStatus, MemorySampler, sumCpuTicks } from './proc-stats';
import { imedgeRelay } from './relays/imedge';
import type { SettledMemory, SwitchMember, SwitchStartResult, SwitchStats } from './relays/switch-main';
import { RELAY_TIMEOUT_MS, type ClientTarget } from './relays/types';
import { forkWorker, type Worker } from './rpc';
import { checkSharedClock, CLIENT_TIMEOUT_MS, sessionUris, type BenchContext } from './session';
import { medianOf } from './stats';

export interface FanoutSpec {
  readonly size: number;
  readonly window: number;
  readonly chunk: number;
  readonly runs: number;
  readonly seconds: number;
  readonly messages: number | undefined;
  readonly receivers: readonly number[];
  /** The paced run's rate as a share of the row's measured msgs/s. */
  readonly paceShare: number;
  /** When set, the switch processes run with --cpu-prof and write their profiles here. */
  readonly cpuProfDir?: string;
}

/** Pause before an RSS reading, after a full GC in the switch process. */
const SETTLE_MS = 300;
/** How long the receivers may still take once the sender has seen error responses. */
const FAILURE_GRACE_MS = 5000;
/** Second warm-up pass, seconds at the first pass's pace. */
const WARMUP_SECONDS = 0.5;
/** Messages of a paced run at least (its p99 needs a few hundred deliveries). */
const PACED_MIN_MESSAGES = 100;
/** Deliveries of a paced run at least (over all its receivers), for a p99 of many. */
const PACED_MIN_DELIVERIES = 2000;
/** Members bound and removed before the RSS reading with none (one-off costs). */
const RSS_WARMUP_MEMBERS = 8;

/** The two client processes of a row: the sender and the process holding every receiver. */
interface Clients {
  readonly sender: Worker;
  readonly receivers: Worker;
  close(): Promise<void>;
}

/** node --cpu-prof arguments writing `name` into dir (none without a dir). */
function cpuProfArgs(dir: string | undefined, name: string): string[] {
  return dir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`];
}

/** The row's client processes; with a profile dir, the receivers' process is profiled too (into `name`). */
async function forkClients(ctx: BenchContext, prof?: { readonly dir: string | undefined; readonly name: string }): Promise<Clients> {
  const fork = (name: string, file: string, execArgv: string[] = []): Promise<Worker> =>
    forkWorker(name, join(__dirname, 'client', file), ctx.registry, { timeoutMs: CLIENT_TIMEOUT_MS, execArgv });
  const forks = await Promise.allSettled([
    fork('fan-out sender', 'sender.js'),
    fork('fan-out receivers', 'fanout-receivers.js', cpuProfArgs(prof?.dir, prof?.name ?? '')),
  ]);
  const [fs, fr] = forks;
  if (fs.status === 'rejected' || fr.status === 'rejected') {
    await Promise.all(forks.map((f) => (f.status === 'fulfilled' ? f.value.stop() : undefined)));
    throw fs.status === 'rejected' ? fs.reason : (fr as PromiseRejectedResult).reason;
  }
  const sender = fs.value;
  const receivers = fr.value;
  const close = async (): Promise<void> => {
    await Promise.all([sender, receivers].map((w) => w.call('close', null, 5000).catch(() => undefined)));
    await Promise.all([sender.stop(), receivers.stop()]);
  };
  try {
    await checkSharedClock(sender);
    await checkSharedClock(receivers);
  } catch (e) {
    await close();
    throw e;
  }
  return { sender, receivers, close };
}

function senderSetup(t: ClientTarget, ownUri: string, ctx: BenchContext): SetupArg {
  return {
    host: t.host,
    port: t.port,
    ownUri,
    handshake: t.handshake,
    handshakeToPath: t.handshakeToPath,
    baseNs: ctx.baseNs.toString(),
    timeoutMs: CLIENT_TIMEOUT_MS,
  };
}

async function setupReceivers(c: Clients, targets: ReceiversSetupArg['targets'], ctx: BenchContext): Promise<void> {
  const arg: ReceiversSetupArg = { targets, baseNs: ctx.baseNs.toString(), timeoutMs: CLIENT_TIMEOUT_MS };
  await c.receivers.call<number>('setup', arg, CLIENT_TIMEOUT_MS + targets.length * 1000);
}

interface OneRun {
  readonly figures: FanoutFigures;
  readonly faults: number;
}

/** A row's subject: where its CPU is counted, and the To-Path the sender uses. */
interface Subject {
  readonly pids: () => readonly number[];
  readonly toPath: readonly string[];
  readonly receivers: number;
}

async function runOnce(
  c: Clients,
  s: Subject,
  spec: FanoutSpec,
  count: number,
  firstIndex: number,
  expectedSec: number,
  ctx: BenchContext,
  paceMsgsPerSec?: number,
): Promise<OneRun> {
  // generous: a slow switch must finish, a stuck one must not hang the bench
  const timeoutMs = Math.min(600_000, 30_000 + expectedSec * 10_000);
  const expectArg: ReceiversExpectArg = { firstIndex, count, minBytes: spec.size, timeoutMs };
  const expect = c.receivers.call<ReceiversExpectResult>('expect', expectArg, timeoutMs + 5000);
  const clientPids = [c.sender.pid, c.receivers.pid];
  const before = sumCpuTicks(s.pids());
  const clientsBefore = clientPids.map((p) => sumCpuTicks([p]));
  const runArg: RunArg = { toPath: s.toPath, size: spec.size, chunk: spec.chunk, window: spec.window, count, firstIndex, timeoutMs, stamp: true, paceMsgsPerSec };
  const a = await c.sender.call<RunResult>('run', runArg, timeoutMs + 5000);
  let r: ReceiversExpectResult;
  if (a.failures > 0) {
    const grace = new Promise<never>((_, reject) => {
      setTimeout(() => reject(new Error('not every delivery arrived')), FAILURE_GRACE_MS).unref();
    });
    try {
      r = await Promise.race([expect, grace]);
    } catch (e) {
      expect.catch(() => undefined);
      throw new Error(`${a.failures} SEND chunks answered with an error (${a.failureStatuses}); ${e instanceof Error ? e.message : String(e)}`);
    }
  } else r = await expect;
  const ticks = sumCpuTicks(s.pids()) - before;
  const [senderTicks, receiversTicks] = clientPids.map((p, i) => sumCpuTicks([p]) - clientsBefore[i]);
  const figures = fanoutFiguresOf({
    receivers: s.receivers,
    sendNs: a.sendNs,
    ackNs: a.ackNs,
    doneNs: r.doneNs,
    cpuTicks: ticks,
    senderTicks,
    receiversTicks,
    clkTck: ctx.clkTck,
  });
  return { figures, faults: a.failures + r.bad };
}

/** A row set up and ready to run: its processes stay up until stop(). */
interface Prepared {
  readonly label: string;
  readonly path: FanoutRow['path'];
  readonly clients: Clients;
  readonly subject: Subject;
  readonly sampler: MemorySampler;
  readonly memory?: Omit<FanoutMemory, 'ringHighWater'>;
  /** Message index of the next run (indices are never reused). */
  index: number;
  /** Measured msgs/s so far: sizes the next run. */
  rate: number;
  /** Messages of the last measured run. */
  lastCount: number;
  faults: number;
  readonly runs: FanoutFigures[];
  paced?: FanoutFigures;
  error?: string;
  /** The switch's counters (undefined for the relay). */
  stats(): Promise<SwitchStats | undefined>;
  stop(): Promise<void>;
}

/** The baseline: the 1-1 relay, one receiver, the same client processes and procedure. */
async function prepareRelay(ctx: BenchContext): Promise<Prepared> {
  const running = await imedgeRelay(ctx.registry).start();
  const sampler = new MemorySampler(() => running.pids(), 100);
  sampler.start();
  let clients: Clients | undefined;
  const stop = async (): Promise<void> => {
    sampler.stop();
    await clients?.close();
    await running.stop();
  };
  try {
    clients = await forkClients(ctx);
    const uris = sessionUris(0);
    const t = await running.openSession(uris);
    await setupReceivers(clients, [{ target: t.b, ownUri: uris.bUri }], ctx);
    await clients.sender.call<SetupResult>('setup', senderSetup(t.a, uris.aUri, ctx), CLIENT_TIMEOUT_MS * 2);
    return {
      label: '1-1 relay',
      path: 'relay',
      clients,
      subject: { pids: () => running.pids(), toPath: t.a.toPath, receivers: 1 },
      sampler,
      index: 0,
      rate: 0,
      lastCount: 0,
      faults: 0,
      runs: [],
      stats: () => Promise.resolve(undefined),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Closes the child's IPC channel (serveRpc exits then) and waits for it to exit, at most ms. */
async function exitOnDisconnect(w: Worker, ms: number): Promise<void> {
  const child = w.child;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.disconnect();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

function rssKb(pid: number): number {
  return memStatus(pid)?.rssKb ?? Number.NaN;
}

/**
 * The switch with the sender and n receivers as members of one group session. RSS per
 * participant is read here, before any traffic: with only the sender bound (after a few
 * warm-up members came and went), then with every receiver bound too.
 */
async function prepareSwitch(n: number, spec: FanoutSpec, ctx: BenchContext): Promise<Prepared> {
  const prof = cpuProfArgs(spec.cpuProfDir, `switch-${n}-receivers`);
  const host = await forkWorker('MSRP switch', join(__dirname, 'relays', 'switch-main.js'), ctx.registry, {
    timeoutMs: RELAY_TIMEOUT_MS,
    execArgv: ['--expose-gc', ...prof],
  });
  const pids = (): number[] => [host.pid];
  const sampler = new MemorySampler(pids, 100);
  let clients: Clients | undefined;
  const stop = async (): Promise<void> => {
    sampler.stop();
    await clients?.close();
    await host.call('close', null, 5000).catch(() => undefined);
    // a profile is written only when the process exits by itself: it does once the channel closes
    if (spec.cpuProfDir !== undefined) await exitOnDisconnect(host, 10_000);
    await host.stop();
  };
  try {
    const started = await host.call<SwitchStartResult>('start', { maxParticipants: n + 1 }, RELAY_TIMEOUT_MS);
    sampler.start();
    clients = await forkClients(ctx, { dir: spec.cpuProfDir, name: `receivers-process-${n}` });
    const target = (local: string): ClientTarget => ({
      host: '127.0.0.1',
      port: started.port,
      handshake: 'bind',
      handshakeToPath: [local],
      toPath: [local],
    });
    const senderUri = sessionUris(0).aUri;
    const [senderLocal] = await host.call<string[]>('add', [{ id: 'sender', uri: senderUri }] satisfies SwitchMember[], RELAY_TIMEOUT_MS);
    await clients.sender.call<SetupResult>('setup', senderSetup(target(senderLocal), senderUri, ctx), CLIENT_TIMEOUT_MS * 2);
    // warm-up members, bound then removed: what the first few cost once (code compiled for the
    // accept, bind and leg paths, grown tables) is then in the "none" reading, not in theirs
    const warm: SwitchMember[] = [];
    for (let i = 0; i < RSS_WARMUP_MEMBERS; i++) warm.push({ id: `warm${i}`, uri: `msrp://127.0.0.1:2855/w${i}s;tcp` });
    const warmLocals = await host.call<string[]>('add', warm, RELAY_TIMEOUT_MS);
    await setupReceivers(clients, warmLocals.map((l, i) => ({ target: target(l), ownUri: warm[i].uri })), ctx);
    await host.call<number>('remove', warm.map((m) => m.id), RELAY_TIMEOUT_MS);
    await clients.receivers.call('close', null, CLIENT_TIMEOUT_MS);
    const noneMem = await host.call<SettledMemory>('settle', SETTLE_MS, RELAY_TIMEOUT_MS);
    const none = rssKb(host.pid);
    const members: SwitchMember[] = [];
    for (let i = 0; i < n; i++) members.push({ id: `r${i}`, uri: sessionUris(i + 1).bUri });
    const locals = await host.call<string[]>('add', members, RELAY_TIMEOUT_MS);
    await setupReceivers(clients, locals.map((l, i) => ({ target: target(l), ownUri: members[i].uri })), ctx);
    const boundMem = await host.call<SettledMemory>('settle', SETTLE_MS, RELAY_TIMEOUT_MS);
    const bound = rssKb(host.pid);
    return {
      label: `switch, ${n} receivers`,
      path: 'switch',
      clients,
      subject: { pids, toPath: [senderLocal], receivers: n },
      sampler,
      memory: {
        kbPerParticipantBound: (bound - none) / n,
        heapKbPerParticipant: (boundMem.heapUsedKb - noneMem.heapUsedKb) / n,
        externalKbPerParticipant: (boundMem.externalKb - noneMem.externalKb) / n,
        ringBytes: started.ringBytes,
      },
      index: 0,
      rate: 0,
      lastCount: 0,
      faults: 0,
      runs: [],
      stats: () => host.call<SwitchStats>('stats', null, RELAY_TIMEOUT_MS),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** One run of a prepared row; a failure marks the row failed (it is not run again). */
async function step(p: Prepared, spec: FanoutSpec, count: number, expectedSec: number, ctx: BenchContext, paceMsgsPerSec?: number): Promise<FanoutFigures | undefined> {
  if (p.error !== undefined) return undefined;
  try {
    const one = await runOnce(p.clients, p.subject, spec, count, p.index, expectedSec, ctx, paceMsgsPerSec);
    p.index += count;
    p.faults += one.faults;
    return one.figures;
  } catch (e) {
    p.error = errorText(e);
    return undefined;
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The relay baseline and one switch row per receiver count, all set up first; then warm-ups,
 * then the measured runs interleaved (relay, switch 10, switch 50, relay, ...) so that a
 * neighbour's load on this shared machine falls on every row alike; then one paced run per
 * row at spec.paceShare of its measured rate, for latency at a light load. A failed row is
 * reported, not thrown.
 */
export async function measureFanout(spec: FanoutSpec, ctx: BenchContext, progress: (line: string) => void): Promise<FanoutRow[]> {
  const plan: { label: string; path: FanoutRow['path']; receivers: number; prepare: () => Promise<Prepared> }[] = [
    { label: '1-1 relay', path: 'relay', receivers: 1, prepare: () => prepareRelay(ctx) },
    ...spec.receivers.map((n) => ({ label: `switch, ${n} receivers`, path: 'switch' as const, receivers: n, prepare: () => prepareSwitch(n, spec, ctx) })),
  ];
  const prepared: (Prepared | { error: string })[] = [];
  try {
    for (const item of plan) {
      try {
        prepared.push(await item.prepare());
      } catch (e) {
        progress(`  fan-out ${item.label}: failed to set up: ${errorText(e)}`);
        prepared.push({ error: errorText(e) });
      }
    }
    const live = prepared.filter((p): p is Prepared => 'clients' in p);
    for (const p of live) {
      const warm = warmupCount(spec.size);
      const w = await step(p, spec, warm, 2, ctx);
      if (w === undefined) continue;
      const warm2 = runCount(w.msgsPerSec, WARMUP_SECONDS);
      const w2 = await step(p, spec, warm2, WARMUP_SECONDS, ctx);
      if (w2 !== undefined) p.rate = w2.msgsPerSec;
    }
    // faults in the warm-ups count too: they are faults of the path under test
    for (let r = 0; r < spec.runs; r++) {
      for (const p of live) {
        const count = spec.messages ?? runCount(p.rate, spec.seconds);
        const f = await step(p, spec, count, count / Math.max(p.rate, 1), ctx);
        if (f === undefined) continue;
        p.runs.push(f);
        p.rate = f.msgsPerSec;
        p.lastCount = count;
      }
    }
    for (const p of live) {
      if (p.runs.length === 0) continue;
      const pace = spec.paceShare * medianOf(p.runs, FANOUT_KEYS).msgsPerSec;
      const count = Math.max(PACED_MIN_MESSAGES, Math.ceil(PACED_MIN_DELIVERIES / p.subject.receivers), runCount(pace, spec.seconds));
      p.paced = await step(p, spec, count, count / Math.max(pace, 1), ctx, pace);
    }
    const rows: FanoutRow[] = [];
    for (let i = 0; i < plan.length; i++) {
      const item = plan[i];
      const p = prepared[i];
      if (!('clients' in p) || p.runs.length === 0) {
        rows.push({ path: item.path, receivers: item.receivers, error: 'clients' in p ? p.error : p.error });
        continue;
      }
      const stats = await p.stats().catch(() => undefined);
      const figures = medianOf(p.runs, FANOUT_KEYS);
      // a clean run refuses nothing, reports no failure and removes nobody
      const switchFaults = stats === undefined ? 0 : stats.refused + stats.failureReportsSent + stats.removedSlow + stats.badEvents;
      progress(`  fan-out ${p.label}: ${Math.round(figures.deliveriesPerSec)} deliveries/s`);
      rows.push({
        path: item.path,
        receivers: item.receivers,
        figures,
        paced: p.paced,
        peakRssMb: p.sampler.stop() / 1024,
        memory: p.memory === undefined ? undefined : { ...p.memory, ringHighWater: stats?.ringHighWater ?? Number.NaN },
        messages: p.lastCount,
        faults: p.faults + switchFaults,
        error: p.error,
      });
    }
    return rows;
  } finally {
    for (const p of prepared) if ('clients' in p) await p.stop();
  }
}
