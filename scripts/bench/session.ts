/** Starts the two client processes of one session and connects them through a relay. */
import { join } from 'node:path';
import type { ClockResult, SetupArg, SetupResult } from './client/protocol';
import { forkWorker, type ChildRegistry, type Worker } from './rpc';
import type { ClientTarget, RunningRelay, SessionUris } from './relays/types';

export const CLIENT_TIMEOUT_MS = 15_000;

export interface BenchContext {
  readonly registry: ChildRegistry;
  /** Parent's process.hrtime.bigint() at start; every timestamp is ns after it. */
  readonly baseNs: bigint;
  /** Kernel clock ticks per second (/proc CPU times are in ticks). */
  readonly clkTck: number;
}

export interface ClientPair {
  readonly a: Worker;
  readonly b: Worker;
  /** To-Path of A's SENDs. */
  readonly aToPath: readonly string[];
  close(): Promise<void>;
}

/** The clients' own URIs for session n (their From-Path; nobody connects to them). */
export function sessionUris(n: number): SessionUris {
  return { aUri: `msrp://127.0.0.1:2855/a${n}s;tcp`, bUri: `msrp://127.0.0.1:2855/b${n}s;tcp` };
}

/**
 * Fails unless a child's process.hrtime.bigint() lies between two readings of the parent's:
 * on Linux both are CLOCK_MONOTONIC, one clock for every process of the machine, which is what
 * makes "written at A -> read at B" latencies meaningful.
 */
export async function checkSharedClock(w: Worker): Promise<void> {
  const before = process.hrtime.bigint();
  const r = await w.call<ClockResult>('clock', null, CLIENT_TIMEOUT_MS);
  const after = process.hrtime.bigint();
  const t = BigInt(r.hrtimeNs);
  if (t < before || t > after) {
    throw new Error(`${w.name}: monotonic clock not shared with the bench (${t} outside [${before}, ${after}])`);
  }
}

/** To-Path for A: toward B's Use-Path then B itself when B AUTHed (RFC 4976 section 5), else the relay's. */
export function senderToPath(a: ClientTarget, b: ClientTarget, bUsePath: string | undefined, bUri: string): string[] {
  if (b.handshake !== 'auth') return [...a.toPath];
  if (bUsePath === undefined) throw new Error('B AUTHed but got no Use-Path');
  return [...bUsePath.trim().split(/[ \t]+/), bUri];
}

export async function openClientPair(relay: RunningRelay, n: number, ctx: BenchContext): Promise<ClientPair> {
  const uris = sessionUris(n);
  const targets = await relay.openSession(uris);
  const fork = (name: string, file: string): Promise<Worker> =>
    forkWorker(name, join(__dirname, 'client', file), ctx.registry, { timeoutMs: CLIENT_TIMEOUT_MS });
  const forks = await Promise.allSettled([fork('sender A', 'sender.js'), fork('receiver B', 'receiver.js')]);
  const [fa, fb] = forks;
  if (fa.status === 'rejected' || fb.status === 'rejected') {
    await Promise.all(forks.map((f) => (f.status === 'fulfilled' ? f.value.stop() : undefined)));
    throw fa.status === 'rejected' ? fa.reason : (fb as PromiseRejectedResult).reason;
  }
  const a = fa.value;
  const b = fb.value;
  const close = async (): Promise<void> => {
    await Promise.all([a, b].map((w) => w.call('close', null, 5000).catch(() => undefined)));
    await Promise.all([a.stop(), b.stop()]);
  };
  try {
    await checkSharedClock(a);
    await checkSharedClock(b);
    const setup = (t: ClientTarget, ownUri: string): SetupArg => ({
      host: t.host,
      port: t.port,
      ownUri,
      handshake: t.handshake,
      handshakeToPath: t.handshakeToPath,
      baseNs: ctx.baseNs.toString(),
      timeoutMs: CLIENT_TIMEOUT_MS,
    });
    // B first: a pairing relay (the pipe) pairs connections in arrival order
    const bRes = await b.call<SetupResult>('setup', setup(targets.b, uris.bUri), CLIENT_TIMEOUT_MS * 2);
    await a.call<SetupResult>('setup', setup(targets.a, uris.aUri), CLIENT_TIMEOUT_MS * 2);
    return { a, b, aToPath: senderToPath(targets.a, targets.b, bRes.usePath, uris.bUri), close };
  } catch (e) {
    await close();
    throw e;
  }
}
