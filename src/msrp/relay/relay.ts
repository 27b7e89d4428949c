import { randomBase64url } from '../../util/random-hex';
import type { Logger } from '../../log';
import {
  chunkReportRange,
  CRLF,
  encodeEndLine,
  encodeRequestHead,
  findPathValues,
  formatPath,
  roomInMessage,
  splicePieces,
  toStatusReason,
  type ValueSpan,
  type ByteRange,
  type FailureReport,
  type MsrpFields,
  type MsrpFlag,
  type MsrpRequestHead,
  type MsrpResponseHead,
} from '../wire';
import {
  firstUri,
  MsrpConnectError,
  MsrpNet,
  reasonOf,
  TransactionIds,
  type MsrpConnection,
  type MsrpNetOptions,
  type OutboundProducer,
  type MsrpSession,
  type MsrpSessionHandler,
  type MsrpSetup,
  type MsrpTlsClientOptions,
} from '../net';
import type { WaitOutcome } from '../../util/waiter';

export interface MsrpRelayOptions extends Partial<MsrpNetOptions> {
  /** Live pairs at most; createPair throws beyond. */
  readonly maxPairs?: number;
}

export interface MsrpRelayDeps {
  /**
   * The listener. When given, its ring and limit options apply (the relay's net options are
   * ignored); when absent the relay builds its own MsrpNet from `opts` and owns it.
   */
  readonly net?: MsrpNet;
  readonly log?: Logger;
  /** How the relay's own net checks msrps: peers it dials (MsrpNetDeps.tlsClient). */
  readonly tlsClient?: MsrpTlsClientOptions;
  /** A bound leg lost its connection: the session layer releases the session (BYE both sides). */
  readonly onLegDown?: (pairId: string, side: 'a' | 'b') => void;
}

export interface RelayPairSpec {
  /**
   * Each client's a=path (its own MSRP URI last); B's may come later (setRemotePath). setup is
   * imedge's role toward that client (RFC 6135), passive by default: 'passive' waits for the
   * client to connect and bind; 'active' is bound only by connectSide (an inbound request for
   * it is refused 481). A side offered actpass stays passive until connectSide. secure: that
   * side's local URI is msrps: on the TLS listener (its client uses MSRP over TLS); each side
   * chooses on its own, so a TLS caller may talk to a TCP callee.
   */
  readonly a: { readonly remotePath: readonly string[]; readonly setup?: MsrpSetup; readonly secure?: boolean };
  readonly b: { readonly remotePath?: readonly string[]; readonly setup?: MsrpSetup; readonly secure?: boolean };
}

/**
 * How connectSide ended: 'connected' (bound, the binding SEND answered 200); 'limit' (the MSRP
 * connection limit was reached: nothing was dialled); 'refused' (the peer refused or was
 * unreachable, or closed the connection); 'timeout' (no connection or no answer in time);
 * 'rejected' (the binding SEND got an error answer); 'released' (the pair went meanwhile).
 */
export type ConnectOutcome = 'connected' | 'limit' | 'refused' | 'timeout' | 'rejected' | 'released';

export interface RelayPairInfo {
  readonly id: string;
  /** URI imedge offers side A in its a=path (A sends To-Path: aLocal). */
  readonly aLocal: string;
  readonly bLocal: string;
}

export interface MsrpRelayCounters {
  /** Requests streamed from one leg to the other. */
  framesForwarded: number;
  /** Body bytes streamed through. */
  bodyBytesForwarded: number;
  /** Hop-by-hop 200s this relay sent (RFC 4976 section 7). */
  okSent: number;
  /** Failure REPORTs this relay generated (next hop gone, timed out or refused). */
  failureReportsSent: number;
  /** REPORTs from one client forwarded to the other (success reports come only this way). */
  reportsForwarded: number;
  /** Empty SENDs that bound a connection (RFC 4975 5.4) and were answered here. */
  bindSends: number;
  /**
   * SEND chunks refused (403) before forwarding because the next hop's transaction waiter was
   * full or already waited for that transaction id: the relay could not have reported their fate.
   */
  forwardsRefused: number;
  /**
   * SEND chunks forwarded whose next-hop answer could not be waited for after all (the waiter
   * filled up while they streamed): each got a failure REPORT 408 instead of silence.
   */
  forwardsUntracked: number;
  /**
   * Times a session's frames were held back behind another session's open frame on a shared
   * outbound connection (RFC 4975 5.4), its client paused meanwhile.
   */
  framesHeld: number;
  /** Outbound connections the relay opened and bound with a SEND answered 200 (RFC 6135 active side). */
  connectsOut: number;
  /** Frames ended with '#' (sender told 413) because they held other sessions back too long. */
  framesCut: number;
  /**
   * SEND chunks refused 413 because their message passes msrp.maxMessageSize: at the head when
   * its Byte-Range says so, else cut ('#') where the streamed bytes pass it.
   */
  oversizeRefused: number;
  /** Outbound connects that failed (limit, refused, timeout, error answer to the binding SEND). */
  connectsFailed: number;
}

/** Everything metrics read: relay counters, the net's counters, live legs/pairs, ring peaks. */
export interface MsrpRelayStats extends MsrpRelayCounters {
  readonly framesIn: number;
  readonly framesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly parseErrors: number;
  readonly errorResponsesSent: number;
  readonly pauses: number;
  readonly resumes: number;
  readonly transactionTimeouts: number;
  readonly controlDropped: number;
  /** Network handlers that threw; each closed its own connection only. */
  readonly handlerErrors: number;
  readonly bindTimeouts: number;
  /** Bindings made before B's path was known by a sender that path did not name: undone. */
  readonly strangerBindingsUndone: number;
  readonly idleTimeouts: number;
  readonly connectionsLive: number;
  readonly connectionsRejected: number;
  /** Connections without a session closed at maxConnections to make room (oldest first). */
  readonly connectionsEvicted: number;
  /** Connections closed after their frames were cut for holding others three times in a minute. */
  readonly closedForHolding: number;
  /** Inbound connections closed at once because their address held maxConnectionsPerSource. */
  readonly connectionsRejectedPerSource: number;
  readonly livePairs: number;
  /** Sessions currently bound to a connection (each has one outbound leg). */
  readonly liveLegs: number;
  /** Highest ring occupancy any leg ever reached; never above ringBytes. */
  readonly ringHighWater: number;
  readonly ringBytes: number;
}

const enum FrameMode {
  None,
  Forward,
  Bind,
  Drop,
}

/** What a failure REPORT for one forwarded SEND chunk needs (RFC 4975 7.1.2, RFC 4976 7.3). */
interface Forwarded {
  readonly side: Side;
  readonly toPath: string;
  readonly messageId: string | undefined;
  readonly byteRange: ByteRange | undefined;
  readonly bytes: number;
  readonly failureReport: FailureReport | undefined;
}

/** The 413 comment for a message above msrp.maxMessageSize, at its head or where it passes it. */
const OVERSIZE = 'message larger than this relay takes';

/** What a Side calls back into its relay (one object per relay, shared by every side). */
interface SideHooks {
  onHead(side: Side, head: MsrpRequestHead, fields: MsrpFields): void;
  /** `broken`: the frame broke off without an end-line (MsrpSessionHandler.onRequestEnd). */
  onEnd(side: Side, flag: MsrpFlag, broken: boolean): void;
  onDisconnected(side: Side, conn: MsrpConnection): void;
  onHeld(side: Side): void;
  onHoldingOthers(side: Side): void;
  /** The chunk streamed past msrp.maxMessageSize (its Byte-Range start plus the bytes so far). */
  onOversize(side: Side): void;
}

/**
 * One client of a pair: its session with the relay, and the frame it is streaming now. It is
 * the session's handler itself (methods, not per-side closures: idle pairs stay small), and
 * the producer of the frames it writes into the peer's leg.
 */
class Side implements MsrpSessionHandler, OutboundProducer {
  peer!: Side;
  session!: MsrpSession;
  /** The peer connection this side's congestion paused, to resume exactly that one. */
  pausedPeer: MsrpConnection | undefined;
  /** This side's own connection, paused while the peer's leg holds our frames back. */
  heldUpstream: MsrpConnection | undefined;
  mode = FrameMode.None;
  head: MsrpRequestHead | undefined;
  fields: MsrpFields | undefined;
  /** The connection the current frame is being written to. */
  target: MsrpConnection | undefined;
  bytes = 0;
  /** Body bytes the current chunk may carry before its message passes msrp.maxMessageSize. */
  room = 0;
  /** Message-ID of this side's last chunk cut with 413: its later chunks get 413 too (RFC 4975 10.5). */
  cutMessageId: string | undefined;
  /** The peer path outTo was encoded from: the session replaces its array when the path changes. */
  private outFor: readonly string[] | undefined;
  private outTo: Buffer | undefined;
  private outFrom: Buffer | undefined;
  readonly onCongestion = (congested: boolean): void => {
    if (congested) {
      const p = this.peer.session.connection;
      if (this.pausedPeer === undefined && p !== undefined && !p.closed) {
        this.pausedPeer = p;
        p.pauseReading();
      }
    } else if (this.pausedPeer !== undefined) {
      const p = this.pausedPeer;
      this.pausedPeer = undefined;
      p.resumeReading();
    }
  };
  constructor(
    readonly name: 'a' | 'b',
    readonly pairId: string,
    private readonly hooks: SideHooks,
  ) {}

  /**
   * The To-Path value this side's requests carry once forwarded: the peer's path (RFC 4976
   * 7.3), encoded when it is first needed or has changed, not per frame. Undefined while the
   * peer's path is not known.
   */
  outToPath(): Buffer | undefined {
    const path = this.peer.session.remotePath;
    if (path !== this.outFor) {
      this.outTo = path === undefined ? undefined : Buffer.from(formatPath(path), 'utf8');
      this.outFor = path;
    }
    return this.outTo;
  }

  /** The From-Path value of forwarded requests: our URI for the peer, encoded once. */
  outFromPath(): Buffer {
    return (this.outFrom ??= Buffer.from(formatPath([this.peer.session.localUri]), 'utf8'));
  }

  onRequestHead(_s: MsrpSession, head: MsrpRequestHead, fields: MsrpFields): void {
    this.hooks.onHead(this, head, fields);
  }

  onRequestBody(_s: MsrpSession, chunk: Buffer): void {
    if (this.mode !== FrameMode.Forward) return;
    if (this.bytes + chunk.length > this.room) {
      this.hooks.onOversize(this);
      return;
    }
    this.bytes += chunk.length;
    (this.target as MsrpConnection).out.body(chunk, this);
  }

  /**
   * The peer's connection is shared with other sessions (RFC 4975 5.4) and another one's frame
   * is open on it: our frame waits there whole, so stop reading our client until it went out
   * (at most the rest of one socket read is held).
   */
  onHeld(held: boolean): void {
    if (held) {
      const up = this.session.connection;
      if (this.heldUpstream === undefined && up !== undefined && !up.closed) {
        this.heldUpstream = up;
        up.pauseReading();
        this.hooks.onHeld(this);
      }
    } else if (this.heldUpstream !== undefined) {
      const up = this.heldUpstream;
      this.heldUpstream = undefined;
      up.resumeReading();
    }
  }

  onRequestEnd(_s: MsrpSession, flag: MsrpFlag, broken: boolean): void {
    this.hooks.onEnd(this, flag, broken);
  }

  /** Our frame kept other sessions' frames waiting on the peer's shared leg too long. */
  onHoldingOthers(): void {
    this.hooks.onHoldingOthers(this);
  }

  /** Resolved once this side binds a connection (the session layer waits on it). */
  boundWaiters: ((bound: boolean) => void)[] | undefined;

  onBound(_s: MsrpSession, conn: MsrpConnection): void {
    conn.congestionListeners.add(this.onCongestion);
    const waiters = this.boundWaiters;
    this.boundWaiters = undefined;
    if (waiters) for (const w of waiters) w(true);
  }

  /** A stranger's binding undone (MsrpSession.setRemotePath, dropInboundBinding): quietly, no leg down. */
  onUnbound(_s: MsrpSession, conn: MsrpConnection): void {
    conn.congestionListeners.delete(this.onCongestion);
  }

  onDisconnected(_s: MsrpSession, conn: MsrpConnection): void {
    conn.congestionListeners.delete(this.onCongestion);
    this.hooks.onDisconnected(this, conn);
  }
}

interface Pair {
  readonly id: string;
  readonly a: Side;
  readonly b: Side;
}

/**
 * Back-to-back MSRP legs for 1-1 sessions (DESIGN "The ring-buffer MSRP relay").
 *
 * Each side's connection direction follows RFC 6135 (the session layer decides it with
 * src/sdp/connection-role.ts): a passive side waits for its client to connect and bind by
 * sending to its local URI; an active side is dialled by connectSide, which binds it with an
 * empty SEND (RFC 4975 5.4). Once bound, both kinds are the same to the forwarding path.
 *
 * A request from one side is streamed to the other: its head spliced (only
 * To-Path/From-Path rewritten), its body copied into the other connection's ring as it
 * arrives; the relay never holds a message. Back-pressure: a leg over its high watermark
 * pauses the socket that feeds it, and resumes it under the low one.
 *
 * Responses are hop by hop, as RFC 4976 relays do: the relay answers 200 to a SEND chunk once
 * it has received it whole and handed it to the next leg; the next hop's response ends there.
 * When the next hop fails (connection gone, no answer within transactionTimeoutMs, or an error
 * response), the sender gets a failure REPORT with that status (408 for a timeout, 481 when the
 * receiver is gone) unless it asked Failure-Report: no. A SEND for a peer that is not connected
 * is answered 481 directly. The relay never generates success REPORTs: the receiver's REPORT
 * is forwarded like any request, so a success report means the receiver confirmed.
 */
export class MsrpRelay {
  readonly net: MsrpNet;
  private readonly ownsNet: boolean;
  private readonly pairs = new Map<string, Pair>();
  private readonly maxPairs: number;
  private readonly counts: MsrpRelayCounters = {
    framesForwarded: 0,
    bodyBytesForwarded: 0,
    okSent: 0,
    failureReportsSent: 0,
    reportsForwarded: 0,
    bindSends: 0,
    forwardsRefused: 0,
    forwardsUntracked: 0,
    framesHeld: 0,
    connectsOut: 0,
    connectsFailed: 0,
    framesCut: 0,
    oversizeRefused: 0,
  };
  private ringPeak = 0;
  private readonly tids = new TransactionIds();
  private readonly hooks: SideHooks = {
    onHead: (side, head, fields) => this.onHead(side, head, fields),
    onEnd: (side, flag, broken) => this.onEnd(side, flag, broken),
    onDisconnected: (side, conn) => this.onLegGone(side, conn),
    onHeld: () => void this.counts.framesHeld++,
    onHoldingOthers: (side) => this.cutFrame(side, 'frame held other sessions back too long', true),
    onOversize: (side) => this.cutFrame(side, OVERSIZE, false),
  };
  /** Settable after construction: the session layer is built after the relay. */
  onLegDown: MsrpRelayDeps['onLegDown'];

  constructor(opts: MsrpRelayOptions = {}, deps: MsrpRelayDeps = {}) {
    this.onLegDown = deps.onLegDown;
    const { maxPairs, ...netOpts } = opts;
    this.maxPairs = maxPairs ?? 1024;
    this.ownsNet = deps.net === undefined;
    this.net = deps.net ?? new MsrpNet(netOpts, { log: deps.log, ...(deps.tlsClient !== undefined ? { tlsClient: deps.tlsClient } : {}) });
  }

  /** Starts the listener when the relay owns its net (port 0: pick a free one). */
  listen(host?: string, port?: number): ReturnType<MsrpNet['listen']> {
    return this.net.listen(host, port);
  }

  createPair(spec: RelayPairSpec): RelayPairInfo {
    if (this.pairs.size >= this.maxPairs) throw new RangeError(`MSRP relay pair limit (${this.maxPairs}) reached`);
    const id = randomBase64url(9);
    const a = new Side('a', id, this.hooks);
    const b = new Side('b', id, this.hooks);
    a.peer = b;
    b.peer = a;
    a.session = this.net.openSession({ localUri: this.net.localUri(undefined, undefined, spec.a.secure), remotePath: spec.a.remotePath, setup: spec.a.setup ?? 'passive', handler: a });
    try {
      b.session = this.net.openSession({ localUri: this.net.localUri(undefined, undefined, spec.b.secure), remotePath: spec.b.remotePath, setup: spec.b.setup ?? 'passive', handler: b });
    } catch (err) {
      this.net.closeSession(a.session);
      throw err;
    }
    this.pairs.set(id, { id, a, b });
    return { id, aLocal: a.session.localUri, bLocal: b.session.localUri };
  }

  /** The peer's a=path learnt from the SDP answer (B2BUA: B answers after we offered bLocal). */
  setRemotePath(id: string, side: 'a' | 'b', path: readonly string[]): boolean {
    const p = this.pairs.get(id);
    if (p === undefined) return false;
    p[side].session.setRemotePath(path);
    return true;
  }

  /**
   * Resolves true once the side has bound a connection, false after timeoutMs or when the
   * pair is released. A B2BUA answers the caller only when the callee's leg is up, so the
   * caller's first SEND never meets an unconnected peer (481).
   */
  waitBound(id: string, side: 'a' | 'b', timeoutMs: number): Promise<boolean> {
    const p = this.pairs.get(id);
    if (p === undefined) return Promise.resolve(false);
    const s = p[side];
    if (s.session.connection !== undefined) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => done(false), timeoutMs);
      const done = (bound: boolean) => {
        clearTimeout(t);
        const list = s.boundWaiters;
        if (list) {
          const i = list.indexOf(done);
          if (i >= 0) list.splice(i, 1);
        }
        resolve(bound);
      };
      (s.boundWaiters ??= []).push(done);
    });
  }

  /**
   * RFC 6135 active side (RFC 4975 5.4 for a peer without a=setup): dials the first URI of the
   * side's remote path, binds the side's session to that connection and sends the binding
   * SEND (empty: no body); resolves 'connected' once it is answered 200. The dial counts in
   * the net's maxConnections: at the limit it resolves 'limit' at once, dialling nothing.
   * timeoutMs bounds the whole (connect and answer). On a failure the connection is closed
   * without reporting the leg down (the caller decides what becomes of the session), except
   * when the peer itself closes it during the binding: that is a leg going down like any other.
   */
  async connectSide(id: string, side: 'a' | 'b', timeoutMs: number): Promise<ConnectOutcome> {
    const p = this.pairs.get(id);
    if (p === undefined) return 'released';
    const s = p[side];
    const session = s.session;
    const path = session.remotePath;
    session.dropInboundBinding();
    if (session.connection !== undefined) return 'connected';
    if (path === undefined || path.length === 0) throw new RangeError(`MSRP pair ${id} side ${side}: no remote path to connect to`);
    // from now on only the connection we dial binds this side, never an inbound request
    session.setup = 'active';
    const deadline = Date.now() + timeoutMs;
    let conn: MsrpConnection;
    try {
      conn = await this.net.dialUri(path[0], { timeoutMs });
    } catch (err) {
      this.counts.connectsFailed++;
      return err instanceof MsrpConnectError ? err.kind : 'refused';
    }
    if (this.pairs.get(id) !== p || session.closed) {
      conn.close();
      return 'released';
    }
    if (!this.net.attach(session, conn)) {
      conn.close();
      this.counts.connectsFailed++;
      return 'rejected';
    }
    const outcome = await this.bindSend(conn, session, path, Math.max(1, deadline - Date.now()));
    if (outcome === 'connected') {
      this.counts.connectsOut++;
      return outcome;
    }
    this.counts.connectsFailed++;
    // re-read after the awaits (TypeScript still holds the narrowing from before them)
    if ((session.connection as MsrpConnection | undefined) === conn) {
      // detach first: this failure is the caller's to handle, not a leg that went down
      conn.congestionListeners.delete(s.onCongestion);
      conn.unbind(session);
    }
    conn.close();
    return this.pairs.get(id) === p ? outcome : 'released';
  }

  /** RFC 4975 5.4: the empty SEND that binds a dialled connection, and its answer. */
  private bindSend(conn: MsrpConnection, session: MsrpSession, toPath: readonly string[], timeoutMs: number): Promise<ConnectOutcome> {
    const tid = this.tids.next();
    const frame = Buffer.concat([
      encodeRequestHead({ transactionId: tid, method: 'SEND', toPath, fromPath: [session.localUri], messageId: tid }),
      encodeEndLine(tid, '$', false),
    ]);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (o: ConnectOutcome): void => {
        clearTimeout(timer);
        resolve(o);
      };
      const waiting = conn.transactions.wait(tid, (outcome, res) => {
        if (outcome === 'answer') done(res !== undefined && res.status === 200 ? 'connected' : 'rejected');
        else done(outcome === 'timeout' ? 'timeout' : 'refused');
      });
      if (!waiting || !conn.sendControl(frame)) {
        done('refused');
        return;
      }
      timer = setTimeout(() => done('timeout'), timeoutMs);
    });
  }

  /** True once both clients have bound a connection. */
  isConnected(id: string): boolean {
    const p = this.pairs.get(id);
    return p !== undefined && p.a.session.connection !== undefined && p.b.session.connection !== undefined;
  }

  releasePair(id: string): boolean {
    const p = this.pairs.get(id);
    if (p === undefined) return false;
    this.pairs.delete(id);
    for (const s of [p.a, p.b]) {
      const waiters = s.boundWaiters;
      s.boundWaiters = undefined;
      if (waiters) for (const w of waiters) w(false);
      this.noteRing(s.session.connection);
      s.onCongestion(false);
      s.onHeld(false);
      this.net.closeSession(s.session);
    }
    return true;
  }

  get counters(): MsrpRelayStats {
    const n = this.net.counters;
    let legs = 0;
    let peak = this.ringPeak;
    for (const p of this.pairs.values()) {
      for (const s of [p.a, p.b]) {
        const c = s.session.connection;
        if (c === undefined) continue;
        legs++;
        peak = Math.max(peak, c.out.ring.highWater);
      }
    }
    return {
      ...this.counts,
      framesIn: n.framesIn,
      framesOut: n.framesOut,
      bytesIn: n.bytesIn,
      bytesOut: n.bytesOut,
      parseErrors: n.parseErrors,
      errorResponsesSent: n.errorResponsesSent,
      pauses: n.pauses,
      resumes: n.resumes,
      transactionTimeouts: n.transactionTimeouts,
      controlDropped: n.controlDropped,
      handlerErrors: n.handlerErrors,
      bindTimeouts: n.bindTimeouts,
      strangerBindingsUndone: n.strangerBindingsUndone,
      idleTimeouts: n.idleTimeouts,
      connectionsLive: n.connectionsLive,
      connectionsRejected: n.connectionsRejected,
      connectionsEvicted: n.connectionsEvicted,
      closedForHolding: n.closedForHolding,
      connectionsRejectedPerSource: n.connectionsRejectedPerSource,
      livePairs: this.pairs.size,
      liveLegs: legs,
      ringHighWater: peak,
      ringBytes: this.net.options.ringBytes,
    };
  }

  async close(): Promise<void> {
    for (const id of [...this.pairs.keys()]) this.releasePair(id);
    if (this.ownsNet) await this.net.close();
  }

  private noteRing(c: MsrpConnection | undefined): void {
    if (c !== undefined) this.ringPeak = Math.max(this.ringPeak, c.out.ring.highWater);
  }

  /** The relay's side of a leg going down: note its ring peak and tell the session layer. */
  private onLegGone(side: Side, conn: MsrpConnection): void {
    this.noteRing(conn);
    if (this.pairs.has(side.pairId)) this.onLegDown?.(side.pairId, side.name);
  }

  private onHead(side: Side, head: MsrpRequestHead, fields: MsrpFields): void {
    side.head = head;
    side.fields = fields;
    side.bytes = 0;
    const conn = side.session.connection as MsrpConnection;
    if (head.method === 'SEND' && !head.hasBody) {
      // RFC 4975 5.4 / RFC 6135: an empty SEND binds the connection; it ends here
      side.mode = FrameMode.Bind;
      return;
    }
    const target = side.peer.session.connection;
    if (target === undefined || target.closed) {
      side.mode = FrameMode.Drop;
      conn.reject(head, 481, 'peer not connected');
      return;
    }
    if (side.cutMessageId !== undefined && fields.messageId === side.cutMessageId && head.method === 'SEND') {
      // RFC 4975 10.5: after 413 the sender stops sending that message; its receiver saw it end with '#'
      side.mode = FrameMode.Drop;
      conn.reject(head, 413, 'message was cut');
      return;
    }
    // msrp.maxMessageSize bounds a message through the relay too (RFC 4975 7.1 / 10.4: 413)
    side.room = head.method === 'SEND' ? roomInMessage(fields.byteRange, this.net.options.maxMessageSize) : Number.MAX_SAFE_INTEGER;
    if (side.room < 0) {
      side.mode = FrameMode.Drop;
      side.cutMessageId = fields.messageId;
      this.counts.oversizeRefused++;
      conn.reject(head, 413, OVERSIZE);
      return;
    }
    if (head.method === 'SEND' && fields.failureReport !== 'no' && !this.canTrack(target, head.transactionId)) {
      // a failure at the next hop could not be reported (RFC 4975 7.1.2): say so now instead
      side.mode = FrameMode.Drop;
      this.counts.forwardsRefused++;
      conn.reject(head, 403, 'too many pending transactions at the next hop');
      return;
    }
    // RFC 4976 7.3 / STYLE habit 4: only the path headers change, every other byte is kept
    const outTo = side.outToPath();
    const spans = findPathValues(head.raw, outTo !== undefined, true);
    if ((outTo !== undefined && spans.toPath === undefined) || spans.fromPath === undefined) {
      side.mode = FrameMode.Drop;
      conn.reject(head, 400, 'path headers not found');
      return;
    }
    side.mode = FrameMode.Forward;
    side.target = target;
    const edits: [ValueSpan, Buffer][] = [[spans.fromPath, side.outFromPath()]];
    // no peer path known yet (set later by setRemotePath): To-Path goes on as received
    if (outTo !== undefined && spans.toPath !== undefined) edits.push([spans.toPath, outTo]);
    target.out.beginFrame(splicePieces(head.raw, edits), side);
    if (head.hasBody) target.out.body(CRLF, side);
  }

  private onEnd(side: Side, flag: MsrpFlag, broken: boolean): void {
    const mode = side.mode;
    const head = side.head as MsrpRequestHead;
    const fields = side.fields as MsrpFields;
    const conn = side.session.connection;
    side.mode = FrameMode.None;
    side.head = undefined;
    side.fields = undefined;
    if (mode === FrameMode.Bind) {
      if (broken) return; // no end-line read: nothing complete to answer
      this.counts.bindSends++;
      if (conn !== undefined) this.answer(conn, head, fields, 200);
      return;
    }
    if (mode !== FrameMode.Forward) return;
    const target = side.target as MsrpConnection;
    side.target = undefined;
    if (target.closed) {
      // the receiver went away while the chunk streamed: it is lost (RFC 4976 7.3)
      if (conn !== undefined && head.method === 'SEND' && !broken) conn.reject(head, 481, 'peer connection lost');
      return;
    }
    target.out.endFrame(encodeEndLine(head.transactionId, flag, head.hasBody), side);
    this.net.counters.framesOut++;
    this.counts.framesForwarded++;
    this.counts.bodyBytesForwarded += side.bytes;
    if (head.method !== 'SEND') {
      this.counts.reportsForwarded++;
      return; // section 7.1.2: REPORTs get no response, nothing to track
    }
    // the frame broke off (parse error answered by the connection, or the sender gone): no answer
    if (broken) return;
    // RFC 4975 7.1 / 7.2 (RFC 4976 7.3): a chunk its sender aborted with '#' is still a SEND transaction and gets its response
    let untracked: Forwarded | undefined;
    if (fields.failureReport !== 'no') {
      const fwd: Forwarded = {
        side,
        toPath: head.headers[1].value,
        messageId: fields.messageId,
        byteRange: fields.byteRange,
        bytes: side.bytes,
        failureReport: fields.failureReport,
      };
      if (!target.transactions.wait(head.transactionId, (outcome, res) => this.onNextHop(fwd, target, outcome, res))) {
        // the waiter filled up (or took this id) while the chunk streamed: its fate is unknown
        this.counts.forwardsUntracked++;
        untracked = fwd;
      }
    }
    if (conn !== undefined) this.answer(conn, head, fields, 200);
    if (untracked !== undefined) this.sendFailureReport(untracked, 408, 'relay cannot track the next hop');
  }

  /**
   * The side's frame is cut where it is: it held other sessions' frames back on a shared leg
   * too long (RFC 4975 5.4: one frame at a time per connection; `holding`, a strike against its
   * connection), or its message passed msrp.maxMessageSize. Its copy ends there with '#' (RFC
   * 4975 7.1, the chunk is aborted), its sender gets 413 (section 10.5: stop sending this
   * message) and the rest of its bytes are dropped, so the frames it held go out.
   */
  private cutFrame(side: Side, reason: string, holding: boolean): void {
    if (side.mode !== FrameMode.Forward) return;
    const head = side.head as MsrpRequestHead;
    const target = side.target as MsrpConnection;
    side.mode = FrameMode.Drop;
    side.target = undefined;
    if (holding) this.counts.framesCut++;
    else this.counts.oversizeRefused++;
    if (!target.closed) target.out.endFrame(encodeEndLine(head.transactionId, '#', head.hasBody), side);
    side.cutMessageId = side.fields?.messageId;
    const conn = side.session.connection;
    if (conn !== undefined && !conn.closed) {
      conn.reject(head, 413, reason);
      if (holding) conn.holdCut();
    }
  }

  /** True when the next hop's waiter can take this transaction (not full, id not in use). */
  private canTrack(target: MsrpConnection, transactionId: string): boolean {
    const w = target.transactions;
    return w.size < w.capacity && !w.has(transactionId);
  }

  /** Hop-by-hop answer to the sender (RFC 4975 7.2: none for Failure-Report no, only errors for partial). */
  private answer(conn: MsrpConnection, head: MsrpRequestHead, fields: MsrpFields, status: number): void {
    const fr = fields.failureReport;
    if (fr === 'no' || (fr === 'partial' && status === 200)) return;
    if (conn.sendControl(conn.responseTo(head, head.headers[0].value, head.headers[1].value, status)) && status === 200) {
      this.counts.okSent++;
    }
  }

  /**
   * Next hop answered, timed out or vanished: a failure becomes a REPORT to the sender. Runs
   * from the next hop's data, close and timer paths: a throw here closes that connection only.
   */
  private onNextHop(fwd: Forwarded, hop: MsrpConnection, outcome: WaitOutcome, res: MsrpResponseHead | undefined): void {
    try {
      if (outcome === 'answer' && res !== undefined && res.status === 200) return;
      if (outcome === 'timeout') this.net.counters.transactionTimeouts++;
      const status = outcome === 'answer' && res !== undefined ? res.status : outcome === 'timeout' ? 408 : 481;
      // the next hop's comment is peer text: passed on when it is a valid text-reason
      this.sendFailureReport(fwd, status, toStatusReason(res?.comment) ?? reasonOf(status));
    } catch (err) {
      hop.fail(err, 'next-hop answer');
    }
  }

  /**
   * Failure REPORT to the sender of a forwarded chunk (RFC 4975 7.1.2, RFC 4976 7.3). Every
   * value taken from the peers was parsed on the way in and is passed on in a form that
   * encodes (chunkReportRange, toStatusReason): building it does not throw on peer input.
   */
  private sendFailureReport(fwd: Forwarded, status: number, reason: string): void {
    const conn = fwd.side.session.connection;
    if (conn === undefined || conn.closed || fwd.messageId === undefined) return;
    // RFC 4975 7.1.2: the REPORT covers the bytes of the failed chunk
    const byteRange: ByteRange = chunkReportRange(fwd.byteRange, fwd.bytes);
    const tid = this.tids.next();
    const report = Buffer.concat([
      encodeRequestHead({
        transactionId: tid,
        method: 'REPORT',
        toPath: [firstUri(fwd.toPath)],
        fromPath: [fwd.side.session.localUri],
        messageId: fwd.messageId,
        byteRange,
        status: { namespace: 0, code: status, reason },
      }),
      encodeEndLine(tid, '$', false),
    ]);
    if (conn.sendControl(report)) this.counts.failureReportsSent++;
  }
}
