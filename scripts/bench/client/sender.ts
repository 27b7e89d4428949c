/**
 * Client A: sends SENDs with at most `window` transactions outstanding (waits for their 200s),
 * and records, per message, when its first chunk was written and when the 200 to its last
 * chunk came back. Runs as a forked child of the bench (serveRpc).
 */
import { encodeEndLine, encodeRequestHead, type MsrpFrame } from '../../../src/msrp/wire';
import { serveRpc } from '../rpc';
import { connectTcp, MsrpEndpoint } from './endpoint';
import { clockNow, STAMP_BYTES, type RunArg, type RunResult, type SetupArg, type SetupResult } from './protocol';

const DIGITS = 10;
const TID0 = `t${'0'.repeat(DIGITS)}`;
const MID0 = `m${'0'.repeat(DIGITS)}`;

interface ChunkTemplate {
  readonly head: Buffer;
  readonly tidAt: number;
  readonly midAt: number;
  readonly start: number;
  readonly end: number;
  readonly last: boolean;
}

/** Request heads built once with the codec for each chunk position; ids are patched in per send. */
function chunkTemplates(arg: RunArg, ownUri: string): ChunkTemplate[] {
  const out: ChunkTemplate[] = [];
  for (let start = 0; start < arg.size; start += arg.chunk) {
    const end = Math.min(arg.size, start + arg.chunk);
    const head = encodeRequestHead({
      transactionId: TID0,
      method: 'SEND',
      toPath: arg.toPath,
      fromPath: [ownUri],
      messageId: MID0,
      // RFC 4975 section 9: Byte-Range is 1-based and inclusive
      byteRange: { start: start + 1, end, total: arg.size },
      contentType: 'text/plain',
    });
    const tidAt = head.indexOf(TID0) + 1;
    const midAt = head.indexOf(`Message-ID: ${MID0}`) + 'Message-ID: '.length + 1;
    out.push({ head, tidAt, midAt, start, end, last: end === arg.size });
  }
  return out;
}

function digits(n: number): string {
  return String(n).padStart(DIGITS, '0');
}

class Sender {
  private ep: MsrpEndpoint | undefined;
  private ownUri = '';
  private base = 0n;
  private nextTid = 1;

  async setup(arg: SetupArg): Promise<SetupResult> {
    this.base = BigInt(arg.baseNs);
    this.ownUri = arg.ownUri;
    const socket = await connectTcp(arg.host, arg.port, arg.timeoutMs);
    this.ep = new MsrpEndpoint(socket);
    const usePath = await this.ep.handshake(arg.handshake, arg.ownUri, arg.handshakeToPath, arg.timeoutMs);
    return { usePath };
  }

  private now(): number {
    return Number(process.hrtime.bigint() - this.base);
  }

  run(arg: RunArg): Promise<RunResult> {
    const ep = this.ep;
    if (ep === undefined) return Promise.reject(new Error('run before setup'));
    const templates = chunkTemplates(arg, this.ownUri);
    const body = Buffer.alloc(arg.chunk, 0x78);
    // the stamp goes at the end of the last chunk, when that chunk can hold it
    const lastChunk = templates[templates.length - 1];
    const stamped = arg.stamp === true && lastChunk.end - lastChunk.start >= STAMP_BYTES;
    const sendNs = new Float64Array(arg.count).fill(Number.NaN);
    const ackNs = new Float64Array(arg.count).fill(Number.NaN);
    // outstanding transactions: tid -> message number, or -1 - message for the last chunk
    const outstanding = new Map<string, number>();
    let msg = 0;
    let chunk = 0;
    let acked = 0;
    let failures = 0;
    // status -> count; at most 1000 keys (3-digit codes)
    const statuses = new Map<number, number>();
    let blocked = false;
    // paced runs: message k is not sent before start + k * intervalNs (an open-loop load below
    // capacity, for latency without queueing); 0 = as fast as the window allows
    const intervalNs = arg.paceMsgsPerSec !== undefined && arg.paceMsgsPerSec > 0 ? 1e9 / arg.paceMsgsPerSec : 0;
    let startNs = Number.NaN;
    let paceTimer: NodeJS.Timeout | undefined;

    return new Promise<RunResult>((resolve, reject) => {
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        clearTimeout(paceTimer);
        ep.onResponse = () => undefined;
        ep.socket.off('drain', onDrain);
        ep.socket.off('close', onClose);
        if (err !== undefined) reject(err);
        else {
          const failureStatuses = [...statuses].map(([code, n]) => `${code} x ${n}`).join(', ');
          resolve({ sendNs, ackNs, failures, failureStatuses, errors: ep.errors });
        }
      };
      const timer = setTimeout(
        () => finish(new Error(`sender: ${acked}/${arg.count} messages acknowledged after ${arg.timeoutMs} ms`)),
        arg.timeoutMs,
      );
      const onClose = (): void => finish(new Error(`sender: connection closed after ${acked}/${arg.count} acks`));
      const onDrain = (): void => {
        blocked = false;
        pump();
      };
      const sendChunk = (): void => {
        const t = templates[chunk];
        const tid = `t${digits(this.nextTid++)}`;
        const head = Buffer.from(t.head);
        head.write(tid.slice(1), t.tidAt, 'latin1');
        head.write(digits(arg.firstIndex + msg), t.midAt, 'latin1');
        if (chunk === 0) sendNs[msg] = this.now();
        outstanding.set(tid, t.last ? -1 - msg : msg);
        const s = ep.socket;
        s.cork();
        s.write(head);
        const len = t.end - t.start;
        if (stamped && t.last) {
          // a fresh buffer per message: the socket may still hold it when the next one is sent
          s.write(body.subarray(0, len - STAMP_BYTES));
          s.write(Buffer.from(`m${digits(arg.firstIndex + msg)}`, 'latin1'));
        } else s.write(body.subarray(0, len));
        const ok = s.write(encodeEndLine(tid, t.last ? '$' : '+', true));
        s.uncork();
        if (!ok) blocked = true;
        chunk++;
        if (chunk === templates.length) {
          chunk = 0;
          msg++;
        }
      };
      const paced = (): boolean => {
        if (intervalNs === 0 || chunk !== 0) return true;
        const now = this.now();
        if (Number.isNaN(startNs)) startNs = now;
        const due = startNs + msg * intervalNs;
        if (now >= due) return true;
        paceTimer ??= setTimeout(() => {
          paceTimer = undefined;
          pump();
        }, Math.max(1, Math.ceil((due - now) / 1e6)));
        return false;
      };
      const pump = (): void => {
        while (!blocked && outstanding.size < arg.window && msg < arg.count && paced()) sendChunk();
      };
      ep.onResponse = (frame: MsrpFrame): void => {
        if (frame.head.kind !== 'response') return;
        const m = outstanding.get(frame.head.transactionId);
        if (m === undefined) return;
        outstanding.delete(frame.head.transactionId);
        if (frame.head.status !== 200) {
          failures++;
          statuses.set(frame.head.status, (statuses.get(frame.head.status) ?? 0) + 1);
        }
        if (m < 0) {
          ackNs[-1 - m] = this.now();
          acked++;
          if (acked === arg.count) return finish();
        }
        pump();
      };
      ep.socket.on('drain', onDrain);
      ep.socket.once('close', onClose);
      pump();
    });
  }

  close(): void {
    this.ep?.close();
    this.ep = undefined;
  }
}

function main(): void {
  const s = new Sender();
  serveRpc({
    setup: (a: SetupArg) => s.setup(a),
    run: (a: RunArg) => s.run(a),
    clock: clockNow,
    close: () => s.close(),
  });
}

main();
