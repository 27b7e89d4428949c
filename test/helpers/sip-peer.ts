// A raw SIP peer for tests: writes hand-built messages over real UDP/TCP sockets, parses
// what comes back, answers requests it receives. Deliberately independent of src/sip so
// the server is checked against bytes, not against its own codec.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { scaled } from './node-exe';

export interface WireMessage {
  startLine: string;
  status?: number;
  method?: string;
  headers: [string, string][];
  body: Buffer;
  raw: Buffer;
}

export function header(m: WireMessage, name: string): string | undefined {
  const n = name.toLowerCase();
  return m.headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

export function headers(m: WireMessage, name: string): string[] {
  const n = name.toLowerCase();
  return m.headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
}

export function parseWire(buf: Buffer): WireMessage | undefined {
  const idx = buf.indexOf('\r\n\r\n');
  if (idx < 0) return undefined;
  const head = buf.subarray(0, idx).toString('utf8').split('\r\n');
  const startLine = head[0];
  const hs: [string, string][] = [];
  for (const line of head.slice(1)) {
    if (/^[ \t]/.test(line) && hs.length) {
      hs[hs.length - 1][1] += ' ' + line.trim();
      continue;
    }
    const c = line.indexOf(':');
    if (c > 0) hs.push([line.slice(0, c).trim(), line.slice(c + 1).trim()]);
  }
  const m = /^SIP\/2\.0 (\d{3})/.exec(startLine);
  const body = buf.subarray(idx + 4);
  return { startLine, status: m ? Number(m[1]) : undefined, method: m ? undefined : startLine.split(' ')[0], headers: hs, body, raw: buf };
}

export const rid = () => randomBytes(6).toString('hex');

export interface RequestSpec {
  method: string;
  uri: string;
  from: string;
  to: string;
  callId?: string;
  cseq?: number;
  headers?: Record<string, string | string[]>;
  body?: Buffer | string;
  contact?: string;
}

type Handler = (m: WireMessage, peer: SipPeer) => void;

export class SipPeer {
  private udp?: dgram.Socket;
  private tcp?: net.Socket;
  private tcpBuf = Buffer.alloc(0);
  private pending = new Map<string, { resolve: (m: WireMessage) => void; all: WireMessage[]; provisional: boolean }>();
  readonly received: WireMessage[] = [];
  /** Every response that arrived, retransmissions included, in order. */
  readonly responses: WireMessage[] = [];
  onRequest: Handler = (m, peer) => peer.answer(m, 200);
  port = 0;

  private constructor(readonly transport: 'UDP' | 'TCP' | 'TLS', public serverPort: number, readonly host = '127.0.0.1') {}

  /** TLS: `ca` is the server certificate to trust (the test's self-signed one). */
  static async open(transport: 'UDP' | 'TCP' | 'TLS', serverPort: number, opts: { ca?: Buffer } = {}): Promise<SipPeer> {
    const p = new SipPeer(transport, serverPort);
    if (transport === 'UDP') {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
      s.on('message', (d) => p.onData(d));
      p.udp = s;
      p.port = s.address().port;
    } else if (transport === 'TLS') {
      const s = tls.connect({ host: '127.0.0.1', port: serverPort, ...(opts.ca ? { ca: [opts.ca] } : { rejectUnauthorized: false }) });
      await new Promise<void>((r, j) => (s.once('secureConnect', () => r()), s.once('error', j)));
      s.on('error', () => undefined);
      s.on('data', (d) => p.onTcp(d));
      p.tcp = s;
      p.port = s.localPort!;
    } else {
      const s = net.connect(serverPort, '127.0.0.1');
      await new Promise<void>((r, j) => (s.once('connect', () => r()), s.once('error', j)));
      s.on('error', () => undefined);
      s.on('data', (d) => p.onTcp(d));
      p.tcp = s;
      p.port = s.localPort!;
    }
    return p;
  }

  get contactUri(): string {
    return `sip:peer@127.0.0.1:${this.port}${this.transport === 'UDP' ? '' : `;transport=${this.transport.toLowerCase()}`}`;
  }

  private onTcp(d: Buffer): void {
    this.tcpBuf = Buffer.concat([this.tcpBuf, d]);
    for (;;) {
      const idx = this.tcpBuf.indexOf('\r\n\r\n');
      if (idx < 0) return;
      const head = this.tcpBuf.subarray(0, idx).toString('latin1');
      const cl = /\r\n(?:content-length|l)\s*:\s*(\d+)/i.exec(head);
      const len = cl ? Number(cl[1]) : 0;
      if (this.tcpBuf.length < idx + 4 + len) return;
      const one = this.tcpBuf.subarray(0, idx + 4 + len);
      this.tcpBuf = this.tcpBuf.subarray(idx + 4 + len);
      this.onData(Buffer.from(one));
    }
  }

  private onData(d: Buffer): void {
    const m = parseWire(d);
    if (!m) return;
    if (m.status !== undefined) {
      this.responses.push(m);
      const key = `${header(m, 'call-id')}|${header(m, 'cseq')}`;
      const p = this.pending.get(key);
      if (!p) return;
      p.all.push(m);
      if (m.status >= 200) {
        this.pending.delete(key);
        p.resolve(m);
      }
      return;
    }
    this.received.push(m);
    this.onRequest(m, this);
  }

  sendRaw(data: Buffer | string): void {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.udp) this.udp.send(buf, this.serverPort, '127.0.0.1');
    else this.tcp!.write(buf);
  }

  build(spec: RequestSpec): Buffer {
    const body = spec.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(spec.body) ? spec.body : Buffer.from(spec.body, 'utf8');
    const lines = [
      `${spec.method} ${spec.uri} SIP/2.0`,
      `Via: SIP/2.0/${this.transport} 127.0.0.1:${this.port};branch=z9hG4bK${rid()};rport`,
      `Max-Forwards: 70`,
      `From: <${spec.from}>;tag=${rid()}`,
      `To: <${spec.to}>`,
      `Call-ID: ${spec.callId ?? rid()}`,
      `CSeq: ${spec.cseq ?? 1} ${spec.method}`,
    ];
    if (spec.contact) lines.push(`Contact: ${spec.contact}`);
    for (const [k, v] of Object.entries(spec.headers ?? {})) for (const x of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${x}`);
    lines.push(`Content-Length: ${body.length}`, '', '');
    return Buffer.concat([Buffer.from(lines.join('\r\n'), 'utf8'), body]);
  }

  /** Sends a request and resolves with its final response (retransmits on UDP). */
  request(spec: RequestSpec, timeoutMs = 8000): Promise<WireMessage> {
    const callId = spec.callId ?? rid();
    const cseq = spec.cseq ?? 1;
    const raw = this.build({ ...spec, callId, cseq });
    return this.requestRaw(raw, `${callId}|${cseq} ${spec.method}`, timeoutMs);
  }

  requestRaw(raw: Buffer, key: string, timeoutMs = 8000): Promise<WireMessage> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let retx: NodeJS.Timeout | undefined;
      const done = (m: WireMessage) => {
        clearTimeout(timer);
        clearTimeout(retx);
        resolve(m);
      };
      this.pending.set(key, { resolve: done, all: [], provisional: false });
      this.sendRaw(raw);
      if (this.udp) {
        let t = 500;
        const again = () => {
          this.sendRaw(raw);
          t = Math.min(t * 2, 4000);
          retx = setTimeout(again, t);
        };
        retx = setTimeout(again, t);
      }
      timer = setTimeout(() => {
        clearTimeout(retx);
        this.pending.delete(key);
        reject(new Error(`no final response for ${key}`));
      }, scaled(timeoutMs)); // a bound only: scaled under emulation (TEST_TIME_SCALE)
    });
  }

  /** Answers a received request (copying Via/From/To/Call-ID/CSeq, adding a To tag). */
  answer(m: WireMessage, status: number, reason = status === 200 ? 'OK' : 'Error', extra: string[] = []): void {
    const lines = [`SIP/2.0 ${status} ${reason}`];
    for (const v of headers(m, 'via')) lines.push(`Via: ${v}`);
    lines.push(`From: ${header(m, 'from')}`);
    const to = header(m, 'to') ?? '';
    lines.push(`To: ${/;tag=/.test(to) ? to : `${to};tag=${rid()}`}`);
    lines.push(`Call-ID: ${header(m, 'call-id')}`, `CSeq: ${header(m, 'cseq')}`, ...extra, 'Content-Length: 0', '', '');
    this.sendRaw(lines.join('\r\n'));
  }

  close(): void {
    this.udp?.close();
    this.tcp?.destroy();
  }
}
