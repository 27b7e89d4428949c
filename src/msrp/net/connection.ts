import type { Socket } from 'node:net';
import type { Logger } from '../../log';
import { Waiter } from '../../util/waiter';
import {
  checkHead,
  getHeader,
  isUtf8Text,
  MsrpHeadCache,
  MsrpParser,
  MsrpResponseEncoder,
  parsePath,
  msrpUriEquals,
  type MsrpFields,
  type MsrpFlag,
  type MsrpFrameHead,
  type MsrpHeadCheckOptions,
  type MsrpParserHandler,
  type MsrpRequestHead,
  type MsrpResponseHead,
  type MsrpUri,
  type MsrpWireError,
} from '../wire';
import type { MsrpNetCounters } from './counters';
import type { MsrpNetOptions } from './options';
import { Outbound } from './outbound';
import { firstUri, reasonOf } from './respond';
import type { MsrpSession } from './session';

/** What a connection needs from the layer that owns it. */
export interface ConnectionContext {
  readonly options: MsrpNetOptions;
  readonly counters: MsrpNetCounters;
  findSession(id: string): MsrpSession | undefined;
  onClosed(connection: MsrpConnection): void;
  /** Where a handler that threw is logged (the throw itself is counted in handlerErrors). */
  readonly log?: Logger;
}

const enum Mode {
  Idle,
  Deliver,
  Discard,
}

/** Frames cut for holding others that close their connection (within the window below). */
const HOLD_STRIKES = 3;
const HOLD_STRIKE_WINDOW_MS = 60_000;

/**
 * One MSRP TCP connection: one parser, the connection <-> session binding (RFC 4975 section
 * 5.4, RFC 6135), answers for requests that cannot be delivered, transaction matching, idle
 * timeout, and the outbound leg (ring) that serialises everything written.
 */
export class MsrpConnection implements MsrpParserHandler {
  readonly out: Outbound;
  /** Transactions this side sent on this connection, keyed by transaction id. */
  readonly transactions: Waiter<string, MsrpResponseHead>;
  readonly sessions = new Set<MsrpSession>();
  readonly remoteAddress: string;
  /** The peer's IP alone (per-source limits). */
  readonly remoteIp: string;
  /** The connection is TLS (msrps:): only such a connection reaches a session whose URI is msrps:. */
  readonly secure: boolean;
  /** Listeners for this leg's congestion (the relay pauses the legs that feed it). */
  readonly congestionListeners = new Set<(congested: boolean) => void>();
  private readonly parser: MsrpParser;
  private mode = Mode.Idle;
  private target: MsrpSession | undefined;
  private pauseCount = 0;
  private isClosed = false;
  /** Made at the first onClose(): few connections ever get a close listener. */
  private closeListeners: Set<() => void> | undefined;
  /** Requests on one connection repeat their paths: decode them once (see MsrpHeadCache). */
  private readonly checkOptions: MsrpHeadCheckOptions = { cache: new MsrpHeadCache() };
  private readonly responses = new MsrpResponseEncoder();
  /** Idle timer (re-armed every idleTimeoutMs, not per frame) and bind timer (until the first bind). */
  private idleTimer: NodeJS.Timeout | undefined;
  private bindTimer: NodeJS.Timeout | undefined;
  /** A frame (head or body bytes) came in since the idle timer last looked; CRLFs between frames do not count. */
  private framesSeen = false;
  /** out.bytesOut when the idle timer last looked: frames written count as activity too. */
  private bytesOutSeen = 0;
  private everBound = false;
  /** Frames of this connection cut for holding others (see holdCut), and when the last was. */
  private holdStrikes = 0;
  private lastHoldCut = 0;
  /** The last From-Path (as decoded by the cache) that matched this session: no re-compare. */
  private matchedFromPath: readonly MsrpUri[] | undefined;
  private matchedSession: MsrpSession | undefined;
  private matchedRemote: readonly MsrpUri[] | undefined;
  /** The request whose head may bind its session here (see deliverBinding), and whether it was refused. */
  private bindingHead: MsrpRequestHead | undefined;
  private bindingRefused = false;

  constructor(
    readonly socket: Socket,
    private readonly ctx: ConnectionContext,
    readonly direction: 'in' | 'out',
  ) {
    const o = ctx.options;
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.remoteIp = socket.remoteAddress ?? '?';
    this.secure = (socket as Socket & { encrypted?: boolean }).encrypted === true;
    // bodies stream through, so no body cap here: endpoints answer 413 above maxMessageSize
    // (closing the connection instead would lose the transaction's answer)
    this.parser = new MsrpParser(this, { maxHeaderBytes: o.maxHeaderBytes });
    this.transactions = new Waiter({ capacity: o.maxPendingTransactions, timeoutMs: o.transactionTimeoutMs });
    this.out = new Outbound(socket, o, {
      onCongestion: (c) => {
        if (c) ctx.counters.pauses++;
        else ctx.counters.resumes++;
        try {
          for (const l of this.congestionListeners) l(c);
        } catch (err) {
          this.fail(err, 'congestion listener');
        }
      },
      // the peer sends requests faster than it reads our answers: stop reading it
      onControlPressure: (high) => (high ? this.pauseReading() : this.resumeReading()),
      onHoldExpired: (writer) => {
        // an endpoint's own SEND has no hook: it interrupts itself at its next piece (endpoint.ts)
        if (writer.onHoldingOthers === undefined) return;
        ctx.counters.framesCut++;
        try {
          writer.onHoldingOthers();
        } catch (err) {
          this.fail(err, 'frame hold expired');
        }
      },
      onWritten: (n) => {
        ctx.counters.bytesOut += n;
      },
    });
    socket.setNoDelay(true);
    // timers carry the connection as their argument: no closure per connection
    this.idleTimer = setTimeout(checkIdle, o.idleTimeoutMs, this).unref();
    this.bindTimer = setTimeout(checkBind, o.bindTimeoutMs, this).unref();
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onGone);
    socket.on('close', this.onGone);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Stops reading the socket until as many resumeReading() calls (reasons are counted). */
  pauseReading(): void {
    if (this.pauseCount++ === 0 && !this.isClosed) this.socket.pause();
  }

  resumeReading(): void {
    if (this.pauseCount === 0) return;
    if (--this.pauseCount === 0 && !this.isClosed) this.socket.resume();
  }

  get readingPaused(): boolean {
    return this.pauseCount > 0;
  }

  onClose(listener: () => void): void {
    if (this.isClosed) listener();
    else (this.closeListeners ??= new Set()).add(listener);
  }

  /** Queues a locally generated frame (response, REPORT); counts it. */
  sendControl(frame: Buffer): boolean {
    const ok = this.out.control(frame);
    if (ok) this.ctx.counters.framesOut++;
    else this.ctx.counters.controlDropped++;
    return ok;
  }

  /** Answers a request with an error status (honours Failure-Report: no and REPORT, RFC 4975 7.2). */
  reject(head: MsrpRequestHead, status: number, comment?: string): void {
    if (head === this.bindingHead) this.bindingRefused = true;
    if (head.method === 'REPORT') return; // section 7.1.2: REPORT requests are never answered
    if ((getHeader(head, 'Failure-Report') ?? '').toLowerCase() === 'no') return;
    const to = getHeader(head, 'To-Path');
    const from = getHeader(head, 'From-Path');
    if (to === undefined || from === undefined || parsePath(to) === undefined || parsePath(from) === undefined) return;
    // a comment may quote the peer: one that is not utf8text (section 9) gives way to the reason
    const text = comment === undefined || isUtf8Text(comment) ? comment : reasonOf(status);
    if (this.sendControl(this.responseTo(head, to, from, status, text))) this.ctx.counters.errorResponsesSent++;
  }

  /**
   * Transaction response to a request received here (RFC 4975 section 7.2): To-Path is the
   * previous hop (first URI of the request's From-Path), From-Path this hop (first URI of its
   * To-Path). `toPathValue`/`fromPathValue` are the request's header values as received.
   */
  responseTo(
    head: Pick<MsrpRequestHead, 'transactionId'>,
    toPathValue: string,
    fromPathValue: string,
    status: number,
    comment: string = reasonOf(status),
  ): Buffer {
    return this.responses.encode(head.transactionId, status, comment, firstUri(fromPathValue), firstUri(toPathValue));
  }

  /**
   * A frame this connection sent was cut for holding other sessions back (frameHoldMs). A peer
   * that does it HOLD_STRIKES times within HOLD_STRIKE_WINDOW_MS (starting a new trickled chunk
   * after each 413) is closed once the 413 went out: otherwise it could hold every shared leg
   * frameHoldMs at a time, for ever (attack finding F2).
   */
  holdCut(): void {
    const now = Date.now();
    if (now - this.lastHoldCut > HOLD_STRIKE_WINDOW_MS) this.holdStrikes = 0;
    this.lastHoldCut = now;
    if (++this.holdStrikes < HOLD_STRIKES || this.isClosed) return;
    this.ctx.counters.closedForHolding++;
    this.closeAfterFlush();
  }

  /** Closes once everything queued is written (after a final 400, say). */
  closeAfterFlush(): void {
    this.pauseReading();
    this.out.whenEmpty(() => this.close());
  }

  /**
   * Closes the connection and tells everyone concerned. Runs from socket, timer and handler
   * paths, so every callback it makes is fenced: one that throws is counted and the others
   * still run (a close that stopped half way would leave sessions bound to a dead connection).
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.bindTimer);
    this.idleTimer = undefined;
    this.bindTimer = undefined;
    this.parser.close();
    try {
      this.endDelivery('#', true);
    } catch (err) {
      this.fail(err, 'close: end of delivery');
    }
    try {
      this.transactions.cancelAll();
    } catch (err) {
      this.fail(err, 'close: pending transactions');
    }
    this.out.destroy();
    this.socket.destroy();
    for (const s of this.sessions) {
      if (s.connection === this) s.connection = undefined;
      try {
        s.handler.onDisconnected?.(s, this);
      } catch (err) {
        this.fail(err, 'close: session disconnected');
      }
    }
    this.sessions.clear();
    this.ctx.onClosed(this);
    const listeners = this.closeListeners;
    this.closeListeners = undefined;
    if (listeners !== undefined) {
      for (const l of listeners) {
        try {
          l();
        } catch (err) {
          this.fail(err, 'close listener');
        }
      }
    }
  }

  /**
   * The boundary of every callback run for this connection (socket data/end, parser and
   * session handlers, timers, and the relay's hooks for it): a throw is counted and logged and
   * closes this connection only, never the process (COMMON rules).
   */
  fail(err: unknown, where: string): void {
    this.ctx.counters.handlerErrors++;
    this.ctx.log?.warn({ err, where, remote: this.remoteAddress }, 'MSRP handler failed; connection closed');
    this.close();
  }

  /** Idle timer: closes when no frame went either way since the last look (called by checkIdle). */
  idleCheck(): void {
    this.idleTimer = undefined;
    if (this.isClosed) return;
    const out = this.out.bytesOut;
    if (!this.framesSeen && out === this.bytesOutSeen) {
      this.ctx.counters.idleTimeouts++;
      this.close();
      return;
    }
    this.framesSeen = false;
    this.bytesOutSeen = out;
    this.idleTimer = setTimeout(checkIdle, this.ctx.options.idleTimeoutMs, this).unref();
  }

  /** Bind timer: closes a connection that never bound a session (called by checkBind). */
  bindCheck(): void {
    this.bindTimer = undefined;
    if (this.isClosed || this.everBound) return;
    this.ctx.counters.bindTimeouts++;
    this.close();
  }

  /** Binds a session to this connection (RFC 4975 section 5.4); false over the per-connection limit. */
  bind(session: MsrpSession): boolean {
    if (session.connection === this) return true;
    if (session.connection !== undefined || !this.hasRoom()) return false;
    session.connection = this;
    this.bound(session);
    return true;
  }

  /** Open and under msrp.maxSessionsPerConnection: one more session may bind here. */
  private hasRoom(): boolean {
    return !this.isClosed && this.sessions.size < this.ctx.options.maxSessionsPerConnection;
  }

  /** The bookkeeping of a binding: session.connection already points here. */
  private bound(session: MsrpSession): void {
    this.sessions.add(session);
    if (!this.everBound) {
      this.everBound = true;
      clearTimeout(this.bindTimer);
      this.bindTimer = undefined;
    }
    session.handler.onBound?.(session, this);
  }

  unbind(session: MsrpSession): void {
    if (session === this.matchedSession) this.matchedSession = undefined;
    if (session.connection === this) session.connection = undefined;
    session.boundFrom = undefined;
    this.sessions.delete(session);
  }

  /**
   * Undoes a binding made by a sender the session's peer path (learnt later) does not name
   * (RFC 4975 7.3): the session is free for its peer's own connection, and this connection
   * closes when it carries no other session. Counted.
   */
  unbindStranger(session: MsrpSession): void {
    this.ctx.counters.strangerBindingsUndone++;
    if (this.target === session && this.mode === Mode.Deliver) {
      // the rest of a frame it is sending goes nowhere (its handler hears it broke off)
      this.mode = Mode.Discard;
      this.target = undefined;
      session.handler.onRequestEnd(session, '#', true);
    }
    this.unbind(session);
    session.handler.onUnbound?.(session, this);
    if (this.sessions.size === 0) this.closeAfterFlush();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.ctx.counters.bytesIn += chunk.length;
    try {
      this.parser.feed(chunk);
    } catch (err) {
      this.fail(err, 'data');
    }
  };

  private readonly onEnd = (): void => {
    try {
      this.parser.finish();
    } catch (err) {
      this.fail(err, 'end');
    }
    this.close();
  };

  private readonly onGone = (): void => this.close();

  // ---- parser handler -------------------------------------------------------------------

  onFrameHead(head: MsrpFrameHead): void {
    this.ctx.counters.framesIn++;
    this.framesSeen = true;
    if (head.kind === 'response') {
      this.mode = Mode.Discard;
      // responses are matched by transaction id on the connection the request went out on
      if (!this.transactions.resolve(head.transactionId, head)) this.ctx.counters.unmatchedResponses++;
      return;
    }
    this.mode = Mode.Discard;
    const check = checkHead(head, this.checkOptions);
    if (!check.ok) {
      this.ctx.counters.parseErrors++;
      this.reject(head, 400, check.reason);
      return;
    }
    const fields = check.fields;
    // section 7.3: the session is named by the first URI of To-Path
    const sid = fields.toPath[0].sessionId;
    const session = sid === undefined ? undefined : this.ctx.findSession(sid);
    if (session === undefined || session.closed) {
      this.reject(head, 481);
      return;
    }
    // RFC 4975 6, 14.2: an msrps: session is reached over TLS only; the same bytes in clear
    // (on the TCP port) name a session that does not exist there, and are never delivered
    if (session.local.scheme === 'msrps' && !this.secure) {
      this.ctx.counters.tlsRequired++;
      this.reject(head, 481, 'session is reached over TLS only');
      return;
    }
    if (session.connection !== this) {
      // RFC 6135 / RFC 4975 5.4: a passive session is bound by the first request on a connection
      // RFC 4975 10.5 (status 506): a session bound to another connection takes nothing on this one
      if (session.connection !== undefined) {
        this.reject(head, 506);
        return;
      }
      if (session.setup !== 'passive') {
        this.reject(head, 481);
        return;
      }
      if (!this.fromPathMatches(session, fields.fromPath)) {
        this.reject(head, 481, 'From-Path does not match the session');
        return;
      }
      // a refused request binds nothing (attack finding: a refused one bound the session here,
      // and its owner's own connection then got 506): the method first, then the handler's say
      if (head.method !== 'SEND' && head.method !== 'REPORT') {
        this.reject(head, 501);
        return;
      }
      if (!this.hasRoom()) {
        this.reject(head, 403, 'too many sessions on this connection');
        return;
      }
      this.deliverBinding(session, head, fields);
      return;
    } else if (!this.fromPathMatches(session, fields.fromPath)) {
      this.reject(head, 481, 'From-Path does not match the session');
      return;
    }
    if (head.method !== 'SEND' && head.method !== 'REPORT') {
      // section 12: methods this side does not understand get 501
      this.reject(head, 501);
      return;
    }
    this.mode = Mode.Deliver;
    this.target = session;
    session.handler.onRequestHead(session, head, fields);
  }

  onBodyChunk(chunk: Buffer): void {
    this.framesSeen = true;
    if (this.mode === Mode.Deliver) {
      const t = this.target as MsrpSession;
      t.handler.onRequestBody(t, chunk);
    }
  }

  onFrameEnd(flag: MsrpFlag): void {
    this.endDelivery(flag, false);
  }

  onError(error: MsrpWireError): void {
    this.ctx.counters.parseErrors++;
    this.endDelivery('#', true);
    const start = error.start;
    if (error.answerStatus === 400 && start !== undefined && start.kind === 'request') {
      // a fake head carrying what was read: enough to address the 400 (section 7.2)
      const head = { ...start, headers: error.headers, hasBody: false, raw: Buffer.alloc(0), syntaxErrors: [] };
      this.reject(head, 400, error.kind);
    }
    if (error.recovery === 'close') this.closeAfterFlush();
  }

  /**
   * `broken`: no end-line was read (parse error or connection lost), so there is no complete
   * request to answer; a '#' read from the wire is the sender aborting a chunk (RFC 4975 7.1),
   * a complete transaction that still gets its response (section 7.2).
   */
  private endDelivery(flag: MsrpFlag, broken: boolean): void {
    const t = this.target;
    const deliver = this.mode === Mode.Deliver;
    this.mode = Mode.Idle;
    this.target = undefined;
    if (deliver && t !== undefined) t.handler.onRequestEnd(t, flag, broken);
  }

  /**
   * RFC 4975 5.4: the first request for a passive session binds it to this connection, but
   * only when it is taken. While its handler reads the head the session points here (the
   * handler answers through session.connection; the same session on another connection
   * meanwhile gets 506); it is bound (sessions, onBound) once the handler returns without
   * refusing it. A head the handler refuses (the relay's 481 when the other leg is not up yet,
   * 413, 403...) leaves the session unbound, and the rest of that frame is discarded.
   */
  private deliverBinding(session: MsrpSession, head: MsrpRequestHead, fields: MsrpFields): void {
    session.connection = this;
    this.bindingHead = head;
    this.bindingRefused = false;
    this.mode = Mode.Deliver;
    this.target = session;
    let taken = false;
    try {
      session.handler.onRequestHead(session, head, fields);
      taken = !this.bindingRefused && !this.isClosed && !session.closed && session.connection === this;
    } finally {
      this.bindingHead = undefined;
      // a refusal, a close or a throw (the caller's boundary closes us): never left pointing here
      if (!taken && session.connection === this) session.connection = undefined;
    }
    if (taken) {
      // section 7.3 could not be checked yet: the sender is kept for when the path is learnt
      session.boundFrom = session.remote === undefined ? fields.fromPath[fields.fromPath.length - 1] : undefined;
      this.bound(session);
      return;
    }
    if (this.isClosed || this.target !== session) return;
    this.mode = Mode.Discard;
    this.target = undefined;
    session.handler.onRequestEnd(session, '#', true);
  }

  /** Section 7.3 check of the sender: the last From-Path URI is the peer's own URI. */
  private fromPathMatches(session: MsrpSession, fromPath: readonly MsrpUri[]): boolean {
    const remote = session.remote;
    if (remote === undefined) return true;
    // the head cache hands out the same decoded path while the text repeats: a match holds
    // (the session replaces its remote array when its path changes, so that is compared too)
    if (fromPath === this.matchedFromPath && session === this.matchedSession && remote === this.matchedRemote) return true;
    if (!msrpUriEquals(fromPath[fromPath.length - 1], remote[remote.length - 1])) return false;
    this.matchedFromPath = fromPath;
    this.matchedSession = session;
    this.matchedRemote = remote;
    return true;
  }
}

function checkIdle(c: MsrpConnection): void {
  c.idleCheck();
}

function checkBind(c: MsrpConnection): void {
  c.bindCheck();
}
