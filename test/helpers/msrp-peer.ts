// A small raw MSRP endpoint for tests, written from RFC 4975 by hand (not src/msrp/net): it
// listens (a passive or pre-RFC 6135 peer that imedge must dial) or dials (an active peer),
// answers every SEND with 200 (or a status the test sets), keeps every byte it received, and
// sends SENDs of its own. The peer's path is learnt from the first request that reaches it.
import { createServer, connect, type Server, type Socket } from 'node:net';
import * as tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { frameCollector, getHeader, MsrpParser, type MsrpFrame } from '../../src/msrp/wire';
import { scaled } from './node-exe';

export interface PeerMessage {
  readonly body: Buffer;
  readonly contentType: string | undefined;
  readonly frame: MsrpFrame;
}

class PeerConnection {
  readonly frames: MsrpFrame[] = [];
  private readonly parser = new MsrpParser(
    frameCollector({ onFrame: (f) => this.owner.onFrame(this, f), onError: (e) => this.owner.errors.push(String(e.kind)) }),
    { maxHeaderBytes: 64 * 1024 },
  );
  constructor(readonly socket: Socket, private readonly owner: RawMsrpPeer) {
    socket.on('data', (d: Buffer) => {
      owner.raw.push(Buffer.from(d));
      this.parser.feed(d);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => owner.closedConnections++);
  }
}

export class RawMsrpPeer {
  /** Every byte received, in order. */
  readonly raw: Buffer[] = [];
  readonly frames: MsrpFrame[] = [];
  /** SENDs with a body (empty binding SENDs are in `bindSends`). */
  readonly messages: PeerMessage[] = [];
  readonly bindSends: MsrpFrame[] = [];
  readonly errors: string[] = [];
  readonly connections: PeerConnection[] = [];
  closedConnections = 0;
  /** TLS listeners: handshakes that failed (the dialler refused our certificate, say). */
  handshakeFailures = 0;
  /** Status answered to SENDs; 0 answers nothing. */
  answerStatus = 200;
  /** The path of the peer's first request (its From-Path): where our SENDs go. */
  peerPath: string | undefined;
  private server: Server | undefined;
  private tidSeq = 0;

  private constructor(readonly uri: string) {}

  /**
   * A listening peer: imedge dials the URI's host:port (a=setup:passive or no a=setup). With
   * tls it listens with that certificate and its URI is msrps: (MSRP over TLS).
   */
  static async listen(opts: { tls?: { cert: Buffer; key: Buffer } } = {}): Promise<RawMsrpPeer> {
    const server = opts.tls ? tls.createServer({ cert: opts.tls.cert, key: opts.tls.key }) : createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const peer = new RawMsrpPeer(`${opts.tls ? 'msrps' : 'msrp'}://127.0.0.1:${port}/${randomBytes(8).toString('hex')};tcp`);
    peer.server = server;
    if (opts.tls) {
      server.on('secureConnection', (s: Socket) => peer.connections.push(new PeerConnection(s, peer)));
      server.on('tlsClientError', () => peer.handshakeFailures++);
    } else server.on('connection', (s: Socket) => peer.connections.push(new PeerConnection(s, peer)));
    return peer;
  }

  /** A port that refuses connections: listened on once, then closed. */
  static async refusingUri(): Promise<string> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    return `msrp://127.0.0.1:${port}/${randomBytes(8).toString('hex')};tcp`;
  }

  /** A URI for a dialling peer, to be written in an SDP before it dials. */
  static newUri(): string {
    return `msrp://127.0.0.1:9/${randomBytes(8).toString('hex')};tcp`;
  }

  /** A dialling peer (a=setup:active): connects to `to` and binds with an empty SEND from `uri`. */
  static async dial(to: string, uri = RawMsrpPeer.newUri()): Promise<RawMsrpPeer> {
    const peer = new RawMsrpPeer(uri);
    const m = /^msrp:\/\/([^:/]+):(\d+)\//.exec(to);
    if (!m) throw new Error(`cannot dial ${to}`);
    const s = connect({ host: m[1], port: Number(m[2]) });
    await new Promise<void>((r, j) => (s.once('connect', () => r()), s.once('error', j)));
    peer.connections.push(new PeerConnection(s, peer));
    peer.peerPath = to;
    const tid = peer.nextTid();
    s.write(`MSRP ${tid} SEND\r\nTo-Path: ${to}\r\nFrom-Path: ${peer.uri}\r\nMessage-ID: ${tid}\r\n-------${tid}$\r\n`);
    await peer.until(() => peer.responses(tid).length > 0, 'answer to the binding SEND');
    const st = peer.responses(tid)[0].head;
    if (st.kind !== 'response' || st.status !== 200) throw new Error('binding SEND refused');
    return peer;
  }

  /** Called by a connection for every frame. */
  onFrame(c: PeerConnection, f: MsrpFrame): void {
    this.frames.push(f);
    c.frames.push(f);
    if (f.head.kind !== 'request') return;
    const from = getHeader(f.head, 'From-Path');
    const to = getHeader(f.head, 'To-Path');
    this.peerPath ??= from;
    if (f.head.method !== 'SEND') return;
    if (f.head.hasBody) this.messages.push({ body: Buffer.from(f.body), contentType: getHeader(f.head, 'Content-Type'), frame: f });
    else this.bindSends.push(f);
    if (this.answerStatus === 0 || to === undefined || from === undefined) return;
    // RFC 4975 7.2: To-Path is the sender (first URI of its From-Path), From-Path us
    const status = this.answerStatus;
    c.socket.write(`MSRP ${f.head.transactionId} ${status} ${status === 200 ? 'OK' : 'Error'}\r\nTo-Path: ${from.split(' ')[0]}\r\nFrom-Path: ${this.uri}\r\n-------${f.head.transactionId}$\r\n`);
  }

  responses(tid: string): MsrpFrame[] {
    return this.frames.filter((f) => f.head.kind === 'response' && f.head.transactionId === tid);
  }

  /** Sends one whole message on the first connection; resolves with the status of its answer. */
  async send(body: Buffer, contentType = 'text/plain'): Promise<number> {
    const c = this.connections[0];
    if (!c || !this.peerPath) throw new Error('no connection or peer path yet');
    const tid = this.nextTid();
    c.socket.write(
      Buffer.concat([
        Buffer.from(
          `MSRP ${tid} SEND\r\nTo-Path: ${this.peerPath}\r\nFrom-Path: ${this.uri}\r\nMessage-ID: m${tid}\r\n` +
            `Byte-Range: 1-${body.length}/${body.length}\r\nContent-Type: ${contentType}\r\n\r\n`,
        ),
        body,
        Buffer.from(`\r\n-------${tid}$\r\n`),
      ]),
    );
    await this.until(() => this.responses(tid).length > 0, `answer to ${tid}`);
    const h = this.responses(tid)[0].head;
    return h.kind === 'response' ? h.status : 0;
  }

  /** Everything received as one buffer (to search for bytes that must not be there). */
  allBytes(): Buffer {
    return Buffer.concat(this.raw);
  }

  async until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
    const end = Date.now() + scaled(ms); // a bound only: scaled under emulation
    while (!cond()) {
      if (Date.now() > end) throw new Error(`raw MSRP peer: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  private nextTid(): string {
    return `p${randomBytes(3).toString('hex')}${++this.tidSeq}`;
  }
}
