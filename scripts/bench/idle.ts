/** Footprint of a relay holding many idle MSRP sessions (two connections each). */
import { join } from 'node:path';
import type { IdleSession } from './client/idle-client';
import { memStatus, sumPssKb } from './proc-stats';
import { forkWorker } from './rpc';
import type { RelayUnderTest } from './relays/types';
import { sessionUris, type BenchContext } from './session';

export interface IdleResult {
  readonly sessions: number;
  readonly connections: number;
  readonly beforeKb: number;
  readonly afterKb: number;
}

const SETTLE_MS = 1000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** RSS of a one-process relay; summed PSS of a multi-process one (shared memory counted once). */
function footprintKb(pids: readonly number[]): number {
  if (pids.length === 1) return memStatus(pids[0])?.rssKb ?? Number.NaN;
  return sumPssKb(pids);
}

export async function measureIdle(relay: RelayUnderTest, sessions: number, ctx: BenchContext): Promise<IdleResult> {
  const running = await relay.start();
  const client = await forkWorker('idle client', join(__dirname, 'client', 'idle-client.js'), ctx.registry, {
    timeoutMs: 15_000,
  }).catch(async (e: unknown) => {
    await running.stop();
    throw e;
  });
  try {
    await sleep(SETTLE_MS);
    const beforeKb = footprintKb(running.pids());
    const plan: IdleSession[] = [];
    for (let n = 0; n < sessions; n++) {
      const uris = sessionUris(n);
      const t = await running.openSession(uris);
      plan.push({ a: t.a, b: t.b, ...uris });
    }
    const timeoutMs = 60_000 + sessions * 100;
    const connections = await client.call<number>('open', { sessions: plan, timeoutMs: 15_000 }, timeoutMs);
    await sleep(SETTLE_MS);
    const still = await client.call<number>('stillOpen', null, 15_000);
    if (still !== connections) throw new Error(`relay closed ${connections - still} of ${connections} idle connections`);
    return { sessions, connections, beforeKb, afterKb: footprintKb(running.pids()) };
  } finally {
    await client.call('close', null, 15_000).catch(() => undefined);
    await client.stop();
    await running.stop();
  }
}
