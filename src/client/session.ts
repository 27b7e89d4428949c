// One IM session seen from the client: its SIP dialog and its MSRP endpoint. Modification by
// re-INVITE only (OMA IM 7.1.1.5), leaving by BYE to the IM Session Identity (7.1.1.12),
// answering a received BYE with 200 (7.1.1.13, 7.1.2.3). A group session is one whose peer is
// a conference focus (Contact ;isfocus): its messages come wrapped in CPIM with the sender.
import { EventEmitter } from 'node:events';
import type { ReceivedMessage, ReceivedReport, SendResult } from '../msrp/endpoint';
import type { MsrpNet } from '../msrp/net';
import { acceptRemoteSeq, inDialogRequest, refreshTarget, type DialogState } from '../sip/message/dialog';
import type { SipRequest } from '../sip/message/types';
import type { IncomingRequest } from '../sip/stack';
import type { ConferenceWatch, ConferenceWatchOptions } from './conference';
import { CPIM_TYPE, unwrapCpim, wrapCpim, type CpimEnvelope, type MessageSender } from './cpim';
import { MediaError } from './errors';
import { SessionMedia } from './media';
import { answerOffer, buildOffer, readAnswer, type LocalMedia } from './offer';
import { statusError, type SipUa } from './sip-ua';

/** 'replaced': a new dialog took this session's place (RFC 3891; OMA IM 7.1.1.6 extension). */
export type EndReason = 'bye-received' | 'bye-sent' | 'msrp-lost' | 'replaced';

export interface InboundMessage {
  readonly messageId: string;
  /** What the user reads: for a message/cpim payload, the wrapped object's type/subtype and body. */
  readonly contentType: string;
  readonly body: Buffer;
  /** The CPIM From (RFC 3862 4.1) of a wrapped message: who said it in a group. */
  readonly sender?: MessageSender;
  /** Set when the payload was message/cpim (and parsed): the envelope and the payload as received. */
  readonly cpim?: CpimEnvelope;
}

export interface ImSessionEvents {
  message: [InboundMessage];
  report: [ReceivedReport];
  /** A re-INVITE (ours or the peer's) changed the negotiated media. */
  modified: [{ acceptTypes: readonly string[]; remoteAcceptTypes: readonly string[] }];
  ended: [EndReason];
}

export interface SessionSendOptions {
  readonly contentType?: string;
  /** Ask for a success REPORT (RFC 4975 7.1.1); failure reports are always asked for. */
  readonly successReport?: boolean;
}

/** Options of an INVITE the client originates (also for extending a session to a group). */
export interface InviteOptions {
  readonly acceptTypes?: readonly string[];
  readonly maxSize?: number;
  /** Privacy: id (RFC 3325) on the INVITE. */
  readonly anonymous?: boolean;
}

/** What a session needs from its client; passed in, never reached for. */
export interface SessionDeps {
  readonly ua: SipUa;
  readonly net: MsrpNet;
  /** Every type this client can take: the ceiling of any (re-)negotiation. */
  readonly supportedTypes: readonly string[];
  readonly maxChunkSize?: number;
  readonly maxMessageSize?: number;
  readonly msrpConnectTimeoutMs: number;
  /** After the MSRP connection drops, how long a BYE may take to arrive before we end the session ourselves. */
  readonly msrpLossGraceMs: number;
  onEnded(session: ImSession, reason: EndReason): void;
  /** OMA IM 7.1.1.6: the client's extension of a 1-1 session to an ad-hoc group. */
  extend(session: ImSession, users: readonly string[], opts: InviteOptions): Promise<ImSession>;
  /** OMA IM 7.1.1.11: the client's subscription to a conference's state (RFC 4575). */
  watchConference(identity: string, opts: ConferenceWatchOptions): ConferenceWatch;
}

export interface SessionSetup {
  readonly role: 'uac' | 'uas';
  readonly dialog: DialogState;
  readonly local: LocalMedia;
  readonly mediaRole: 'active' | 'passive';
  readonly remotePath: readonly string[];
  readonly acceptTypes: readonly string[];
  readonly remoteAcceptTypes: readonly string[];
  readonly peerMaxSize: number | undefined;
  readonly maxSize: number | undefined;
  /** OMA IM 9.1.1: one large message, not a chat. */
  readonly largeMessage: boolean;
  /** The session was set up with Privacy: id (RFC 3323/3325, OMA IM 7.1.1.12 step 3). */
  readonly anonymous?: boolean;
  /** The peer is a conference focus (its Contact has ;isfocus, or we asked one for the session). */
  readonly group?: boolean;
  /** Methods the peer allows (its Allow), stored as OMA IM 7.1.1.9 asks on a 200. */
  readonly peerAllow?: readonly string[];
}

type State = 'connecting' | 'active' | 'ending' | 'ended';

export class ImSession extends EventEmitter<ImSessionEvents> {
  readonly role: 'uac' | 'uas';
  readonly dialog: DialogState;
  readonly largeMessage: boolean;
  /** A group session: the peer is the focus, identity is the IM Session Identity (its Contact). */
  readonly group: boolean;
  /** The methods the peer allows (its Allow header); empty when it sent none. */
  readonly peerAllow: readonly string[];
  /**
   * OMA IM 7.1.1.12 step 3: the anonymity chosen for this session. Every request the client
   * sends in it (BYE, re-INVITE) carries Privacy: id while it is set, whoever ends the session.
   */
  anonymous: boolean;
  /** Negotiated types we accept; the same array the MSRP endpoint reads (see media.ts). */
  private readonly ourTypes: string[];
  private theirTypes: readonly string[];
  private peerMaxSize: number | undefined;
  private maxSize: number | undefined;
  private local: LocalMedia;
  private readonly mediaRole: 'active' | 'passive';
  private readonly media: SessionMedia;
  private state: State = 'connecting';
  private endReason: EndReason | undefined;
  private modifying = false;
  private readyPromise: Promise<void> | undefined;
  private acked = false;
  private lossTimer: NodeJS.Timeout | undefined;
  private ackWaiter: (() => void) | undefined;
  private replaced = false;
  private watch: ConferenceWatch | undefined;

  constructor(private readonly deps: SessionDeps, setup: SessionSetup) {
    super();
    this.role = setup.role;
    this.dialog = setup.dialog;
    this.largeMessage = setup.largeMessage;
    this.group = setup.group ?? false;
    this.peerAllow = setup.peerAllow ?? [];
    this.anonymous = setup.anonymous ?? false;
    this.ourTypes = [...setup.acceptTypes];
    this.theirTypes = setup.remoteAcceptTypes;
    this.peerMaxSize = setup.peerMaxSize;
    this.maxSize = setup.maxSize;
    this.local = setup.local;
    this.mediaRole = setup.mediaRole;
    this.media = new SessionMedia(
      deps.net,
      {
        localUri: setup.local.uri,
        remotePath: setup.remotePath,
        setup: setup.mediaRole,
        acceptTypes: this.ourTypes,
        ...(deps.maxChunkSize !== undefined ? { maxChunkSize: deps.maxChunkSize } : {}),
        ...(deps.maxMessageSize !== undefined ? { maxMessageSize: deps.maxMessageSize } : {}),
      },
      {
        onMessage: (m: ReceivedMessage) => this.emit('message', { messageId: m.messageId, ...unwrapCpim(m.contentType, m.body) }),
        onReport: (r) => this.emit('report', r),
        onLost: () => this.onMsrpLost(),
      },
    );
  }

  /** The IM Session Identity: the dialog's remote target (the focus Contact for a group). */
  get identity(): string {
    return this.dialog.remoteTarget;
  }

  /** The other party's URI (To of our INVITE, or From of theirs). */
  get peer(): string {
    return this.dialog.remote.uri;
  }

  get callId(): string {
    return this.dialog.callId;
  }

  get acceptTypes(): readonly string[] {
    return [...this.ourTypes];
  }

  get remoteAcceptTypes(): readonly string[] {
    return this.theirTypes;
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  get endedBy(): EndReason | undefined {
    return this.endReason;
  }

  /**
   * Opens the MSRP side: dials and binds when we are active, else waits for the peer's
   * connection. A failure ends the session with BYE ('msrp-lost') and rejects.
   */
  ready(): Promise<void> {
    this.readyPromise ??= (async () => {
      try {
        if (this.mediaRole === 'active') {
          // RFC 6135 active answerer: dial once the ACK shows the offerer has our answer and
          // its session is ready for our binding SEND (the server's relay leg, say)
          if (this.role === 'uas') await this.whenAcked(Math.min(ACK_WAIT_MS, this.deps.msrpConnectTimeoutMs));
          await this.media.connect();
        }
        else await this.media.whenBound(this.deps.msrpConnectTimeoutMs);
      } catch (err) {
        this.abortMedia();
        throw new MediaError(`MSRP setup failed: ${(err as Error).message}`);
      }
      if (this.state === 'connecting') this.state = 'active';
      if (this.state !== 'active') throw new MediaError('session ended before MSRP was up');
    })();
    return this.readyPromise;
  }

  /** Sends one message over MSRP; resolves with the transaction outcome (200 = delivered to the next hop). */
  async send(body: string | Buffer, opts: SessionSendOptions = {}): Promise<SendResult> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    await this.ready();
    if (this.state !== 'active') throw new MediaError('session has ended');
    const { contentType, payload } = this.outgoing(opts.contentType ?? 'text/plain', bytes);
    // RFC 4975 8.7: never send more than the peer's a=max-size
    if (this.peerMaxSize !== undefined && payload.length > this.peerMaxSize) {
      throw new MediaError(`message of ${payload.length} bytes exceeds the peer's max-size ${this.peerMaxSize}`);
    }
    return this.media.endpoint.send(payload, {
      contentType,
      ...(opts.successReport ? { successReport: 'yes' as const } : {}),
    });
  }

  /**
   * A type the peer takes goes as it is (a focus wraps text/plain itself); one it does not,
   * while it takes message/cpim, goes wrapped in CPIM (RFC 3862) from us to the session.
   */
  private outgoing(contentType: string, body: Buffer): { contentType: string; payload: Buffer } {
    if (acceptsAny(this.theirTypes, contentType) || !acceptsAny(this.theirTypes, CPIM_TYPE)) return { contentType, payload: body };
    const payload = wrapCpim({ from: this.dialog.local.uri, anonymous: this.anonymous, to: this.identity, contentType, body, at: new Date() });
    return { contentType: CPIM_TYPE, payload };
  }

  /**
   * OMA IM 7.1.1.6: extends this 1-1 session to an ad-hoc group of its peer and `users`
   * (INVITE to the conference factory with Replaces for this dialog). Resolves with the new
   * group session; the focus then ends this one with BYE, reported as 'replaced'.
   */
  inviteMore(users: readonly string[], opts: InviteOptions = {}): Promise<ImSession> {
    return this.deps.extend(this, users, opts);
  }

  /**
   * OMA IM 7.1.1.11: subscribes to the conference state of this group session (RFC 4575 over
   * RFC 6665: SUBSCRIBE with Event: conference to the IM Session Identity). The watch tells
   * the roster, who joined and who left; it is unsubscribed (Expires: 0) when the session is
   * left or ends. Asked again while it runs, the same watch is returned. Only a group session
   * has a conference: a 1-1 session throws MediaError.
   */
  subscribeConference(opts: ConferenceWatchOptions = {}): ConferenceWatch {
    if (!this.group || this.largeMessage) throw new MediaError('only a group session has conference state (the peer is no focus)');
    if (this.state === 'ending' || this.state === 'ended') throw new MediaError('the session has ended');
    if (this.watch !== undefined && this.watch.state !== 'terminated' && this.watch.state !== 'closing') return this.watch;
    this.watch = this.deps.watchConference(this.identity, opts);
    return this.watch;
  }

  /** The conference state subscription of this session, if one was made. */
  get conference(): ConferenceWatch | undefined {
    return this.watch;
  }

  /** Leaving, or left: the subscription goes first, so the focus ends it cleanly (not as a leaver's, 7.2.2.11). */
  private stopWatching(): void {
    this.watch?.unsubscribe().catch(() => undefined);
  }

  /**
   * RFC 3891 3: another dialog took this session's place; its ending is reported as 'replaced'
   * (false again when the replacement failed to come up).
   */
  markReplaced(replaced = true): void {
    this.replaced = replaced;
  }

  /**
   * OMA IM 7.1.1.5: modification is a re-INVITE carrying the new SDP (never UPDATE). The
   * re-offer keeps our path and our a=setup role, so the running MSRP connection continues.
   * A refusal leaves the session as it was (RFC 3261 14.1) and throws SipStatusError.
   */
  async modify(change: { acceptTypes?: readonly string[]; maxSize?: number }): Promise<void> {
    if (this.state !== 'active') throw new MediaError('session is not active');
    if (this.modifying) throw new MediaError('a modification is already pending');
    this.modifying = true;
    try {
      const types = change.acceptTypes ?? this.ourTypes;
      const maxSize = change.maxSize ?? this.maxSize;
      const local = { ...this.local, version: this.local.version + 1 };
      const sdp = buildOffer(local, { acceptTypes: types, ...(maxSize !== undefined ? { maxSize } : {}), setup: this.mediaRole });
      const reinvite = inDialogRequest(this.dialog, 'INVITE', {
        body: Buffer.from(sdp),
        contentType: 'application/sdp',
        headers: { contact: [this.deps.ua.contact()], ...this.privacy() },
      });
      const { req, rs } = await this.deps.ua.send(reinvite, this.inDialogTargets());
      this.dialog.localSeq = Math.max(this.dialog.localSeq, req.headers.cseq?.seq ?? 0);
      if (rs.status >= 300) throw statusError('re-INVITE', rs);
      this.ack(req);
      refreshTarget(this.dialog, rs);
      const answer = readAnswer(rs.body, this.mediaRole);
      if (!answer.ok) throw new MediaError(`re-INVITE answer unusable: ${answer.reason}`);
      this.local = local;
      this.maxSize = maxSize;
      this.ourTypes.splice(0, this.ourTypes.length, ...types);
      this.theirTypes = answer.remoteAcceptTypes;
      this.peerMaxSize = answer.peerMaxSize;
      this.emit('modified', { acceptTypes: this.acceptTypes, remoteAcceptTypes: this.theirTypes });
    } finally {
      this.modifying = false;
    }
  }

  /**
   * OMA IM 7.1.1.12: BYE whose Request-URI is the IM Session Identity (the dialog's remote
   * target), with Privacy: id (RFC 3325) when the session is anonymous (or opts.anonymous says
   * so for this BYE); on its answer the MSRP session is released. Resolves with the BYE's final
   * status.
   */
  async leave(opts: { anonymous?: boolean } = {}): Promise<number> {
    if (this.state === 'ended' || this.state === 'ending') return 0;
    this.state = 'ending';
    if (opts.anonymous !== undefined) this.anonymous = opts.anonymous;
    this.stopWatching();
    const bye = inDialogRequest(this.dialog, 'BYE', { headers: this.privacy() });
    let status = 0;
    try {
      const { req, rs } = await this.deps.ua.send(bye, this.inDialogTargets());
      this.dialog.localSeq = Math.max(this.dialog.localSeq, req.headers.cseq?.seq ?? 0);
      status = rs.status;
    } finally {
      this.finish('bye-sent');
    }
    return status;
  }

  /** Resolves on the ACK of our 2xx, or after ms when it is lost (the dial then tells). */
  private whenAcked(ms: number): Promise<void> {
    if (this.acked) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.ackWaiter = () => {
        this.ackWaiter = undefined;
        done();
      };
    });
  }

  // ---- requests from the peer -------------------------------------------------------------

  /** An in-dialog request for this session (the client matched Call-ID and tags). */
  handle(req: IncomingRequest): void {
    const m = req.msg;
    if (m.method === 'ACK') {
      this.acked = true;
      this.ackWaiter?.();
      return;
    }
    // RFC 3261 12.2.2: an out-of-order CSeq is answered 500
    if (!acceptRemoteSeq(this.dialog, m)) {
      req.reply(500, 'CSeq out of order');
      return;
    }
    switch (m.method) {
      case 'BYE':
        return this.onBye(req);
      case 'INVITE':
        return this.onReInvite(req);
      case 'UPDATE':
        // OMA IM 7.1.1.5: sessions are modified by re-INVITE only; UPDATE is not supported
        req.reply(405, undefined, { headers: { allow: ALLOW } });
        return;
      default:
        req.reply(405, undefined, { headers: { allow: ALLOW } });
    }
  }

  /** OMA IM 7.1.1.13 / 7.1.2.3: 200 to the BYE, then release the MSRP session. */
  private onBye(req: IncomingRequest): void {
    req.reply(200);
    this.finish('bye-received');
  }

  private onReInvite(req: IncomingRequest): void {
    // RFC 3261 14.2: a re-INVITE while ours is pending is answered 491
    if (this.modifying || this.state !== 'active') {
      req.reply(491);
      return;
    }
    const local = { ...this.local, version: this.local.version + 1 };
    const answer = answerOffer(req.msg.body, local, { acceptTypes: this.deps.supportedTypes, preferredSetup: this.mediaRole });
    if (!answer.ok) {
      // the failed re-INVITE leaves the session unchanged (RFC 3261 14.2)
      req.reply(answer.status, undefined, { headers: { warning: `399 ${this.deps.ua.stack.host} "${answer.reason}"` } });
      return;
    }
    refreshTarget(this.dialog, req.msg);
    this.local = local;
    this.ourTypes.splice(0, this.ourTypes.length, ...answer.acceptTypes);
    this.theirTypes = answer.remoteAcceptTypes;
    this.peerMaxSize = answer.peerMaxSize;
    req.reply(200, undefined, {
      headers: { contact: [this.deps.ua.contact()], allow: ALLOW, 'content-type': 'application/sdp' },
      body: Buffer.from(answer.sdp),
    });
    this.emit('modified', { acceptTypes: this.acceptTypes, remoteAcceptTypes: this.theirTypes });
  }

  // ---- endings ------------------------------------------------------------------------------

  private onMsrpLost(): void {
    if (this.state === 'ended' || this.state === 'ending' || this.lossTimer !== undefined) return;
    // A server releasing a session closes our MSRP leg and sends BYE at about the same time
    // (OMA IM 7.2.1.10): give the BYE a moment to arrive so the ending is reported as it was.
    this.lossTimer = setTimeout(() => {
      this.lossTimer = undefined;
      if (this.state === 'ended' || this.state === 'ending') return;
      this.state = 'ending';
      // the media is gone: tell the peer too (best effort, nobody waits for it)
      const bye = inDialogRequest(this.dialog, 'BYE', { headers: this.privacy() });
      this.deps.ua.send(bye, this.inDialogTargets()).catch(() => undefined);
      this.finish('msrp-lost');
    }, this.deps.msrpLossGraceMs);
  }

  /** MSRP could not be set up: hang up at once. */
  private abortMedia(): void {
    if (this.state === 'ended' || this.state === 'ending') return;
    this.state = 'ending';
    this.deps.ua.send(inDialogRequest(this.dialog, 'BYE', { headers: this.privacy() }), this.inDialogTargets()).catch(() => undefined);
    this.finish('msrp-lost');
  }

  /** RFC 3323 4.2 / RFC 3325 9.3: Privacy: id on every request of an anonymous session. */
  private privacy(): Record<string, string> {
    return this.anonymous ? { privacy: 'id' } : {};
  }

  private finish(reason: EndReason): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    if (this.lossTimer !== undefined) clearTimeout(this.lossTimer);
    this.lossTimer = undefined;
    const why = this.replaced ? 'replaced' : reason;
    this.endReason = why;
    this.stopWatching();
    this.media.close();
    this.deps.onEnded(this, why);
    this.emit('ended', why);
  }

  /** Closes the media without signalling (client shutdown). */
  abandon(): void {
    this.finish(this.endReason ?? 'msrp-lost');
  }

  /** RFC 3261 13.2.2.4: the ACK for a 2xx carries the INVITE's CSeq number. */
  ack(invite: SipRequest): void {
    const seq = invite.headers.cseq?.seq ?? this.dialog.localSeq;
    const auth = pickAuth(invite);
    const ack = inDialogRequest(this.dialog, 'ACK', { seq, headers: auth });
    this.deps.ua.stack.sendAck(ack);
  }

  /** In-dialog requests go where the peer was reached: the server, or the flow of its INVITE. */
  private inDialogTargets(): { targets: NonNullable<DialogState['flow']>[] } {
    return { targets: [this.dialog.flow ?? this.deps.ua.serverFlow()] };
  }
}

/** How long an active answerer waits for the ACK before dialling anyway. */
const ACK_WAIT_MS = 2000;

/** NOTIFY: the conference state of group sessions we subscribe to (RFC 6665, RFC 4575). */
export const ALLOW = 'INVITE, ACK, BYE, CANCEL, MESSAGE, OPTIONS, NOTIFY';

/** Option tags the client supports (RFC 3261 20.37): it is replaced and replaces dialogs (RFC 3891). */
export const SUPPORTED = 'replaces';

/** The negotiated types take this one ("*", "type/*" or the type itself). */
function acceptsAny(types: readonly string[], contentType: string): boolean {
  const ct = contentType.split(';', 1)[0]!.trim().toLowerCase();
  const major = ct.split('/', 1)[0];
  return types.some((t) => {
    const a = t.toLowerCase();
    return a === '*' || a === ct || a === `${major}/*`;
  });
}

function pickAuth(req: SipRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (req.headers.authorization) out.authorization = req.headers.authorization;
  if (req.headers['proxy-authorization']) out['proxy-authorization'] = req.headers['proxy-authorization'];
  return out;
}
