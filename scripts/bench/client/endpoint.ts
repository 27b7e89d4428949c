/**
 * One MSRP connection of a bench client: framing with our wire codec, the AUTH / bind
 * handshakes, and fast 200 answers. Clients are separate processes, so their cost is not
 * counted as relay CPU.
 */
import { connect, type Socket } from 'node:net';
import {
  encodeRequest,
  encodeResponseHead,
  frameCollector,
  getHeader,
  MsrpParser,
  responseTo,
  type MsrpFrame,
  type MsrpWireError,
} from '../../../src/msrp/wire';

export type Handshake = 'none' | 'auth' | 'bind';

/** How long a bind waits for an answer before going on without one. */
const BIND_WAIT_MS = 1000;

export interface EndpointLimits {
  /** Largest body of one frame (parser limit). */
  readonly maxBodyBytes: number;
  /** Handshake transactions waiting for their response at once. */
  readonly maxWaiting: number;
  /** Cached response path lines (one per distinct To-Path/From-Path pair seen). */
  readonly maxAnswerTemplates: number;
}

export const DEFAULT_ENDPOINT_LIMITS: EndpointLimits = {
  maxBodyBytes: 1024 * 1024,
  maxWaiting: 16,
  maxAnswerTemplates: 64,
};

/** Opens a TCP connection to 127.0.0.1-style targets, with a timeout. */
export function connectTcp(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`connect ${host}:${port} timed out`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function firstUri(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  return path.trim().split(/[ \t]+/)[0];
}

export class MsrpEndpoint {
  /** Called for each request frame that is not answered by the endpoint itself. */
  onRequest: (frame: MsrpFrame) => void = () => undefined;
  /** Called for each response not claimed by transact(). */
  onResponse: (frame: MsrpFrame) => void = () => undefined;
  /** Framing errors and socket errors, as text. */
  readonly errors: string[] = [];
  private readonly parser: MsrpParser;
  private readonly waiting = new Map<string, { resolve: (f: MsrpFrame) => void; timer: NodeJS.Timeout }>();
  private readonly answerPaths = new Map<string, string>();
  private closed = false;

  constructor(
    readonly socket: Socket,
    private readonly limits: EndpointLimits = DEFAULT_ENDPOINT_LIMITS,
  ) {
    this.parser = new MsrpParser(
      frameCollector({ onFrame: (f) => this.dispatch(f), onError: (e) => this.onWireError(e) }),
      { maxBodyBytes: limits.maxBodyBytes },
    );
    socket.on('data', (chunk: Buffer) => this.parser.feed(chunk));
    socket.on('error', (e) => this.note(`socket: ${e.message}`));
    socket.on('close', () => {
      this.closed = true;
      this.parser.finish();
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Writes one request and waits for the response with its transaction id. */
  transact(request: Buffer, transactionId: string, timeoutMs: number): Promise<MsrpFrame> {
    if (this.waiting.size >= this.limits.maxWaiting) return Promise.reject(new Error('too many handshakes waiting'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(transactionId);
        reject(new Error(`no response to ${transactionId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(transactionId, { resolve, timer });
      this.socket.write(request);
    });
  }

  /**
   * The connection set-up a relay asks for. 'auth': RFC 4976 section 5 AUTH to the relay,
   * returning its Use-Path. 'bind': an empty SEND (RFC 4975 section 7.1.1) so that a relay
   * which binds connections to sessions by their first request learns this one.
   */
  async handshake(kind: Handshake, ownUri: string, toPath: readonly string[], timeoutMs: number): Promise<string | undefined> {
    if (kind === 'none') return undefined;
    const transactionId = kind === 'auth' ? 'auth0001' : 'bind0001';
    const req = encodeRequest({
      transactionId,
      method: kind === 'auth' ? 'AUTH' : 'SEND',
      toPath,
      fromPath: [ownUri],
      ...(kind === 'bind' ? { messageId: 'bind0001' } : {}),
    });
    let res: MsrpFrame;
    try {
      res = await this.transact(req, transactionId, kind === 'bind' ? Math.min(timeoutMs, BIND_WAIT_MS) : timeoutMs);
    } catch (e) {
      // a relay may forward the empty SEND to a peer not connected yet instead of answering it
      if (kind === 'bind') return undefined;
      throw e;
    }
    if (res.head.kind !== 'response' || res.head.status !== 200) {
      const status = res.head.kind === 'response' ? `${res.head.status} ${res.head.comment ?? ''}` : 'a request';
      throw new Error(`${kind} answered with ${status}`);
    }
    if (kind === 'bind') return undefined;
    const usePath = getHeader(res.head, 'Use-Path');
    if (usePath === undefined) throw new Error('200 to AUTH without Use-Path');
    return usePath;
  }

  /**
   * 200 to a SEND, addressed per RFC 4975 section 7.2 (previous hop). Path lines are built with
   * the codec once per distinct path pair and reused, so answering costs little in the client.
   */
  answer(frame: MsrpFrame, status = 200, comment = 'OK'): void {
    const to = getHeader(frame.head, 'To-Path');
    const from = getHeader(frame.head, 'From-Path');
    const key = `${status} ${to ?? ''}\n${from ?? ''}`;
    let lines = this.answerPaths.get(key);
    if (lines === undefined) {
      const f = firstUri(from);
      const t = firstUri(to);
      if (f === undefined || t === undefined) return;
      const head = encodeResponseHead(responseTo(frame.head, { toPath: [t], fromPath: [f] }, status, comment));
      lines = head.subarray(head.indexOf('\r\n') + 2).toString('utf8');
      if (this.answerPaths.size >= this.limits.maxAnswerTemplates) this.answerPaths.clear();
      this.answerPaths.set(key, lines);
    }
    const tid = frame.head.transactionId;
    this.socket.write(`MSRP ${tid} ${status} ${comment}\r\n${lines}-------${tid}$\r\n`);
  }

  close(): void {
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
    this.socket.destroy();
  }

  private dispatch(frame: MsrpFrame): void {
    if (frame.head.kind === 'response') {
      const w = this.waiting.get(frame.head.transactionId);
      if (w !== undefined) {
        this.waiting.delete(frame.head.transactionId);
        clearTimeout(w.timer);
        w.resolve(frame);
        return;
      }
      this.onResponse(frame);
      return;
    }
    this.onRequest(frame);
  }

  private onWireError(e: MsrpWireError): void {
    this.note(`wire: ${e.kind}: ${e.message}`);
    if (e.recovery === 'close') this.socket.destroy();
  }

  private note(text: string): void {
    // a bounded log: the first errors say what went wrong, the rest would only repeat it
    if (this.errors.length < 20) this.errors.push(text);
  }
}
