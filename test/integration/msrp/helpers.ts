import { connect, type Socket } from 'node:net';
import { MsrpEndpoint, type ReceivedMessage, type ReceivedReport } from '../../../src/msrp/endpoint';
import { MsrpNet, type MsrpNetOptions } from '../../../src/msrp/net';
import { MsrpRelay, type MsrpRelayOptions, type RelayPairInfo } from '../../../src/msrp/relay';
import { frameCollector, MsrpParser, type MsrpFrame } from '../../../src/msrp/wire';
import { scaled } from '../../helpers/node-exe';

export interface Rig {
  relay: MsrpRelay;
  port: number;
  pair: RelayPairInfo;
  netA: MsrpNet;
  netB: MsrpNet;
  a: MsrpEndpoint;
  b: MsrpEndpoint;
  aUri: string;
  bUri: string;
  received: ReceivedMessage[];
  reportsAtA: ReceivedReport[];
  close(): Promise<void>;
}

/** A relay on loopback port 0 with two active client endpoints bound to one pair. */
export async function relayRig(
  relayOpts: MsrpRelayOptions = {},
  clientOpts: Partial<MsrpNetOptions> = {},
  acceptTypesB?: string[],
): Promise<Rig> {
  const relay = new MsrpRelay(relayOpts);
  const { port } = await relay.listen('127.0.0.1', 0);
  const netA = new MsrpNet(clientOpts);
  const netB = new MsrpNet(clientOpts);
  const aUri = `msrp://127.0.0.1:9/${netA.newSessionId()};tcp`;
  const bUri = `msrp://127.0.0.1:9/${netB.newSessionId()};tcp`;
  const pair = relay.createPair({ a: { remotePath: [aUri] }, b: { remotePath: [bUri] } });
  const received: ReceivedMessage[] = [];
  const reportsAtA: ReceivedReport[] = [];
  const a = new MsrpEndpoint(netA, { localUri: aUri, remotePath: [pair.aLocal], setup: 'active' }, { onReport: (r) => reportsAtA.push(r) });
  const b = new MsrpEndpoint(
    netB,
    { localUri: bUri, remotePath: [pair.bLocal], setup: 'active', acceptTypes: acceptTypesB },
    { onMessage: (m) => received.push(m) },
  );
  await a.connect();
  await b.connect();
  return {
    relay, port, pair, netA, netB, a, b, aUri, bUri, received, reportsAtA,
    async close() {
      await netA.close();
      await netB.close();
      await relay.close();
    },
  };
}

/** A hand-driven MSRP client: writes raw bytes, collects the frames it receives. */
export class RawClient {
  readonly frames: MsrpFrame[] = [];
  readonly socket: Socket;
  closed = false;
  /** Every byte received, for waits on a frame that is still open. */
  private readonly bytes: Buffer[] = [];
  private readonly parser = new MsrpParser(frameCollector({ onFrame: (f) => this.frames.push(f), onError: () => undefined }), {
    maxHeaderBytes: 64 * 1024,
  });

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.bytes.push(d);
      this.parser.feed(d);
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  /** Everything received so far, as latin1 text. */
  received(): string {
    return Buffer.concat(this.bytes).toString('latin1');
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  responses(tid?: string): MsrpFrame[] {
    return this.frames.filter((f) => f.head.kind === 'response' && (tid === undefined || f.head.transactionId === tid));
  }

  requests(method?: string): MsrpFrame[] {
    return this.frames.filter((f) => f.head.kind === 'request' && (method === undefined || f.head.method === method));
  }

  end(): void {
    this.socket.destroy();
  }
}

export function sendText(tid: string, to: string, from: string, body: string, extra = ''): string {
  return (
    `MSRP ${tid} SEND\r\nTo-Path: ${to}\r\nFrom-Path: ${from}\r\nMessage-ID: m${tid}\r\n${extra}` +
    `Byte-Range: 1-${Buffer.byteLength(body)}/${Buffer.byteLength(body)}\r\nContent-Type: text/plain\r\n\r\n${body}\r\n-------${tid}$\r\n`
  );
}

export function bindSend(tid: string, to: string, from: string): string {
  return `MSRP ${tid} SEND\r\nTo-Path: ${to}\r\nFrom-Path: ${from}\r\nMessage-ID: b${tid}\r\n-------${tid}$\r\n`;
}

/** Polls until cond() holds (behaviour, not timing: the deadline only bounds a hung test; scaled by TEST_TIME_SCALE). */
export async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + scaled(ms);
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A relay pair whose two clients are raw sockets, each bound by its empty SEND (RFC 4975 5.4). */
export interface RawPair {
  readonly pair: RelayPairInfo;
  readonly a: RawClient;
  readonly b: RawClient;
  readonly aUri: string;
  readonly bUri: string;
}

let rawPairSeq = 0;

export async function rawPair(relay: MsrpRelay, port: number, opts: { a?: RawClient; b?: RawClient } = {}): Promise<RawPair> {
  const n = ++rawPairSeq;
  const aUri = `msrp://127.0.0.1:9/rawA${n}x${process.pid};tcp`;
  const bUri = `msrp://127.0.0.1:9/rawB${n}x${process.pid};tcp`;
  const pair = relay.createPair({ a: { remotePath: [aUri] }, b: { remotePath: [bUri] } });
  const a = opts.a ?? (await RawClient.open(port));
  const b = opts.b ?? (await RawClient.open(port));
  const ta = `bnda${n}x${process.pid}`;
  const tb = `bndb${n}x${process.pid}`;
  a.write(bindSend(ta, pair.aLocal, aUri));
  b.write(bindSend(tb, pair.bLocal, bUri));
  await until(() => a.responses(ta).length === 1 && b.responses(tb).length === 1, 'both sides bound');
  return { pair, a, b, aUri, bUri };
}

/** The header value of a received frame (first header of that name). */
export function headerOf(frame: MsrpFrame, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return frame.head.headers.find((h) => h.name.toLowerCase() === wanted)?.value;
}

/**
 * The relay still does its job for a session set up now: two fresh imedge endpoints bind a new
 * pair and a message crosses it.
 */
export async function freshSessionWorks(relay: MsrpRelay): Promise<void> {
  const netA = new MsrpNet();
  const netB = new MsrpNet();
  try {
    const aUri = `msrp://127.0.0.1:9/${netA.newSessionId()};tcp`;
    const bUri = `msrp://127.0.0.1:9/${netB.newSessionId()};tcp`;
    const pair = relay.createPair({ a: { remotePath: [aUri] }, b: { remotePath: [bUri] } });
    const got: ReceivedMessage[] = [];
    const a = new MsrpEndpoint(netA, { localUri: aUri, remotePath: [pair.aLocal], setup: 'active' });
    const b = new MsrpEndpoint(netB, { localUri: bUri, remotePath: [pair.bLocal], setup: 'active' }, { onMessage: (m) => got.push(m) });
    await a.connect();
    await b.connect();
    const r = await a.send(Buffer.from('still here'));
    if (r.status !== 200) throw new Error(`fresh session: SEND answered ${r.status}`);
    await until(() => got.length === 1, 'message over a fresh session');
    if (got[0].body.toString() !== 'still here') throw new Error('fresh session: wrong body');
    relay.releasePair(pair.id);
  } finally {
    await netA.close();
    await netB.close();
  }
}
