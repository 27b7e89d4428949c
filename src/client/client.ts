// The IM client: a SIP user agent (its own SipStack on one port, UDP+TCP) and an MSRP
// listener, speaking only the wire layers, so it works against the imedge server and
// directly against another client alike. Group sessions (OMA IM 7.1.1.6, 7.1.1.9): ad-hoc
// through the conference factory, pre-defined by the group URI, extension of a 1-1 session with
// Replaces (RFC 3891), whose other side (an INVITE that replaces one of ours) is served here too.
import { randomBytes, randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { silentLogger, type Logger } from '../log';
import type { SendResult } from '../msrp/endpoint';
import { MsrpNet } from '../msrp/net';
import { dialogAsUac, dialogAsUas, inDialogRequest, matchesDialog, mediaType, type DialogState } from '../sip/message/dialog';
import { formatReplaces, parseReplaces, unsupportedOptions, withReplacesHeader, type ReplacesTarget } from '../sip/message/replaces';
import { headerText, type NameAddr, type SipRequest, type SipResponse } from '../sip/message/types';
import { IncomingRequest, SipStack } from '../sip/stack';
import type { Direction } from '../sdp';
import { ConferenceWatch, DEFAULT_CONFERENCE_EXPIRES_S, watchKey, type ConferenceWatchOptions } from './conference';
import { MediaError, NoStoredSessionError } from './errors';
import {
  DEFAULT_MAX_ADHOC_GROUP_SIZE,
  RECIPIENT_LIST_INVITE,
  checkAdhocGroupSize,
  checkSipAddress,
  conferenceFactoryUri,
  factoryBody,
  invitedUsers,
  isFocusContact,
  userKey,
  withCpim,
} from './group';
import { answerOffer, buildOffer, readAnswer, type LocalMedia } from './offer';
import { RejoinStore, type RejoinEntry } from './rejoin-store';
import { ALLOW, ImSession, SUPPORTED, type EndReason, type InviteOptions, type SessionDeps } from './session';
import { SipUa, statusError, type ServerAddress } from './sip-ua';

export interface IncomingInvite {
  readonly from: string;
  readonly to: string;
  /** The offer's a=accept-types. */
  readonly acceptTypes: readonly string[];
  readonly largeMessage: boolean;
  /** The inviter is a conference focus (Contact ;isfocus): a group session. */
  readonly group: boolean;
  /** RFC 3891: the Call-ID of our session this INVITE replaces (its Replaces matched one). */
  readonly replaces?: string;
}

export interface ImClientOptions {
  readonly user: string;
  readonly domain: string;
  readonly password?: string;
  /** Next hop of every request we originate (the imedge server, or a peer client). */
  readonly server: ServerAddress;
  /** Address our SIP and MSRP listeners bind to and that we advertise. Default 127.0.0.1. */
  readonly localHost?: string;
  /** Our SIP port (UDP+TCP); 0 picks a free one. Default 0. */
  readonly sipPort?: number;
  /** Types we accept (a=accept-types). Default text/plain and message/cpim. */
  readonly acceptTypes?: readonly string[];
  readonly maxChunkSize?: number;
  /** Largest MSRP message we reassemble (and announce as a=max-size). */
  readonly maxMessageSize?: number;
  /** Bodies above this many bytes go by large message mode (OMA IM 9.1.1). Default 1300. */
  readonly largeMessageThreshold?: number;
  /** How long an IM Session Identity stays rejoinable (OMA IM 7.1.1.12 note). Default 5 min. */
  readonly rejoinWindowMs?: number;
  readonly maxRejoinEntries?: number;
  /** JSON file of rejoinable identities; memory only when absent. */
  readonly storeFile?: string;
  /**
   * MAX-ADHOC-GROUP-SIZE (OMA IM 7.1.1.6 step 5): the most users an ad-hoc group may invite,
   * the IM User not counted. Default 10.
   */
  readonly maxAdhocGroupSize?: number;
  /** Sessions at once (chat + large message); further INVITEs get 486. Default 32. */
  readonly maxSessions?: number;
  /** How long a passive side waits for the peer's MSRP connection. Default 10 s. */
  readonly msrpConnectTimeoutMs?: number;
  /** After an MSRP connection drops, how long to wait for the BYE before ending the session. Default 1 s. */
  readonly msrpLossGraceMs?: number;
  /** Expires asked for by conference state subscriptions (RFC 6665 4.1.2.1), s. Default 600. */
  readonly conferenceExpiresS?: number;
  /** Return a status (e.g. 486, 603) to refuse an incoming session; undefined accepts it. */
  readonly incoming?: (invite: IncomingInvite) => number | undefined;
  readonly logger?: Logger;
}

export interface PagerMessage {
  /** 'page': a SIP MESSAGE (RFC 3428); 'large': a large message mode session (OMA IM 9.1.1). */
  readonly mode: 'page' | 'large';
  readonly from: string;
  readonly contentType: string;
  readonly body: Buffer;
}

export interface ImClientEvents {
  session: [ImSession];
  message: [PagerMessage];
}

export type { InviteOptions };

export interface MessageResult {
  readonly mode: 'page' | 'large';
  readonly status: number;
  /** The MSRP outcome in large message mode. */
  readonly msrp?: SendResult;
}

const DEFAULT_TYPES = ['text/plain', 'message/cpim'];

/** How long an unsubscribed conference watch waits for the notifier's final NOTIFY. */
const WATCH_LINGER_MS = 5000;
/** How long close() waits for that final NOTIFY: it follows the 200 at once from a live notifier. */
const FINAL_NOTIFY_WAIT_MS = 1000;

/** What an INVITE we originate asks for. */
interface OpenSpec {
  readonly requestUri: string;
  readonly toUri: string;
  readonly opts: InviteOptions;
  readonly direction: Direction;
  /** We ask a focus for a group session: message/cpim is offered. */
  readonly group?: boolean;
  /** The invitees of an INVITE to the conference factory (RFC 5366): the body becomes multipart. */
  readonly uriList?: readonly string[];
  readonly headers?: Record<string, string>;
}

export class ImClient extends EventEmitter<ImClientEvents> {
  readonly ua: SipUa;
  private readonly sessionsById = new Map<string, ImSession>();
  private readonly store: RejoinStore;
  private readonly types: readonly string[];
  private readonly deps: SessionDeps;
  private readonly log: Logger;
  /** Conference state subscriptions by Call-ID and our tag: where NOTIFYs go. */
  private readonly watchesByKey = new Map<string, ConferenceWatch>();
  private readonly watches = new Set<ConferenceWatch>();
  private registerCallId = `${randomBytes(10).toString('hex')}`;
  private registerSeq = 0;
  private registerTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private registered = false;

  private constructor(
    private readonly opts: ImClientOptions,
    readonly stack: SipStack,
    readonly net: MsrpNet,
  ) {
    super();
    this.ua = new SipUa(stack, { user: opts.user, domain: opts.domain, password: opts.password, server: { ...opts.server } });
    this.types = opts.acceptTypes ?? DEFAULT_TYPES;
    this.log = opts.logger ?? silentLogger();
    this.store = new RejoinStore({
      ...(opts.storeFile !== undefined ? { file: opts.storeFile } : {}),
      windowMs: opts.rejoinWindowMs ?? 5 * 60_000,
      maxEntries: opts.maxRejoinEntries ?? 32,
    });
    this.deps = {
      ua: this.ua,
      net,
      supportedTypes: this.types,
      ...(opts.maxChunkSize !== undefined ? { maxChunkSize: opts.maxChunkSize } : {}),
      ...(opts.maxMessageSize !== undefined ? { maxMessageSize: opts.maxMessageSize } : {}),
      msrpConnectTimeoutMs: opts.msrpConnectTimeoutMs ?? 10_000,
      msrpLossGraceMs: opts.msrpLossGraceMs ?? 1000,
      onEnded: (s, reason) => this.onSessionEnded(s, reason),
      extend: (s, users, o) => this.extendToGroup(s, users, o),
      watchConference: (identity, o) => this.subscribeConference(identity, o),
    };
  }

  static async start(opts: ImClientOptions): Promise<ImClient> {
    const host = opts.localHost ?? '127.0.0.1';
    const logger = opts.logger ?? silentLogger();
    const net = new MsrpNet({
      ...(opts.maxChunkSize !== undefined ? { maxChunkSize: opts.maxChunkSize } : {}),
      ...(opts.maxMessageSize !== undefined ? { maxMessageSize: opts.maxMessageSize } : {}),
    }, { log: logger });
    await net.listen(host, 0);
    let client: ImClient | undefined;
    let stack: SipStack;
    try {
      stack = await SipStack.start(
        {
          bind: host,
          port: opts.sipPort ?? 0,
          udp: true,
          tcp: true,
          maxBytesHeaders: 16 * 1024,
          maxContentLength: 64 * 1024,
          maxTransactions: 256,
          // a UA sends everything to its one server: a per-target share would only throttle it
          maxTransactionsPerTarget: 256,
          overloadRetryAfterS: 5,
          logger,
        },
        (req) => client?.onRequest(req),
      );
    } catch (err) {
      await net.close();
      throw err;
    }
    client = new ImClient(opts, stack, net);
    return client;
  }

  get sipPort(): number {
    return this.stack.port;
  }

  get aor(): string {
    return this.ua.aor;
  }

  /** Points requests we originate at another next hop (tests wiring two clients together). */
  setServer(server: ServerAddress): void {
    this.ua.id.server = { ...server };
  }

  sessions(): ImSession[] {
    return [...this.sessionsById.values()].filter((s) => !s.largeMessage);
  }

  /** MAX-ADHOC-GROUP-SIZE as provisioned (OMA IM 7.1.1.6 step 5). */
  get maxAdhocGroupSize(): number {
    return this.opts.maxAdhocGroupSize ?? DEFAULT_MAX_ADHOC_GROUP_SIZE;
  }

  // ---- registration -------------------------------------------------------------------------

  /** REGISTER our Contact (digest when challenged); refreshed at half the granted time. */
  async register(expires = 3600): Promise<SipResponse> {
    const rs = await this.sendRegister(expires);
    if (rs.status >= 300) throw statusError('REGISTER', rs);
    this.registered = true;
    this.scheduleRefresh(grantedExpires(rs, expires));
    return rs;
  }

  async unregister(): Promise<SipResponse> {
    this.clearRefresh();
    this.registered = false;
    const rs = await this.sendRegister(0);
    if (rs.status >= 300) throw statusError('REGISTER', rs);
    return rs;
  }

  private async sendRegister(expires: number): Promise<SipResponse> {
    const aor: NameAddr = { uri: this.ua.aor, params: {} };
    const req = this.ua.newRequest('REGISTER', `sip:${this.opts.domain}`, aor, {
      callId: this.registerCallId,
      seq: ++this.registerSeq,
      headers: { expires: String(expires) },
    });
    const { req: sent, rs } = await this.ua.send(req);
    this.registerSeq = sent.headers.cseq?.seq ?? this.registerSeq;
    return rs;
  }

  private scheduleRefresh(expires: number): void {
    this.clearRefresh();
    if (expires <= 0) return;
    this.registerTimer = setTimeout(() => {
      this.register(expires).catch(() => undefined);
    }, Math.max(1, expires / 2) * 1000);
    this.registerTimer.unref();
  }

  private clearRefresh(): void {
    if (this.registerTimer !== undefined) clearTimeout(this.registerTimer);
    this.registerTimer = undefined;
  }

  // ---- sessions we start ----------------------------------------------------------------------

  /** Starts a 1-1 IM session: INVITE with an SDP offer, ACK, MSRP up. Failure throws SipStatusError. */
  async invite(peer: string, opts: InviteOptions = {}): Promise<ImSession> {
    const uri = this.ua.peerUri(peer);
    return this.openSession({ requestUri: uri, toUri: uri, opts, direction: 'sendrecv' });
  }

  /**
   * Starts an ad-hoc group session (OMA IM 7.1.1.6, RFC 5366): INVITE to the conference factory
   * with the SDP offer and the URI list of `users` in one multipart/mixed body. More distinct
   * users than MAX-ADHOC-GROUP-SIZE (ourselves not counted) is refused here with
   * AdhocGroupTooLargeError, before anything is sent (step 5). The focus's refusal is a
   * SipStatusError whose warningText says why.
   */
  async startGroup(users: readonly string[], opts: InviteOptions = {}): Promise<ImSession> {
    const invited = invitedUsers(this.addresses(users), this.aor);
    if (invited.length === 0) throw new RangeError('name at least one user to invite (other than yourself)');
    checkAdhocGroupSize(invited, this.maxAdhocGroupSize);
    const factory = conferenceFactoryUri(this.opts.domain);
    return this.openSession({ requestUri: factory, toUri: factory, opts, direction: 'sendrecv', group: true, uriList: invited });
  }

  /** Starts or joins the session of a pre-defined group: INVITE to sip:<group-id>@<domain>. */
  async joinGroup(groupId: string, opts: InviteOptions = {}): Promise<ImSession> {
    const [uri] = this.addresses([groupId]);
    return this.openSession({ requestUri: uri!, toUri: uri!, opts, direction: 'sendrecv', group: true });
  }

  /**
   * OMA IM 7.1.1.6 (steps 3, 5, 8; Appendix M): extends an established 1-1 session to an ad-hoc
   * group. The factory INVITE lists the original peer, its URI carrying this dialog as a
   * Replaces URI header, and the new users; the INVITE carries Replaces for the same dialog
   * (RFC 3891). Resolves with the group session. The focus ends the 1-1 dialog with BYE
   * (7.1.2.3), which the old session reports as 'replaced'.
   */
  async extendToGroup(session: ImSession, users: readonly string[], opts: InviteOptions = {}): Promise<ImSession> {
    if (session.group || session.largeMessage) throw new MediaError('only a 1-1 session can be extended to a group');
    if (session.ended || this.sessionsById.get(session.callId) !== session) throw new MediaError('the session has ended');
    const original = session.peer;
    const self = userKey(this.aor);
    if (userKey(original) === self) throw new MediaError('a session with yourself cannot be extended');
    const added = invitedUsers(this.addresses(users), this.aor).filter((u) => userKey(u) !== userKey(original));
    if (added.length === 0) throw new RangeError('name at least one user to add (other than the two of you)');
    checkAdhocGroupSize([original, ...added], this.maxAdhocGroupSize);
    // RFC 3891 3: to-tag is compared with the receiver's local tag, i.e. our remote tag
    const replaces: ReplacesTarget = { callId: session.callId, toTag: session.dialog.remoteTag, fromTag: session.dialog.localTag, earlyOnly: false };
    const factory = conferenceFactoryUri(this.opts.domain);
    // the focus may BYE the 1-1 dialog before its 200 reaches us: that BYE already ends a
    // replaced session; should the extension fail, a later ending is the session's own again
    session.markReplaced();
    try {
      return await this.openSession({
        requestUri: factory,
        toUri: factory,
        opts: { anonymous: session.anonymous, ...opts },
        direction: 'sendrecv',
        group: true,
        uriList: [withReplacesHeader(original, replaces), ...added],
        headers: { replaces: formatReplaces(replaces) },
      });
    } catch (err) {
      session.markReplaced(false);
      throw err;
    }
  }

  /**
   * OMA IM 7.1.1.11: subscribes to the conference state (RFC 4575) of a group session by its IM
   * Session Identity, as a participant or as a watcher the group's allow-conference-state admits.
   * A session's own watch is ImSession.subscribeConference, which also ends with the session;
   * one made here runs until unsubscribe() or close(). At most maxSessions at once.
   */
  subscribeConference(identity: string, opts: ConferenceWatchOptions = {}): ConferenceWatch {
    if (this.closed) throw new MediaError('client is closed');
    checkSipAddress(identity);
    const expiresS = opts.expiresS ?? this.opts.conferenceExpiresS ?? DEFAULT_CONFERENCE_EXPIRES_S;
    if (!Number.isInteger(expiresS) || expiresS < 1) throw new RangeError(`conference expiresS must be a whole number of seconds >= 1, not ${expiresS}`);
    for (const w of this.watches) if (w.state === 'terminated') this.watches.delete(w);
    if (this.watches.size >= this.maxSessions) throw new MediaError(`conference subscription limit (${this.maxSessions}) reached`);
    const watch = new ConferenceWatch(identity, {
      ua: this.ua,
      log: this.log,
      lingerMs: WATCH_LINGER_MS,
      bind: (key, w) => this.watchesByKey.set(key, w),
      unbind: (key, w) => {
        if (this.watchesByKey.get(key) === w) this.watchesByKey.delete(key);
      },
    }, expiresS);
    this.watches.add(watch);
    watch.start();
    return watch;
  }

  /** User names, user@domain or SIP URIs as SIP URIs; RangeError naming the first that is none. */
  private addresses(users: readonly string[]): string[] {
    return users.map((u) => {
      const uri = this.ua.peerUri(u.trim());
      checkSipAddress(uri);
      return uri;
    });
  }

  /** OMA IM 7.1.1.9: the stored IM Session Identities still inside the rejoin window. */
  rejoinable(): RejoinEntry[] {
    return this.store.list();
  }

  /**
   * OMA IM 7.1.1.9: step 1, the identity must still be stored, else NoStoredSessionError (the
   * error to show the user); steps 2-5, an initial INVITE with an SDP offer to that identity.
   */
  async rejoin(sessionId: string, opts: InviteOptions = {}): Promise<ImSession> {
    const entry = this.store.get(sessionId);
    if (entry === undefined) throw new NoStoredSessionError(sessionId);
    // only group sessions are stored: the identity is a focus's
    const session = await this.openSession({ requestUri: entry.sessionId, toUri: entry.sessionId, opts, direction: 'sendrecv', group: true });
    this.store.remove(sessionId);
    return session;
  }

  /**
   * Sends outside a session: page-mode MESSAGE (RFC 3428) up to largeMessageThreshold bytes,
   * large message mode above it (OMA IM 9.1.1).
   */
  async sendMessage(peer: string, body: string | Buffer, opts: { contentType?: string } = {}): Promise<MessageResult> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const contentType = opts.contentType ?? 'text/plain';
    if (bytes.length > (this.opts.largeMessageThreshold ?? 1300)) {
      const msrp = await this.sendLargeMessage(peer, bytes, contentType);
      return { mode: 'large', status: msrp.status, msrp };
    }
    const uri = this.ua.peerUri(peer);
    const req = this.ua.newRequest('MESSAGE', uri, { uri, params: {} }, { body: bytes, contentType });
    // RFC 3428 4: a MESSAGE creates no dialog and carries no Contact
    delete req.headers.contact;
    const { rs } = await this.ua.sendOk(req);
    return { mode: 'page', status: rs.status };
  }

  /**
   * OMA IM 9.1.1 large message mode: INVITE whose SDP says a=sendonly, the one message over
   * MSRP, then BYE. Resolves with the MSRP outcome of the message.
   */
  async sendLargeMessage(peer: string, body: string | Buffer, contentType = 'text/plain'): Promise<SendResult> {
    const uri = this.ua.peerUri(peer);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const session = await this.openSession({ requestUri: uri, toUri: uri, opts: { acceptTypes: [contentType] }, direction: 'sendonly' });
    try {
      return await session.send(bytes, { contentType });
    } finally {
      await session.leave().catch(() => undefined);
    }
  }

  private async openSession(spec: OpenSpec): Promise<ImSession> {
    const { opts, direction } = spec;
    if (this.closed) throw new MediaError('client is closed');
    if (this.sessionsById.size >= this.maxSessions) throw new MediaError(`session limit (${this.maxSessions}) reached`);
    const local = this.newLocalMedia();
    const requested = opts.acceptTypes ?? this.types;
    // a focus wraps every message in CPIM: a group offer must take message/cpim
    const acceptTypes = spec.group ? withCpim(requested) : requested;
    const maxSize = opts.maxSize ?? this.opts.maxMessageSize;
    const sdp = buildOffer(local, {
      acceptTypes,
      ...(maxSize !== undefined ? { maxSize } : {}),
      setup: 'actpass',
      ...(direction !== 'sendrecv' ? { direction } : {}),
    });
    // OMA IM 7.1.1.6 steps 3-7 / RFC 5366 4: SDP and URI list in one multipart/mixed body
    const body = spec.uriList !== undefined ? factoryBody(sdp, spec.uriList) : { contentType: 'application/sdp', body: Buffer.from(sdp) };
    const invite = this.ua.newRequest('INVITE', spec.requestUri, { uri: spec.toUri, params: {} }, {
      body: body.body,
      contentType: body.contentType,
      headers: {
        allow: ALLOW,
        supported: SUPPORTED,
        ...(spec.uriList !== undefined ? { require: RECIPIENT_LIST_INVITE } : {}),
        ...(opts.anonymous ? { privacy: 'id' } : {}),
        ...spec.headers,
      },
    });
    // RFC 3261 13.2.2.4: a retransmitted 2xx is ACKed again by the stack (it keeps the ACK sent)
    const { req, rs } = await this.ua.send(invite);
    if (rs.status >= 300) throw statusError('INVITE', rs);
    const dialog = dialogAsUac(req, rs, this.ua.serverFlow());
    const answer = readAnswer(rs.body, 'actpass');
    if (!answer.ok) {
      ackAndBye(this.ua, dialog, req);
      throw new MediaError(`unusable SDP answer: ${answer.reason}`);
    }
    const session = new ImSession(this.deps, {
      role: 'uac',
      dialog,
      local,
      mediaRole: answer.connects === 'we' ? 'active' : 'passive',
      remotePath: answer.remotePath,
      acceptTypes,
      remoteAcceptTypes: answer.remoteAcceptTypes,
      peerMaxSize: answer.peerMaxSize,
      maxSize,
      largeMessage: direction === 'sendonly',
      anonymous: opts.anonymous ?? false,
      group: (spec.group ?? false) || isFocusContact(rs.headers.contact),
      peerAllow: allowList(rs),
    });
    this.sessionsById.set(dialog.callId, session);
    session.ack(req);
    await session.ready();
    return session;
  }

  private get maxSessions(): number {
    return this.opts.maxSessions ?? 32;
  }

  private newLocalMedia(): LocalMedia {
    const id = this.net.newSessionId();
    const addr = this.net.address;
    if (addr === undefined) throw new MediaError('MSRP listener is not running');
    return {
      address: addr.host,
      port: addr.port,
      uri: this.net.localUri(id),
      sessionId: String(randomInt(1, 2 ** 47)),
      version: 1,
    };
  }

  // ---- requests from the network --------------------------------------------------------------

  private onRequest(req: IncomingRequest): void {
    const m = req.msg;
    const callId = m.headers['call-id'] ?? '';
    const inDialog = m.headers.to?.params.tag !== undefined && m.headers.to?.params.tag !== null;
    if (m.method !== 'ACK' && m.method !== 'CANCEL') {
      // RFC 3261 8.2.2.3: an extension we do not serve is 420 with Unsupported; Replaces
      // (RFC 3891) is served on an INVITE that opens a dialog, and nowhere else
      const unsupported = unsupportedOptions(headerText(m, 'require'), m.method === 'INVITE' && !inDialog ? [SUPPORTED] : []);
      if (unsupported.length > 0) {
        req.reply(420, undefined, { headers: { unsupported: unsupported.join(', ') } });
        return;
      }
      // RFC 3891 3: Replaces in a request other than INVITE is 400
      if (m.headers.replaces !== undefined && (m.method !== 'INVITE' || inDialog)) {
        req.reply(400, 'Replaces only in an initial INVITE');
        return;
      }
    }
    if (m.method === 'NOTIFY') {
      // RFC 6665 4.1.3: a NOTIFY belongs to one of our subscriptions, or gets 481
      const w = this.watchesByKey.get(watchKey(callId, String(m.headers.to?.params.tag ?? '')));
      if (w !== undefined && inDialog) w.handleNotify(req);
      else req.reply(481, 'Subscription Does Not Exist');
      return;
    }
    if (inDialog || m.method === 'ACK' || m.method === 'BYE') {
      const s = this.sessionsById.get(callId);
      if (s !== undefined && matchesDialog(s.dialog, m)) {
        s.handle(req);
        return;
      }
      if (m.method !== 'ACK') req.reply(481);
      return;
    }
    switch (m.method) {
      case 'INVITE':
        this.onInvite(req);
        return;
      case 'MESSAGE':
        this.onMessage(req);
        return;
      case 'OPTIONS':
        req.reply(200, undefined, { headers: { allow: ALLOW, accept: 'application/sdp', supported: SUPPORTED } });
        return;
      case 'CANCEL':
        // INVITEs are answered at once, so there is never a pending one to cancel
        req.reply(481);
        return;
      default:
        // OMA IM 7.1.1.5: no UPDATE (nor anything else we do not implement)
        req.reply(405, undefined, { headers: { allow: ALLOW } });
    }
  }

  /** RFC 3428: a page-mode message is acknowledged with 200 and handed to the application. */
  private onMessage(req: IncomingRequest): void {
    const m = req.msg;
    req.reply(200);
    this.emit('message', {
      mode: 'page',
      from: m.headers.from?.uri ?? '',
      contentType: mediaType(m) ?? 'text/plain',
      body: m.body,
    });
  }

  private onInvite(req: IncomingRequest): void {
    const m = req.msg;
    const replacing = this.replacedBy(m);
    if (typeof replacing === 'number') {
      req.reply(replacing);
      return;
    }
    // a session that replaces one of ours takes its place in the count
    if (this.closed || (this.sessionsById.size >= this.maxSessions && replacing === undefined)) {
      req.reply(486);
      return;
    }
    if (mediaType(m) !== 'application/sdp') {
      req.reply(415, undefined, { headers: { accept: 'application/sdp' } });
      return;
    }
    const group = isFocusContact(m.headers.contact);
    const local = this.newLocalMedia();
    // a fresh session: we answer passive to actpass, so the offerer (or the server) dials us
    const answer = answerOffer(m.body, local, {
      acceptTypes: group ? withCpim(this.types) : this.types,
      maxSize: this.opts.maxMessageSize,
      preferredSetup: 'passive',
    });
    if (!answer.ok) {
      req.reply(answer.status, undefined, { headers: { warning: `399 ${this.stack.host} "${answer.reason}"` } });
      return;
    }
    const refusal = this.opts.incoming?.({
      from: m.headers.from?.uri ?? '',
      to: m.headers.to?.uri ?? '',
      acceptTypes: answer.remoteAcceptTypes,
      largeMessage: answer.largeMessage,
      group,
      ...(replacing !== undefined ? { replaces: replacing.callId } : {}),
    });
    if (refusal !== undefined) {
      req.reply(refusal);
      return;
    }
    const dialog = dialogAsUas(m, req.localTag(), req.flow);
    const session = new ImSession(this.deps, {
      role: 'uas',
      dialog,
      local,
      mediaRole: answer.connects === 'we' ? 'active' : 'passive',
      remotePath: answer.remotePath,
      acceptTypes: answer.acceptTypes,
      remoteAcceptTypes: answer.remoteAcceptTypes,
      peerMaxSize: answer.peerMaxSize,
      maxSize: this.opts.maxMessageSize,
      largeMessage: answer.largeMessage,
      group,
      peerAllow: allowList(m),
    });
    this.sessionsById.set(dialog.callId, session);
    if (answer.largeMessage) {
      // OMA IM 9.1.1: the one message of a large message session goes to the application
      const from = dialog.remote.uri;
      session.on('message', (msg) => this.emit('message', { mode: 'large', from, contentType: msg.contentType, body: msg.body }));
    }
    req.reply(200, undefined, {
      headers: { contact: [this.ua.contact()], allow: ALLOW, supported: SUPPORTED, 'content-type': 'application/sdp' },
      body: Buffer.from(answer.sdp),
    });
    if (replacing !== undefined) replacing.markReplaced();
    if (!answer.largeMessage) this.emit('session', session);
    session.ready().then(
      // RFC 3891 3: once the new dialog stands, the replaced one is ended with BYE
      () => replacing?.leave().catch(() => undefined),
      // an MSRP failure ends the session (BYE, 'ended' msrp-lost); the replaced one carries on
      () => replacing?.markReplaced(false),
    );
  }

  /**
   * RFC 3891 3: the session an INVITE's Replaces names, matched on Call-ID, to-tag against our
   * local tag and from-tag against our remote tag; undefined when it has no Replaces; else the
   * status to refuse it with: 400 malformed or repeated, 481 no such session, 486 early-only
   * (every session of ours is confirmed).
   */
  private replacedBy(m: SipRequest): ImSession | number | undefined {
    const raw = m.headers.replaces;
    if (raw === undefined) return undefined;
    const text = String(raw);
    // the stack joins repeated headers with ","; a Call-ID never holds one
    if (text.includes(',')) return 400;
    const v = parseReplaces(text);
    if (v === undefined) return 400;
    const s = this.sessionsById.get(v.callId);
    if (s === undefined || s.largeMessage || s.ended || s.dialog.localTag !== v.toTag || s.dialog.remoteTag !== v.fromTag) return 481;
    return v.earlyOnly ? 486 : s;
  }

  private onSessionEnded(s: ImSession, reason: EndReason): void {
    if (this.sessionsById.get(s.callId) === s) this.sessionsById.delete(s.callId);
    // OMA IM 7.1.1.9, 7.1.1.12/13 and 7.1.2.3 notes: the IM Session Identity of a group session
    // we left or lost is kept for a later rejoin; a 1-1 session cannot be rejoined, and a
    // replaced one goes on in its successor
    if (s.group && !s.largeMessage && reason !== 'replaced' && !this.closed) this.store.put(s.identity, s.peer);
  }

  /** Leaves every session (BYE), unregisters, each waiting at most byeWaitMs, then closes the listeners. */
  async close(byeWaitMs = 2000): Promise<void> {
    if (this.closed) return;
    const live = [...this.sessionsById.values()];
    await Promise.all(live.map((s) => withTimeout(s.leave(), byeWaitMs).catch(() => undefined)));
    // a session's watch was unsubscribed with its BYE, the others are here; each waits (bounded)
    // for the notifier's final NOTIFY, so that one is answered 200 rather than 481
    const finalWait = Math.min(byeWaitMs, FINAL_NOTIFY_WAIT_MS);
    await Promise.all([...this.watches].map((w) => withTimeout(w.unsubscribe().then(() => withTimeout(w.finished(), finalWait)), byeWaitMs).catch(() => undefined)));
    // a stale Contact left at the registrar would get our calls forked to a dead port
    if (this.registered) await withTimeout(this.unregister(), byeWaitMs).catch(() => undefined);
    this.closed = true;
    for (const s of live) s.abandon();
    for (const w of this.watches) w.dispose();
    this.watches.clear();
    this.clearRefresh();
    await this.net.close();
    await this.stack.close();
  }
}

/** RFC 3261 13.2.2.4: a 2xx is ACKed even when its answer is unusable; then we hang up. */
function ackAndBye(ua: SipUa, d: DialogState, invite: SipRequest): void {
  ua.stack.sendAck(inDialogRequest(d, 'ACK', { seq: invite.headers.cseq?.seq ?? d.localSeq }));
  // an anonymous INVITE's BYE stays anonymous (RFC 3323 4.2)
  const privacy = invite.headers.privacy !== undefined ? { privacy: String(invite.headers.privacy) } : undefined;
  ua.send(inDialogRequest(d, 'BYE', privacy ? { headers: privacy } : {}), { targets: [ua.serverFlow()] }).catch(() => undefined);
}

/** The methods an Allow header lists (RFC 3261 20.5), upper-cased. */
function allowList(m: { headers: SipRequest['headers'] }): string[] {
  const v = headerText(m, 'allow');
  return v === undefined ? [] : v.split(',').map((x) => x.trim().toUpperCase()).filter((x) => /^[A-Z]+$/.test(x));
}

function grantedExpires(rs: SipResponse, asked: number): number {
  const contacts = rs.headers.contact;
  if (Array.isArray(contacts)) {
    for (const c of contacts) {
      const e = Number(c.params.expires);
      if (Number.isFinite(e) && e > 0) return e;
    }
  }
  const h = Number(rs.headers.expires);
  return Number.isFinite(h) && h > 0 ? h : asked;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
