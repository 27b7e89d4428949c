/**
 * One load generator process (a forked child of scripts/load): registers caller/callee pairs
 * with the client library, holds their 1-1 sessions open through the server and sends chat
 * messages at a steady rate, timing each from the caller's send to the callee's 'message'.
 * Both ends live in this process, so one monotonic clock times every message.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ImClient, type ImSession, type InboundMessage } from '../../src/client';
import { serveRpc } from '../bench/rpc';
import type { RunArg, RunResult, SetupArg, SetupResult } from './protocol';

/** Latencies kept at most per run: enough for a p99 of a few minutes at the rates used here. */
const MAX_SAMPLES = 2_000_000;
/** Stamp at the start of every body: the send time in ns of process.hrtime. */
const STAMP = /^t=(\d+);/;

class Generator {
  private readonly clients: ImClient[] = [];
  private readonly sessions: ImSession[] = [];
  private latencies = new Float64Array(0);
  private count = 0;
  private received = 0;
  private measuring = false;
  private unexpectedEnds = 0;
  private closing = false;

  async setup(arg: SetupArg): Promise<SetupResult> {
    const start = (user: string): Promise<ImClient> =>
      ImClient.start({
        user,
        domain: 'localhost',
        server: { host: '127.0.0.1', port: arg.sipPort, transport: 'TCP' },
        maxSessions: arg.sessionsPerPair + 4,
      });
    const callers: ImClient[] = [];
    const callees: string[] = [];
    for (let i = 0; i < arg.pairs; i++) {
      const a = await start(`${arg.prefix}a${i}`);
      const b = await start(`${arg.prefix}b${i}`);
      this.clients.push(a, b);
      await a.register(3600);
      await b.register(3600);
      b.on('session', (s) => this.watch(s));
      callers.push(a);
      callees.push(`${arg.prefix}b${i}`);
    }
    let failed = 0;
    const errors: string[] = [];
    const wanted = arg.pairs * arg.sessionsPerPair;
    // a few set-ups at once: the point is the steady state, not a set-up storm
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < wanted) {
        const k = next++;
        const i = k % arg.pairs;
        try {
          const s = await callers[i].invite(callees[i]);
          await s.ready();
          this.watch(s);
          this.sessions.push(s);
        } catch (e) {
          failed++;
          if (errors.length < 5) errors.push((e as Error).message);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, wanted) }, worker));
    return { opened: this.sessions.length, failed, errors };
  }

  /** Counts arrivals on either side and notices a session that ends while it should not. */
  private watch(s: ImSession): void {
    s.on('message', (m) => this.arrived(m));
    s.once('ended', () => {
      if (!this.closing) this.unexpectedEnds++;
    });
  }

  private arrived(m: InboundMessage): void {
    const now = process.hrtime.bigint();
    const stamp = STAMP.exec(m.body.subarray(0, 32).toString('latin1'));
    if (stamp === null) return;
    this.received++;
    if (!this.measuring || this.count >= this.latencies.length) return;
    this.latencies[this.count++] = Number(now - BigInt(stamp[1])) / 1e6;
  }

  /**
   * Sends arg.ratePerSession messages/s on every session (callers' side), spread evenly over
   * each second by one ticker, for warm-up + measured seconds; then waits (bounded) for the
   * stragglers. Latencies of the warm-up are not kept.
   */
  async run(arg: RunArg): Promise<RunResult> {
    this.latencies = new Float64Array(Math.min(MAX_SAMPLES, Math.ceil(this.sessions.length * arg.ratePerSession * arg.seconds * 1.1) + 16));
    this.count = 0;
    this.received = 0;
    this.unexpectedEnds = 0;
    const lag = monitorEventLoopDelay({ resolution: 10 });
    const pad = 'x'.repeat(Math.max(0, arg.size - 24));
    let sent = 0;
    let refused = 0;
    const errors: string[] = [];
    const perSec = this.sessions.length * arg.ratePerSession;
    const tickMs = 10;
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    const warmEnd = t0 + arg.warmupSeconds * 1000;
    const end = warmEnd + arg.seconds * 1000;
    let due = 0;
    let rr = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = Date.now();
        if (now >= end) {
          clearInterval(timer);
          resolve();
          return;
        }
        if (!this.measuring && now >= warmEnd) {
          this.measuring = true;
          lag.enable();
        }
        due += (perSec * tickMs) / 1000;
        while (due >= 1) {
          due--;
          const s = this.sessions[rr++ % this.sessions.length];
          sent++;
          s.send(`t=${process.hrtime.bigint()};${pad}`).then(
            (r) => {
              if (r.status !== 200) {
                refused++;
                if (errors.length < 5) errors.push(`SEND answered ${r.status}`);
              }
            },
            (e: unknown) => {
              refused++;
              if (errors.length < 5) errors.push((e as Error).message);
            },
          );
        }
      }, tickMs);
    });
    const drainEnd = Date.now() + arg.drainMs;
    while (this.received < sent && Date.now() < drainEnd) await new Promise((r) => setTimeout(r, 50));
    this.measuring = false;
    lag.disable();
    const cpu = process.cpuUsage(cpu0);
    return {
      latenciesMs: this.latencies.slice(0, this.count),
      sent,
      received: this.received,
      refused,
      unexpectedEnds: this.unexpectedEnds,
      errors,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      lagP99Ms: lag.percentile(99) / 1e6,
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.clients.map((c) => c.close(2000).catch(() => undefined)));
  }
}

const g = new Generator();
serveRpc({
  setup: (arg: SetupArg) => g.setup(arg),
  run: (arg: RunArg) => g.run(arg),
  close: () => g.close(),
});
