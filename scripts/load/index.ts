/**
 * Load test (issue 11 item 7): holds N concurrent 1-1 chat sessions through a real `imedge serve`
 * at M messages/s each for a fixed time while SIPp keeps a REGISTER+OPTIONS signalling load on
 * the same server; samples the server's RSS, CPU and event-loop lag every second. Steps N up
 * (--sessions=50,100,...) and reports the largest N held with p99 message latency under the
 * bound (50 ms) and no errors, and whether RSS stayed flat. Bounded: every step has a fixed
 * duration and every wait a timeout. Not a test: `npm run load`; test/integration/load runs a
 * tiny step to prove the script works.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startImedge, type ImedgeServer } from '../bench/imedge-server';
import { cpuTicks, memStatus } from '../bench/proc-stats';
import { ChildRegistry, forkWorker, type Worker } from '../bench/rpc';
import { percentile } from '../bench/stats';
import { fmt, formatTable } from '../bench/table';
import type { RunArg, RunResult, SetupResult } from './protocol';
import { startSipp, type SippLoad } from './sipp-load';
import { rssVerdict, type RssVerdict } from './rss';

interface LoadOptions {
  readonly steps: readonly number[];
  readonly ratePerSession: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly size: number;
  readonly sippRate: number;
  readonly generators: number;
  readonly sessionsPerPair: number;
  readonly p99BoundMs: number;
  readonly json: boolean;
  readonly keepGoing: boolean;
}

export interface StepResult {
  readonly sessions: number;
  readonly opened: number;
  readonly setupFailed: number;
  readonly msgsPerSec: number;
  readonly sent: number;
  readonly received: number;
  readonly refused: number;
  readonly unexpectedEnds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly serverCores: number;
  readonly generatorCores: number;
  readonly generatorLagP99Ms: number;
  readonly serverLagP99MaxMs: number;
  readonly rss: RssVerdict;
  readonly sipp: { readonly successful: number; readonly failed: number; readonly exitCode: number | null };
  readonly errors: readonly string[];
  readonly ok: boolean;
}

const CALL_TIMEOUT_MS = 120_000;

function options(argv: readonly string[]): LoadOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      sessions: { type: 'string', default: '25,50,100,200,400' },
      rate: { type: 'string', default: '1' },
      seconds: { type: 'string', default: '60' },
      warmup: { type: 'string', default: '5' },
      size: { type: 'string', default: '200' },
      'sipp-rate': { type: 'string', default: '20' },
      generators: { type: 'string', default: String(Math.max(1, Math.min(2, availableParallelism()))) },
      'sessions-per-pair': { type: 'string', default: '1' },
      'p99-ms': { type: 'string', default: '50' },
      json: { type: 'boolean', default: false },
      'keep-going': { type: 'boolean', default: false },
    },
  });
  const num = (key: keyof typeof values, min: number, max: number): number => {
    const v = Number(values[key]);
    if (!Number.isFinite(v) || v < min || v > max) throw new Error(`--${key}: ${String(values[key])} is not a number in [${min}, ${max}]`);
    return v;
  };
  const steps = String(values.sessions)
    .split(',')
    .map((s) => Number(s));
  if (steps.some((n) => !Number.isInteger(n) || n < 1 || n > 5000)) throw new Error(`--sessions: ${values.sessions} must be integers in [1, 5000]`);
  return {
    steps,
    ratePerSession: num('rate', 0.01, 100),
    seconds: num('seconds', 1, 3600),
    warmupSeconds: num('warmup', 0, 600),
    size: num('size', 24, 65536),
    sippRate: num('sipp-rate', 0, 1000),
    generators: num('generators', 1, 8),
    sessionsPerPair: num('sessions-per-pair', 1, 100),
    p99BoundMs: num('p99-ms', 1, 10_000),
    json: values.json === true,
    keepGoing: values['keep-going'] === true,
  };
}

/** p99 of the server's own event-loop delay over the last collect (prom-client resets it per scrape). */
async function serverLagP99Ms(httpPort: number): Promise<number | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    const m = /^imedge_nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text);
    return m === null ? undefined : Number(m[1]) * 1000;
  } catch {
    return undefined;
  }
}

interface Sampler {
  readonly rssKb: number[];
  readonly lagMs: number[];
  stop(): void;
}

function sample(server: ImedgeServer): Sampler {
  const rssKb: number[] = [];
  const lagMs: number[] = [];
  void serverLagP99Ms(server.httpPort); // reset the lag histogram: the first sample covers one second
  const timer = setInterval(() => {
    const rss = memStatus(server.pid)?.rssKb;
    if (rss !== undefined) rssKb.push(rss);
    serverLagP99Ms(server.httpPort).then(
      (lag) => {
        if (lag !== undefined) lagMs.push(lag);
      },
      () => undefined,
    );
  }, 1000);
  return { rssKb, lagMs, stop: () => clearInterval(timer) };
}

async function step(n: number, o: LoadOptions, registry: ChildRegistry, clk: number): Promise<StepResult> {
  const server = await startImedge({
    IMEDGE_SESSIONS__MAX_TOTAL: String(Math.max(5000, n * 2)),
  });
  const gens: Worker[] = [];
  let sipp: SippLoad | undefined;
  try {
    const count = Math.min(o.generators, n);
    for (let g = 0; g < count; g++) {
      gens.push(await forkWorker(`generator ${g}`, join(__dirname, 'generator.js'), registry, { timeoutMs: 15_000 }));
    }
    // sessions spread over the generators as evenly as whole pairs allow
    const setups = await Promise.all(
      gens.map((w, g) => {
        const sessions = Math.floor(n / count) + (g < n % count ? 1 : 0);
        const pairs = Math.ceil(sessions / o.sessionsPerPair);
        return w.call<SetupResult>('setup', { sipPort: server.sipPort, prefix: `g${g}`, pairs, sessionsPerPair: Math.ceil(sessions / pairs) }, CALL_TIMEOUT_MS);
      }),
    );
    const opened = setups.reduce((s, r) => s + r.opened, 0);
    const setupFailed = setups.reduce((s, r) => s + r.failed, 0);
    const errors = setups.flatMap((r) => r.errors);
    const totalSeconds = o.warmupSeconds + o.seconds;
    if (o.sippRate > 0) sipp = startSipp(server.sipPort, o.sippRate, totalSeconds);
    const cpu0 = cpuTicks(server.pid) ?? 0;
    const sampler = sample(server);
    const runArg: RunArg = { ratePerSession: o.ratePerSession, size: o.size, warmupSeconds: o.warmupSeconds, seconds: o.seconds, drainMs: 5000 };
    let runs: RunResult[];
    try {
      runs = await Promise.all(gens.map((w) => w.call<RunResult>('run', runArg, (totalSeconds + 30) * 1000)));
    } finally {
      sampler.stop();
    }
    const serverCpu = ((cpuTicks(server.pid) ?? 0) - cpu0) / clk;
    const sippResult = sipp === undefined ? { successful: 0, failed: 0, exitCode: 0 } : await sipp.done;
    const lat = new Float64Array(runs.reduce((s, r) => s + r.latenciesMs.length, 0));
    let off = 0;
    for (const r of runs) {
      lat.set(r.latenciesMs, off);
      off += r.latenciesMs.length;
    }
    lat.sort();
    const sent = runs.reduce((s, r) => s + r.sent, 0);
    const received = runs.reduce((s, r) => s + r.received, 0);
    const refused = runs.reduce((s, r) => s + r.refused, 0);
    const unexpectedEnds = runs.reduce((s, r) => s + r.unexpectedEnds, 0);
    errors.push(...runs.flatMap((r) => r.errors));
    // the warm-up belongs to the run's wall time for CPU; its share is small and the same for every step
    const wall = totalSeconds;
    const p99 = percentile(lat, 99);
    const rss = rssVerdict(sampler.rssKb.slice(o.warmupSeconds));
    const ok =
      setupFailed === 0 && refused === 0 && unexpectedEnds === 0 && received >= sent && sippResult.failed === 0 && sippResult.exitCode === 0 && p99 < o.p99BoundMs;
    return {
      sessions: n,
      opened,
      setupFailed,
      msgsPerSec: lat.length / o.seconds,
      sent,
      received,
      refused,
      unexpectedEnds,
      p50Ms: percentile(lat, 50),
      p99Ms: p99,
      maxMs: lat.length > 0 ? lat[lat.length - 1] : Number.NaN,
      serverCores: serverCpu / wall,
      generatorCores: runs.reduce((s, r) => s + r.cpuSeconds, 0) / wall,
      generatorLagP99Ms: Math.max(...runs.map((r) => r.lagP99Ms)),
      serverLagP99MaxMs: sampler.lagMs.length > 0 ? Math.max(...sampler.lagMs.slice(o.warmupSeconds)) : Number.NaN,
      rss,
      sipp: sippResult,
      errors: errors.slice(0, 10),
      ok,
    };
  } finally {
    sipp?.stop();
    await Promise.all(gens.map((w) => w.call('close', null, 30_000).catch(() => undefined)));
    await Promise.all(gens.map((w) => w.stop(2000)));
    await server.stop();
  }
}

function report(o: LoadOptions, rows: readonly StepResult[]): string {
  const cols = [
    'sessions', 'msgs/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'server cores', 'gen cores', 'srv lag p99 max ms',
    'RSS MB start..end', 'RSS', 'SIPp ok/failed', 'held',
  ].map((title, i) => ({ title, align: i === 12 ? ('left' as const) : ('right' as const) }));
  const body = rows.map((r) => [
    String(r.sessions),
    fmt(r.msgsPerSec),
    fmt(r.p50Ms),
    fmt(r.p99Ms),
    fmt(r.maxMs),
    String(r.setupFailed + r.refused + r.unexpectedEnds + Math.max(0, r.sent - r.received)),
    r.serverCores.toFixed(2),
    r.generatorCores.toFixed(2),
    fmt(r.serverLagP99MaxMs),
    `${fmt(r.rss.startMb)}..${fmt(r.rss.endMb)}`,
    r.rss.flat ? 'flat' : `grew ${fmt(r.rss.growthMb)} MB`,
    `${r.sipp.successful}/${r.sipp.failed}`,
    r.ok ? 'yes' : 'no',
  ]);
  const held = rows.filter((r) => r.ok).map((r) => r.sessions);
  const best = held.length > 0 ? Math.max(...held) : undefined;
  return [
    `imedge load: N 1-1 sessions (client library, SIP over TCP + MSRP) at ${o.ratePerSession} msg/s each, ${o.size}-byte bodies, ` +
      `${o.seconds} s measured after ${o.warmupSeconds} s warm-up; SIPp REGISTER+OPTIONS at ${o.sippRate} calls/s beside it; ${availableParallelism()} cores`,
    formatTable(cols, body),
    `largest N held (p99 < ${o.p99BoundMs} ms, no errors): ${best ?? 'none'}` +
      (rows.some((r) => r.generatorLagP99Ms > o.p99BoundMs / 2) ? ' (a generator lagged: its own load limits the figure)' : ''),
    `RSS rule: flat when the last quarter's median is within max(2 MB, 3%) of the second quarter's.`,
    ...rows.filter((r) => r.errors.length > 0).map((r) => `N=${r.sessions} errors: ${r.errors.join('; ')}`),
  ].join('\n');
}

async function main(): Promise<void> {
  let o: LoadOptions;
  try {
    o = options(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`imedge load: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const registry = new ChildRegistry();
  process.on('exit', () => registry.killAll());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));
  const clk = 100; // USER_HZ on Linux
  const rows: StepResult[] = [];
  for (const n of o.steps) {
    const r = await step(n, o, registry, clk);
    rows.push(r);
    if (!o.json) process.stdout.write(`N=${n}: p99 ${fmt(r.p99Ms)} ms, ${r.ok ? 'held' : 'not held'}\n`);
    if (!r.ok && !o.keepGoing) break;
  }
  if (o.json) process.stdout.write(`${JSON.stringify({ options: o, steps: rows })}\n`);
  else process.stdout.write(`\n${report(o, rows)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`imedge load: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
