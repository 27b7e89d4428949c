import { connect, type Socket } from 'node:net';
import { MsrpEndpoint, type ReceivedMessage, type ReceivedReport } from '../../../src/msrp/endpoint';
import { MsrpNet, type MsrpNetOptions } from '../../../src/msrp/net';
import { MsrpSwitch, type MsrpSwitchOptions, type SwitchEvent, type SwitchIdentity } from '../../../src/msrp/switch';
import {
  cpimHeaderValues,
  frameCollector,
  MsrpParser,
  parseCpim,
  parseCpimAddress,
  type CpimMessage,
  type MsrpFrame,
} from '../../../src/msrp/wire';
import { bindSend, headerOf, until } from './helpers';

export const CONFERENCE_URI = 'sip:conf-1@imedge.test';

/** One participant: an imedge endpoint (RFC 6135 active) bound to its own switch session. */
export interface Member {
  readonly id: string;
  readonly uri: string;
  readonly identity: SwitchIdentity;
  readonly ep: MsrpEndpoint;
  readonly received: ReceivedMessage[];
  readonly reports: ReceivedReport[];
}

export interface SwitchRig {
  readonly sw: MsrpSwitch;
  readonly net: MsrpNet;
  readonly client: MsrpNet;
  readonly members: Member[];
  readonly events: SwitchEvent[];
  add(identity?: SwitchIdentity, id?: string): Promise<Member>;
  close(): Promise<void>;
}

export interface RigOptions {
  readonly switchNet?: Partial<MsrpNetOptions>;
  readonly switchOpts?: Partial<MsrpSwitchOptions>;
  readonly client?: Partial<MsrpNetOptions>;
}

/** A switch on loopback port 0 with n endpoint participants, identities sip:user<i>@imedge.test. */
export async function switchRig(n: number, o: RigOptions = {}): Promise<SwitchRig> {
  const net = new MsrpNet(o.switchNet ?? {});
  await net.listen('127.0.0.1', 0);
  const events: SwitchEvent[] = [];
  const sw = new MsrpSwitch(net, { conference: { uri: CONFERENCE_URI }, ...o.switchOpts }, { onEvent: (e) => events.push(e) });
  const client = new MsrpNet(o.client ?? {});
  const members: Member[] = [];
  let seq = 0;
  const add = async (identity?: SwitchIdentity, id?: string): Promise<Member> => {
    const i = seq++;
    const pid = id ?? `p${i}`;
    const ident: SwitchIdentity = identity ?? { name: `User ${i}`, uri: `sip:user${i}@imedge.test` };
    const uri = `msrp://127.0.0.1:9/${client.newSessionId()};tcp`;
    const local = sw.addParticipant({ id: pid, remotePath: [uri], identity: ident });
    const received: ReceivedMessage[] = [];
    const reports: ReceivedReport[] = [];
    const ep = new MsrpEndpoint(
      client,
      { localUri: uri, remotePath: [local], setup: 'active' },
      { onMessage: (m) => received.push(m), onReport: (r) => reports.push(r) },
    );
    await ep.connect();
    const m: Member = { id: pid, uri, identity: ident, ep, received, reports };
    members.push(m);
    return m;
  };
  for (let i = 0; i < n; i++) await add();
  return {
    sw,
    net,
    client,
    members,
    events,
    add,
    async close() {
      sw.close();
      await client.close();
      await net.close();
    },
  };
}

/** A received message's CPIM envelope, parsed (throws when it is not valid message/cpim). */
export function cpimOf(m: ReceivedMessage): CpimMessage {
  if (m.contentType !== 'message/cpim') throw new Error(`not message/cpim: ${m.contentType}`);
  const r = parseCpim(m.body);
  if (!r.ok) throw new Error(`bad CPIM: ${r.error.message}`);
  return r.value;
}

/** The URI in the CPIM From of a received message. */
export function senderOf(m: ReceivedMessage): string {
  const from = cpimHeaderValues(cpimOf(m).headers, 'From');
  if (from.length !== 1) throw new Error(`${from.length} From headers`);
  const a = parseCpimAddress(from[0]);
  if (a === undefined) throw new Error(`bad From: ${from[0]}`);
  return a.uri;
}

export function textOf(m: ReceivedMessage): string {
  return cpimOf(m).body.toString('utf8');
}

export function uriOf(member: Member): string {
  return member.identity === 'anonymous' ? 'sip:anonymous@anonymous.invalid' : member.identity.uri;
}

/**
 * A hand-driven participant on one raw socket: binds one or more sessions (RFC 4975 5.4) and
 * answers each SEND it receives with `answer(frame)` (a status, or undefined for silence).
 */
export class RawPeer {
  readonly frames: MsrpFrame[] = [];
  readonly socket: Socket;
  private readonly parser: MsrpParser;

  private constructor(socket: Socket, private readonly answer: (f: MsrpFrame) => number | undefined) {
    this.socket = socket;
    this.parser = new MsrpParser(frameCollector({ onFrame: (f) => this.onFrame(f), onError: () => undefined }), { maxHeaderBytes: 64 * 1024 });
    socket.on('data', (d: Buffer) => this.parser.feed(d));
    socket.on('error', () => undefined);
  }

  static open(port: number, answer: (f: MsrpFrame) => number | undefined = () => 200): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(new RawPeer(s, answer)));
      s.once('error', reject);
    });
  }

  /** Binds a session (empty SEND to the switch's URI for it) and waits for its 200. */
  async bind(local: string, own: string): Promise<void> {
    const tid = `bind${Math.random().toString(36).slice(2, 10)}`;
    this.write(bindSend(tid, local, own));
    await until(() => this.responses(tid).length === 1, 'bind answered');
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  requests(method?: string): MsrpFrame[] {
    return this.frames.filter((f) => f.head.kind === 'request' && (method === undefined || f.head.method === method));
  }

  responses(tid?: string): MsrpFrame[] {
    return this.frames.filter((f) => f.head.kind === 'response' && (tid === undefined || f.head.transactionId === tid));
  }

  /** SEND frames addressed to one of its sessions (first URI of To-Path). */
  sendsTo(own: string): MsrpFrame[] {
    return this.requests('SEND').filter((f) => headerOf(f, 'To-Path') === own);
  }

  end(): void {
    this.socket.destroy();
  }

  private onFrame(f: MsrpFrame): void {
    this.frames.push(f);
    if (f.head.kind !== 'request' || f.head.method !== 'SEND') return;
    if ((headerOf(f, 'Failure-Report') ?? '').toLowerCase() === 'no') return;
    const status = this.answer(f);
    if (status === undefined) return;
    const to = (headerOf(f, 'To-Path') ?? '').split(' ')[0];
    const from = (headerOf(f, 'From-Path') ?? '').split(' ')[0];
    const tid = f.head.transactionId;
    this.write(`MSRP ${tid} ${status} ${status === 200 ? 'OK' : 'Nope'}\r\nTo-Path: ${from}\r\nFrom-Path: ${to}\r\n-------${tid}$\r\n`);
  }
}

/** Reassembles the copies a raw peer got for one session, by Message-ID and Byte-Range. */
export function reassemble(frames: readonly MsrpFrame[]): Map<string, Buffer> {
  const parts = new Map<string, { total: number; buf: Buffer; done: boolean }>();
  for (const f of frames) {
    const id = headerOf(f, 'Message-ID') as string;
    const m = /^(\d+)-(\d+|\*)\/(\d+|\*)$/.exec(headerOf(f, 'Byte-Range') ?? '1-*/*');
    if (m === null) throw new Error('bad Byte-Range');
    const start = Number(m[1]);
    const total = Number(m[3]);
    let p = parts.get(id);
    if (p === undefined) {
      p = { total, buf: Buffer.alloc(total), done: false };
      parts.set(id, p);
    }
    f.body.copy(p.buf, start - 1);
    if (f.flag === '$') p.done = true;
  }
  const out = new Map<string, Buffer>();
  for (const [id, p] of parts) if (p.done) out.set(id, p.buf);
  return out;
}
