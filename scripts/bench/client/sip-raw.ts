/**
 * A raw SIP peer for bench clients: hand-built requests over one UDP socket or one TCP
 * connection to the server, responses matched by Call-ID + CSeq, requests handed to onRequest.
 * Independent of src/sip on purpose: the server under test is driven by bytes, not by its own
 * stack. UDP requests are resent (RFC 3261 17.1.2.2, T1 = 500 ms doubling) until answered.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { randomBytes } from 'node:crypto';

export type Transport = 'UDP' | 'TCP';

export interface SipMsg {
  readonly status: number | undefined;
  readonly method: string | undefined;
  /** lower-case full names; each header's values in order */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body: Buffer;
}

/** RFC 3261 7.3.3 compact forms, to full names. */
const COMPACT: Record<string, string> = { i: 'call-id', f: 'from', t: 'to', v: 'via', l: 'content-length', c: 'content-type', m: 'contact', o: 'event', k: 'supported', e: 'content-encoding', s: 'subject', r: 'refer-to' };

/** Largest message a bench peer takes (a NOTIFY of 50 users is ~20 KB). */
const MAX_MESSAGE = 512 * 1024;

export const rid = (): string => randomBytes(6).toString('hex');

export function hdr(m: SipMsg, name: string): string | undefined {
  return m.headers.get(name)?.[0];
}

/** One whole message (head + body) -> its parts; undefined when it is not SIP. */
export function parseSip(buf: Buffer): SipMsg | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = buf.subarray(0, end).toString('utf8').split('\r\n');
  const start = lines[0] ?? '';
  const headers = new Map<string, string[]>();
  let last: string[] | undefined;
  for (const line of lines.slice(1)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && last !== undefined && last.length > 0) {
      last[last.length - 1] += ` ${line.trim()}`; // RFC 3261 7.3.1 folded line
      continue;
    }
    const c = line.indexOf(':');
    if (c <= 0) continue;
    const raw = line.slice(0, c).trim().toLowerCase();
    const name = COMPACT[raw] ?? raw;
    let list = headers.get(name);
    if (list === undefined) headers.set(name, (list = []));
    list.push(line.slice(c + 1).trim());
    last = list;
  }
  const st = /^SIP\/2\.0 (\d{3})/.exec(start);
  return { status: st ? Number(st[1]) : undefined, method: st ? undefined : start.split(' ')[0], headers, body: buf.subarray(end + 4) };
}

/** Length of the first whole message in a TCP stream buffer, 0 when more bytes are needed, -1 when it is no SIP. */
export function frameLength(buf: Buffer): number {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return buf.length > MAX_MESSAGE ? -1 : 0;
  const head = buf.subarray(0, end).toString('latin1');
  const cl = /\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)/i.exec(head);
  const total = end + 4 + (cl ? Number(cl[1]) : 0);
  if (total > MAX_MESSAGE) return -1;
  return buf.length >= total ? total : 0;
}

export interface RequestSpec {
  readonly method: string;
  readonly uri: string;
  /** From URI and tag */
  readonly from: string;
  readonly fromTag: string;
  readonly to: string;
  readonly toTag?: string;
  readonly callId: string;
  readonly cseq: number;
  /** extra header lines, as written */
  readonly headers?: readonly string[];
  readonly contentType?: string;
  readonly body?: Buffer;
}

export class SipPeer {
  private udp: dgram.Socket | undefined;
  private tcp: net.Socket | undefined;
  private tcpBuf: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<string, (m: SipMsg) => void>();
  /** Requests from the server (NOTIFY, BYE...); the default answers 200 at once. */
  onRequest: (m: SipMsg, peer: SipPeer) => void = (m, p) => p.answer(m, 200);
  /** Socket errors and unparsable input, bounded. */
  readonly errors: string[] = [];
  port = 0;

  private constructor(
    readonly transport: Transport,
    readonly serverPort: number,
  ) {}

  static async open(transport: Transport, serverPort: number): Promise<SipPeer> {
    const p = new SipPeer(transport, serverPort);
    if (transport === 'UDP') {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
      s.on('message', (d) => p.onMessage(d));
      s.on('error', (e) => p.note(`udp: ${e.message}`));
      p.udp = s;
      p.port = s.address().port;
    } else {
      const s = net.connect(serverPort, '127.0.0.1');
      await new Promise<void>((resolve, reject) => {
        s.once('connect', () => resolve());
        s.once('error', reject);
      });
      s.setNoDelay(true);
      s.on('error', (e) => p.note(`tcp: ${e.message}`));
      s.on('data', (d: Buffer) => p.onTcp(d));
      p.tcp = s;
      p.port = s.localPort ?? 0;
    }
    return p;
  }

  get contactUri(): string {
    return `sip:peer@127.0.0.1:${this.port}${this.transport === 'TCP' ? ';transport=tcp' : ''}`;
  }

  build(spec: RequestSpec): Buffer {
    const body = spec.body ?? Buffer.alloc(0);
    const lines = [
      `${spec.method} ${spec.uri} SIP/2.0`,
      `Via: SIP/2.0/${this.transport} 127.0.0.1:${this.port};branch=z9hG4bK${rid()};rport`,
      'Max-Forwards: 70',
      `From: <${spec.from}>;tag=${spec.fromTag}`,
      `To: <${spec.to}>${spec.toTag !== undefined ? `;tag=${spec.toTag}` : ''}`,
      `Call-ID: ${spec.callId}`,
      `CSeq: ${spec.cseq} ${spec.method}`,
      ...(spec.headers ?? []),
      ...(spec.contentType !== undefined ? [`Content-Type: ${spec.contentType}`] : []),
      `Content-Length: ${body.length}`,
      '',
      '',
    ];
    return Buffer.concat([Buffer.from(lines.join('\r\n'), 'utf8'), body]);
  }

  /** Sends a request and resolves with its final response. */
  request(spec: RequestSpec, timeoutMs: number): Promise<SipMsg> {
    const raw = this.build(spec);
    const key = `${spec.callId}|${spec.cseq} ${spec.method}`;
    return new Promise((resolve, reject) => {
      let retx: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        clearTimeout(retx);
        this.pending.delete(key);
        reject(new Error(`${spec.method} ${spec.uri}: no final response in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(key, (m) => {
        clearTimeout(timer);
        clearTimeout(retx);
        resolve(m);
      });
      this.send(raw);
      if (this.udp !== undefined) {
        let t = 500;
        const again = (): void => {
          this.send(raw);
          t = Math.min(t * 2, 4000);
          retx = setTimeout(again, t);
        };
        retx = setTimeout(again, t);
      }
    });
  }

  /** A request that gets no response (ACK). */
  fire(spec: RequestSpec): void {
    this.send(this.build(spec));
  }

  /** Answers a request of the server: its Via, From, To (tag added when missing), Call-ID and CSeq. */
  answer(m: SipMsg, status: number, reason = status === 200 ? 'OK' : 'Error'): void {
    const to = hdr(m, 'to') ?? '';
    const lines = [
      `SIP/2.0 ${status} ${reason}`,
      ...(m.headers.get('via') ?? []).map((v) => `Via: ${v}`),
      `From: ${hdr(m, 'from') ?? ''}`,
      `To: ${/;\s*tag=/i.test(to) ? to : `${to};tag=${rid()}`}`,
      `Call-ID: ${hdr(m, 'call-id') ?? ''}`,
      `CSeq: ${hdr(m, 'cseq') ?? ''}`,
      'Content-Length: 0',
      '',
      '',
    ];
    this.send(Buffer.from(lines.join('\r\n'), 'utf8'));
  }

  close(): void {
    this.udp?.close();
    this.tcp?.destroy();
    this.udp = undefined;
    this.tcp = undefined;
  }

  private send(buf: Buffer): void {
    if (this.udp !== undefined) this.udp.send(buf, this.serverPort, '127.0.0.1');
    else this.tcp?.write(buf);
  }

  private onTcp(d: Buffer): void {
    this.tcpBuf = this.tcpBuf.length === 0 ? d : Buffer.concat([this.tcpBuf, d]);
    for (;;) {
      const n = frameLength(this.tcpBuf);
      if (n === 0) return;
      if (n < 0) {
        this.note('tcp: not SIP or too large: connection dropped');
        this.close();
        return;
      }
      const one = this.tcpBuf.subarray(0, n);
      this.tcpBuf = this.tcpBuf.subarray(n);
      this.onMessage(one);
    }
  }

  private onMessage(d: Buffer): void {
    const m = parseSip(d);
    if (m === undefined) return this.note('unparsable message');
    if (m.status !== undefined) {
      if (m.status < 200) return;
      const key = `${hdr(m, 'call-id') ?? ''}|${hdr(m, 'cseq') ?? ''}`;
      const done = this.pending.get(key);
      if (done === undefined) return; // a resent final response: already taken
      this.pending.delete(key);
      done(m);
      return;
    }
    if (m.method === 'ACK') return;
    this.onRequest(m, this);
  }

  private note(text: string): void {
    if (this.errors.length < 10) this.errors.push(text);
  }
}
