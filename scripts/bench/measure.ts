/** Measures one table row: one relay, one message size, one window. */
import type { ExpectResult, RunResult } from './client/protocol';
import { figuresOf, FIGURE_KEYS, type RunFigures } from './figures';
import { MemorySampler, sumCpuTicks } from './proc-stats';
import type { RelayUnderTest } from './relays/types';
import { openClientPair, type BenchContext, type ClientPair } from './session';
import { medianOf } from './stats';

export interface RowSpec {
  readonly size: number;
  readonly window: number;
  readonly chunk: number;
  readonly runs: number;
  /** Target length of one measured run. */
  readonly seconds: number;
  /** Fixed count per run instead of rate x seconds. */
  readonly messages: number | undefined;
}

export interface RowResult {
  /** Per-figure median over the runs. */
  readonly figures: RunFigures;
  readonly peakRssMb: number;
  /** Messages per measured run (the last run's). */
  readonly messages: number;
  /** Non-200 answers and messages that arrived with the wrong size, over all runs. */
  readonly faults: number;
}

const MAX_MESSAGES = 2_000_000;
/** How long B may still take once A has seen error responses. */
const FAILURE_GRACE_MS = 5000;

/** Warm-up: a few MiB of traffic, at least a few messages. */
export function warmupCount(size: number): number {
  return Math.max(8, Math.min(400, Math.floor((4 * 1024 * 1024) / size)));
}

/** Messages for a run of about `seconds` at the rate seen so far. */
export function runCount(ratePerSec: number, seconds: number): number {
  if (!Number.isFinite(ratePerSec) || ratePerSec <= 0) return 100;
  return Math.max(10, Math.min(MAX_MESSAGES, Math.round(ratePerSec * seconds)));
}

interface OneRun {
  readonly figures: RunFigures;
  readonly faults: number;
}

async function runOnce(
  pair: ClientPair,
  spec: RowSpec,
  count: number,
  firstIndex: number,
  expectedSec: number,
  cpu: () => number,
  ctx: BenchContext,
): Promise<OneRun> {
  // generous: a slow relay must finish, a stuck one must not hang the bench
  const timeoutMs = Math.min(600_000, 30_000 + expectedSec * 10_000);
  const expect = pair.b.call<ExpectResult>('expect', { firstIndex, count, size: spec.size, timeoutMs }, timeoutMs + 5000);
  const before = cpu();
  const run = pair.a.call<RunResult>(
    'run',
    { toPath: pair.aToPath, size: spec.size, chunk: spec.chunk, window: spec.window, count, firstIndex, timeoutMs },
    timeoutMs + 5000,
  );
  const a = await run;
  let b: ExpectResult;
  if (a.failures > 0) {
    // refused chunks never reach B: do not wait the whole timeout for them
    const grace = new Promise<never>((_, reject) => {
      setTimeout(() => reject(new Error('not all messages reached B')), FAILURE_GRACE_MS).unref();
    });
    try {
      b = await Promise.race([expect, grace]);
    } catch (e) {
      expect.catch(() => undefined);
      throw new Error(
        `the relay answered ${a.failures} of the SEND chunks with an error (${a.failureStatuses}); ` +
          `${e instanceof Error ? e.message : String(e)}`,
      );
    }
  } else b = await expect;
  const ticks = cpu() - before;
  const figures = figuresOf({
    size: spec.size,
    sendNs: a.sendNs,
    ackNs: a.ackNs,
    doneNs: b.doneNs,
    cpuTicks: ticks,
    clkTck: ctx.clkTck,
  });
  return { figures, faults: a.failures + b.bad };
}

export async function measureRow(relay: RelayUnderTest, spec: RowSpec, ctx: BenchContext): Promise<RowResult> {
  const running = await relay.start();
  const sampler = new MemorySampler(() => running.pids(), 100);
  sampler.start();
  let pair: ClientPair | undefined;
  try {
    pair = await openClientPair(running, 1, ctx);
    const cpu = (): number => sumCpuTicks(running.pids());
    let index = 0;
    const warm = warmupCount(spec.size);
    const w = await runOnce(pair, spec, warm, index, 2, cpu, ctx);
    index += warm;
    let rate = w.figures.msgsPerSec;
    const runs: RunFigures[] = [];
    let faults = w.faults;
    let count = 0;
    for (let r = 0; r < spec.runs; r++) {
      count = spec.messages ?? runCount(rate, spec.seconds);
      const one = await runOnce(pair, spec, count, index, count / Math.max(rate, 1), cpu, ctx);
      index += count;
      runs.push(one.figures);
      faults += one.faults;
      rate = one.figures.msgsPerSec;
    }
    return { figures: medianOf(runs, FIGURE_KEYS), peakRssMb: sampler.stop() / 1024, messages: count, faults };
  } finally {
    sampler.stop();
    await pair?.close();
    await running.stop();
  }
}
