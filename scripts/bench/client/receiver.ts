/**
 * Client B: answers every SEND with 200 and records when the last chunk of each message
 * arrived. Runs as a forked child of the bench (serveRpc).
 */
import { getHeader, type MsrpFrame } from '../../../src/msrp/wire';
import { serveRpc } from '../rpc';
import { connectTcp, MsrpEndpoint } from './endpoint';
import { clockNow, type ExpectArg, type ExpectResult, type SetupArg, type SetupResult } from './protocol';

interface Progress {
  bytes: number;
  doneNs: number;
}

interface Expectation {
  readonly arg: ExpectArg;
  readonly doneNs: Float64Array;
  complete: number;
  bad: number;
  readonly resolve: (r: ExpectResult) => void;
}

class Receiver {
  private ep: MsrpEndpoint | undefined;
  private base = 0n;
  /** Messages seen and not yet claimed by an expectation, bounded by maxTracked. */
  private readonly progress = new Map<number, Progress>();
  private expectation: Expectation | undefined;
  private dropped = 0;

  constructor(private readonly maxTracked: number) {}

  async setup(arg: SetupArg): Promise<SetupResult> {
    this.base = BigInt(arg.baseNs);
    const socket = await connectTcp(arg.host, arg.port, arg.timeoutMs);
    const ep = new MsrpEndpoint(socket);
    this.ep = ep;
    ep.onRequest = (f) => this.onRequest(f);
    const usePath = await ep.handshake(arg.handshake, arg.ownUri, arg.handshakeToPath, arg.timeoutMs);
    return { usePath };
  }

  private onRequest(frame: MsrpFrame): void {
    const ep = this.ep;
    if (ep === undefined || frame.head.kind !== 'request') return;
    if (frame.head.method !== 'SEND') {
      // RFC 4975 section 7.1.2: REPORTs get no response; other methods are not ours
      if (frame.head.method !== 'REPORT') ep.answer(frame, 501, 'Not Implemented');
      return;
    }
    // RFC 4975 section 7.2: a 200 unless Failure-Report is "no" or "partial"
    const fr = getHeader(frame.head, 'Failure-Report');
    if (fr !== 'no' && fr !== 'partial') ep.answer(frame);
    const mid = getHeader(frame.head, 'Message-ID');
    if (mid === undefined || mid[0] !== 'm') return;
    const index = Number(mid.slice(1));
    let p = this.progress.get(index);
    if (p === undefined) {
      if (this.progress.size >= this.maxTracked) {
        this.dropped++;
        return;
      }
      p = { bytes: 0, doneNs: Number.NaN };
      this.progress.set(index, p);
    }
    p.bytes += frame.body.length;
    if (frame.flag !== '+') {
      p.doneNs = Number(process.hrtime.bigint() - this.base);
      this.claim(index, p);
    }
  }

  private claim(index: number, p: Progress): void {
    const e = this.expectation;
    if (e === undefined) return;
    const i = index - e.arg.firstIndex;
    if (i < 0 || i >= e.arg.count || !Number.isNaN(e.doneNs[i])) return;
    e.doneNs[i] = p.doneNs;
    if (p.bytes !== e.arg.size) e.bad++;
    this.progress.delete(index);
    e.complete++;
    if (e.complete === e.arg.count) {
      this.expectation = undefined;
      e.resolve({ doneNs: e.doneNs, bad: e.bad, errors: this.errors() });
    }
  }

  private errors(): string[] {
    const errs = [...(this.ep?.errors ?? [])];
    if (this.dropped > 0) errs.push(`${this.dropped} frames beyond the tracking limit`);
    return errs;
  }

  /** Resolves once every message of the range has fully arrived; rejects on timeout. */
  expect(arg: ExpectArg): Promise<ExpectResult> {
    if (this.expectation !== undefined) return Promise.reject(new Error('an expectation is already waiting'));
    return new Promise<ExpectResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        const got = this.expectation?.complete ?? 0;
        this.expectation = undefined;
        reject(new Error(`receiver: ${got}/${arg.count} messages complete after ${arg.timeoutMs} ms`));
      }, arg.timeoutMs);
      const e: Expectation = {
        arg,
        doneNs: new Float64Array(arg.count).fill(Number.NaN),
        complete: 0,
        bad: 0,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      this.expectation = e;
      for (const [index, p] of [...this.progress]) if (!Number.isNaN(p.doneNs)) this.claim(index, p);
    });
  }

  close(): void {
    this.ep?.close();
    this.ep = undefined;
  }
}

function main(): void {
  const r = new Receiver(1_000_000);
  serveRpc({
    setup: (a: SetupArg) => r.setup(a),
    expect: (a: ExpectArg) => r.expect(a),
    clock: clockNow,
    close: () => r.close(),
  });
}

main();
