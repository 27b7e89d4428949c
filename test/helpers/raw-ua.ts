// A minimal SIP UA + MSRP endpoint for server tests, built from the raw SipPeer and our MSRP
// endpoint: enough to place and answer INVITEs with MSRP SDP, ACK, BYE and re-INVITE. The
// client library (src/client) is tested on its own; this keeps server tests independent of it.
import { randomBytes } from 'node:crypto';
import { MsrpNet } from '../../src/msrp/net';
import { MsrpEndpoint, type ReceivedMessage, type ReceivedReport } from '../../src/msrp/endpoint';
import { parseSdp, findMsrpMedia } from '../../src/sdp';
import { SipPeer, header, headers, rid, type WireMessage } from './sip-peer';
import { scaled } from './node-exe';

export function msrpOffer(uri: string, opts: { acceptTypes?: string[]; setup?: string; direction?: string; maxSize?: number } = {}): string {
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    // RFC 4975 8.1: an msrps: path goes with TCP/TLS/MSRP
    `m=message 9 ${uri.startsWith('msrps:') ? 'TCP/TLS/MSRP' : 'TCP/MSRP'} *`,
    `a=accept-types:${(opts.acceptTypes ?? ['text/plain', 'message/cpim']).join(' ')}`,
    ...(opts.maxSize ? [`a=max-size:${opts.maxSize}`] : []),
    `a=path:${uri}`,
    // 'none': an RFC 4975 endpoint that predates RFC 6135 (no a=setup line at all)
    ...(opts.setup === 'none' ? [] : [`a=setup:${opts.setup ?? 'actpass'}`]),
    ...(opts.direction ? [`a=${opts.direction}`] : []),
    '',
  ].join('\r\n');
}

export const sdpPath = (body: Buffer) => findMsrpMedia(parseSdp(body))!.path;
export const sdpMedia = (body: Buffer) => findMsrpMedia(parseSdp(body))!;

export interface Dialog {
  callId: string;
  localTag: string;
  remoteTag: string;
  localUri: string;
  remoteUri: string;
  remoteTarget: string;
  cseq: number;
}

/** TLS for a test UA: the server certificate it trusts, and whether its MSRP leg is msrps:. */
export interface RawUaTls {
  readonly ca: Buffer;
  readonly msrp?: boolean;
}

/** One user: a SIP peer registered with the server and an MSRP net to dial the relay. */
export class RawUa {
  readonly net: MsrpNet;
  readonly messages: ReceivedMessage[] = [];
  /** REPORTs received on its MSRP session (RFC 4975 7.1.2), in order. */
  readonly reports: ReceivedReport[] = [];
  readonly byes: WireMessage[] = [];
  readonly acks: WireMessage[] = [];
  /** NOTIFYs received (conference state, RFC 4575), answered 200. */
  readonly notifies: WireMessage[] = [];
  /** Every initial INVITE this UA received (a focus's, say), in order. */
  readonly invites: WireMessage[] = [];
  /** Keep re-INVITEs unanswered (in heldReinvites) until answerHeldReinvite(). */
  holdReinvite = false;
  readonly heldReinvites: WireMessage[] = [];
  endpoint?: MsrpEndpoint;
  dialog?: Dialog;
  /** How to answer an incoming INVITE: status, or 200 with MSRP SDP. */
  answerStatus = 200;
  answerTypes = ['text/plain', 'message/cpim'];
  /** Answer 200 but never connect MSRP (a client expecting the offerer to dial). */
  noMsrp = false;
  private msrpUri: string;
  private freshUri(): string {
    return `${this.tls?.msrp ? 'msrps' : 'msrp'}://127.0.0.1:9/${randomBytes(6).toString('hex')};tcp`;
  }
  incomingReady?: Promise<void>;
  msrpError?: Error;
  cancelResponse?: Promise<WireMessage>;

  private constructor(readonly user: string, readonly peer: SipPeer, transactionTimeoutMs: number, private readonly tls?: RawUaTls) {
    peer.onRequest = (m, p) => this.onRequest(m, p);
    this.net = new MsrpNet({ transactionTimeoutMs }, tls ? { tlsClient: { ca: [tls.ca], verifyPeer: true } } : {});
    this.msrpUri = this.freshUri();
  }

  /**
   * Registers `user`. TLS: sipPort is the server's TLS port (transport 'TLS'), or tls.msrp alone
   * makes the MSRP leg msrps:; opts is that RawUaTls, or { transactionTimeoutMs, tls }.
   * transactionTimeoutMs: how long its MSRP sends wait for an answer (408 after); a test that
   * loads the machine (thousands of messages) gives its own answers time.
   */
  static async open(
    user: string,
    sipPort: number,
    transport: 'UDP' | 'TCP' | 'TLS' = 'UDP',
    opts: RawUaTls | { transactionTimeoutMs?: number; tls?: RawUaTls } = {},
  ): Promise<RawUa> {
    const o = 'ca' in opts ? { tls: opts } : opts;
    const tls = o.tls;
    const ua = new RawUa(user, await SipPeer.open(transport, sipPort, tls ? { ca: tls.ca } : {}), scaled(o.transactionTimeoutMs ?? 5000), tls);
    const r = await ua.peer.request({
      method: 'REGISTER', uri: 'sip:localhost', from: `sip:${user}@localhost`, to: `sip:${user}@localhost`,
      contact: `<${ua.peer.contactUri}>`, headers: { Expires: '300' },
    });
    if (r.status !== 200) throw new Error(`register ${user}: ${r.status}`);
    return ua;
  }

  /** Our 200 to each initial INVITE, by its transaction (Call-ID and top Via branch). */
  private readonly answered = new Map<string, Buffer>();

  private onRequest(m: WireMessage, p: SipPeer): void {
    if (m.method === 'INVITE' && !/;tag=/.test(header(m, 'to') ?? '')) {
      // RFC 3261 17.2.1: a retransmitted INVITE (the server's UDP Timer A fires when this
      // process answers late, e.g. under emulation) gets the same 200 again, never a second
      // dialog with a fresh MSRP URI whose binding SEND the server refuses (481)
      const txKey = `${header(m, 'call-id')}|${/;branch=([^;,\s]+)/.exec(header(m, 'via') ?? '')?.[1] ?? ''}`;
      const again = this.answered.get(txKey);
      if (again !== undefined) {
        p.sendRaw(again);
        return;
      }
      this.invites.push(m);
      // 0: ring and never answer (for CANCEL); the INVITE stays pending.
      if (this.answerStatus === 0) return p.answer(m, 180, 'Ringing', [`Contact: <${p.contactUri}>`]);
      if (this.answerStatus !== 200) return p.answer(m, this.answerStatus, 'Refused');
      const theirPath = sdpPath(m.body);
      const tag = rid();
      // each session its own MSRP URI: a UA in a 1-1 session may be invited to a group too
      this.msrpUri = this.freshUri();
      const body = Buffer.from(msrpOffer(this.msrpUri, { acceptTypes: this.answerTypes, setup: 'active', direction: sdpMedia(m.body).direction === 'sendonly' ? 'recvonly' : undefined }));
      this.dialog = {
        callId: header(m, 'call-id')!, localTag: tag, remoteTag: /tag=([^;>\s]+)/.exec(header(m, 'from')!)![1],
        localUri: `sip:${this.user}@localhost`, remoteUri: /<([^>]+)>/.exec(header(m, 'from')!)![1],
        remoteTarget: /<([^>]+)>/.exec(header(m, 'contact')!)![1], cseq: 100,
      };
      const lines = [`SIP/2.0 200 OK`, ...headers(m, 'via').map((v) => `Via: ${v}`), `From: ${header(m, 'from')}`, `To: ${header(m, 'to')};tag=${tag}`,
        `Call-ID: ${header(m, 'call-id')}`, `CSeq: ${header(m, 'cseq')}`, `Contact: <${p.contactUri}>`, 'Content-Type: application/sdp', `Content-Length: ${body.length}`, '', ''];
      const ok = Buffer.concat([Buffer.from(lines.join('\r\n')), body]);
      this.answered.set(txKey, ok);
      p.sendRaw(ok);
      // A session the server refuses after our 200 (488) makes this bind fail: keep the error.
      if (this.noMsrp) return;
      this.incomingReady = this.connectMsrp(theirPath).catch((err: Error) => {
        this.msrpError = err;
      });
      return;
    }
    if (m.method === 'INVITE') {
      if (this.holdReinvite) {
        this.heldReinvites.push(m);
        return;
      }
      this.answerReinvite(m, p);
      return;
    }
    if (m.method === 'BYE') this.byes.push(m);
    if (m.method === 'NOTIFY') this.notifies.push(m);
    if (m.method === 'ACK') {
      this.acks.push(m);
      return;
    }
    p.answer(m, 200);
  }

  /** Sends our latest 200 to an initial INVITE again, as a UAS does until its ACK comes (RFC 3261 13.3.1.4). */
  resendAnswer(): void {
    const last = [...this.answered.values()].pop();
    if (last === undefined) throw new Error(`${this.user} has answered no INVITE`);
    this.peer.sendRaw(last);
  }

  /** Answers the oldest held re-INVITE with 200 and our SDP. */
  answerHeldReinvite(): void {
    const m = this.heldReinvites.shift();
    if (!m) throw new Error('no re-INVITE held');
    this.answerReinvite(m, this.peer);
  }

  /** A re-INVITE is answered with our SDP again (types as now configured). */
  private answerReinvite(m: WireMessage, p: SipPeer): void {
    const body = Buffer.from(msrpOffer(this.msrpUri, { acceptTypes: this.answerTypes, setup: 'active' }));
    const lines = [`SIP/2.0 200 OK`, ...headers(m, 'via').map((v) => `Via: ${v}`), `From: ${header(m, 'from')}`, `To: ${header(m, 'to')}`,
      `Call-ID: ${header(m, 'call-id')}`, `CSeq: ${header(m, 'cseq')}`, `Contact: <${p.contactUri}>`, 'Content-Type: application/sdp', `Content-Length: ${body.length}`, '', ''];
    p.sendRaw(Buffer.concat([Buffer.from(lines.join('\r\n')), body]));
  }

  /** Connects this UA's MSRP leg to the path imedge answered (after invite({ noConnect: true })). */
  connectTo(theirPath: readonly string[]): Promise<void> {
    return this.connectMsrp(theirPath);
  }

  private async connectMsrp(theirPath: readonly string[]): Promise<void> {
    this.endpoint = new MsrpEndpoint(this.net, { localUri: this.msrpUri, remotePath: theirPath, setup: 'active' }, { onMessage: (msg) => this.messages.push(msg), onReport: (r) => this.reports.push(r) });
    await this.endpoint.connect();
  }

  /** INVITE to a user through the server; on 200: ACK and MSRP connect. Returns the final response. */
  async invite(
    to: string,
    opts: {
      acceptTypes?: string[];
      direction?: string;
      cancelAfterMs?: number;
      /** a=setup of the offer ('none': no a=setup line). */
      setup?: string;
      /** Our a=path instead of this UA's own (a listening peer that imedge dials). */
      msrpUri?: string;
      /** Do not connect MSRP after the 200 (imedge connects, or the test does). */
      noConnect?: boolean;
      /** Extra header lines of the INVITE. */
      headers?: string[];
      /** Request-URI and To instead of sip:<to>@localhost (a focus identity, say). */
      requestUri?: string;
      /** A body around the SDP offer (the conference factory's multipart/mixed): content type and bytes from the offer. */
      wrap?: (offer: string) => { contentType: string; body: Buffer };
      /** Privacy: id on the INVITE. */
      anonymous?: boolean;
      /** Response timeout, ms. */
      timeoutMs?: number;
      /** ACK the 200 only after this long (the server resends its 2xx meanwhile over UDP). */
      ackDelayMs?: number;
    } = {},
  ): Promise<WireMessage> {
    const callId = rid();
    const fromTag = rid();
    const branch = `z9hG4bK${rid()}`;
    const ruri = opts.requestUri ?? `sip:${to}@localhost`;
    if (opts.msrpUri === undefined) this.msrpUri = this.freshUri();
    const offer = msrpOffer(opts.msrpUri ?? this.msrpUri, opts);
    const wrapped = opts.wrap?.(offer) ?? { contentType: 'application/sdp', body: Buffer.from(offer) };
    const raw = Buffer.concat([
      Buffer.from([
        `INVITE ${ruri} SIP/2.0`,
        `Via: SIP/2.0/${this.peer.transport} 127.0.0.1:${this.peer.port};branch=${branch};rport`,
        'Max-Forwards: 70', `From: <sip:${this.user}@localhost>;tag=${fromTag}`, `To: <${ruri}>`,
        `Call-ID: ${callId}`, 'CSeq: 1 INVITE', `Contact: <${this.peer.contactUri}>`, ...(opts.anonymous ? ['Privacy: id'] : []), ...(opts.headers ?? []), `Content-Type: ${wrapped.contentType}`, '',
      ].join('\r\n')),
    ]);
    const body = wrapped.body;
    const full = Buffer.concat([raw.subarray(0, raw.length), Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]);
    const pending = this.peer.requestRaw(full, `${callId}|1 INVITE`, opts.timeoutMs ?? 15000);
    if (opts.cancelAfterMs !== undefined) {
      // RFC 3261 9.1: CANCEL carries the INVITE's Request-URI, Call-ID, From, To, CSeq number and branch.
      await new Promise((r) => setTimeout(r, opts.cancelAfterMs));
      const cancel = [
        `CANCEL sip:${to}@localhost SIP/2.0`,
        `Via: SIP/2.0/${this.peer.transport} 127.0.0.1:${this.peer.port};branch=${branch};rport`,
        'Max-Forwards: 70', `From: <sip:${this.user}@localhost>;tag=${fromTag}`, `To: <sip:${to}@localhost>`,
        `Call-ID: ${callId}`, 'CSeq: 1 CANCEL', 'Content-Length: 0', '', '',
      ].join('\r\n');
      this.cancelResponse = this.peer.requestRaw(Buffer.from(cancel), `${callId}|1 CANCEL`, 15000);
    }
    const rs = await pending;
    if (rs.status === 200) {
      const toHdr = header(rs, 'to')!;
      this.dialog = {
        callId, localTag: fromTag, remoteTag: /tag=([^;>\s]+)/.exec(toHdr)![1], localUri: `sip:${this.user}@localhost`,
        remoteUri: ruri, remoteTarget: /<([^>]+)>/.exec(header(rs, 'contact')!)![1], cseq: 1,
      };
      if (opts.ackDelayMs !== undefined) await new Promise((r) => setTimeout(r, opts.ackDelayMs));
      this.sendInDialog('ACK', 1);
      if (!opts.noConnect) await this.connectMsrp(sdpPath(rs.body));
    }
    return rs;
  }

  /** An in-dialog request as bytes (tests send them raw: CANCEL, ACK with a body, no auto-ACK). */
  inDialogBytes(method: string, cseq: number, extra: string[] = [], body: Buffer = Buffer.alloc(0)): Buffer {
    const d = this.dialog!;
    return Buffer.concat([
      Buffer.from([
        `${method} ${d.remoteTarget} SIP/2.0`,
        `Via: SIP/2.0/${this.peer.transport} 127.0.0.1:${this.peer.port};branch=z9hG4bK${rid()};rport`,
        'Max-Forwards: 70', `From: <${d.localUri}>;tag=${d.localTag}`, `To: <${d.remoteUri}>;tag=${d.remoteTag}`,
        `Call-ID: ${d.callId}`, `CSeq: ${cseq} ${method}`, ...extra, `Content-Length: ${body.length}`, '', '',
      ].join('\r\n')),
      body,
    ]);
  }

  sendInDialog(method: string, cseq: number): void {
    this.peer.sendRaw(this.inDialogBytes(method, cseq));
  }

  async requestInDialog(method: string, extra: string[] = [], body?: Buffer): Promise<WireMessage> {
    const d = this.dialog!;
    d.cseq += 1;
    const rs = await this.peer.requestRaw(this.inDialogBytes(method, d.cseq, extra, body), `${d.callId}|${d.cseq} ${method}`, 15000);
    if (method === 'INVITE' && rs.status === 200) this.sendInDialog('ACK', d.cseq);
    return rs;
  }

  async close(): Promise<void> {
    this.peer.close();
    await this.net.close();
  }
}
