// The SIP front: the only module that touches the `sip` package. Everything above it sees
// typed messages with Buffer bodies (see convert.ts) and answers through IncomingRequest.
import './without-ws'; // before 'sip': see there
import * as sip from 'sip';
import { randomHex } from '../../util/random-hex';
import { lookup } from 'node:dns/promises';
import * as net from 'node:net';
import type * as tls from 'node:tls';
import type { Logger } from '../../log';
import { ThrottledLog } from '../../log/throttled';
import type { Flow, NameAddr, SipHeaders, SipRequest, SipResponse } from '../message/types';
import { validateSipMessage } from '../message/validate';
import { answerableCSeq, faithful } from './faithful';
import { fromRaw, toRaw } from './convert';
import { bindSipListeners, StreamHub } from './listeners';
import { watchStreamKeepalives } from './keepalive-watch';
import { fillRport } from './rport';
import type { OutputBoundOptions } from './output-bound';
import { registeredForS } from './register-pin';
import { TcpConnectionGate, type TcpConnectionStats, type TcpSlot } from './tcp-gate';
import { canonicalSource, datagramKind, SourceRateLimiter, type RateLimitOptions, type RateLimitStats } from './rate-limit';
import { KeyedShare } from './share';
import { mergeKey, MergedRequests } from './merged';
import { SelfTargets } from './self-target';
import type * as dgram from 'node:dgram';
import { dialSipTls, listenSipTls, TlsFlows, type SipTlsOptions, type SipTlsStats } from './tls-transport';
import { bareHost, parseSipUri } from './uri';
import { DEFAULT_SIP_TIMERS } from './ack-wait';
import { AckMemory, type RepeatVerdict } from './ack-repeat';
import { dialogAsUac, inDialogRequest } from '../message/dialog';
import { detached } from '../../util/detach';

export interface SipStackOptions {
  bind: string;
  /** 0 picks one free port for both UDP and TCP. */
  port: number;
  udp: boolean;
  tcp: boolean;
  /** Largest head (start line + headers) on either transport; beyond it 513 when a Via can be read. */
  maxBytesHeaders: number;
  maxContentLength: number;
  /**
   * Open SIP TCP connections, accepted and dialed together. At the cap a new one takes the slot
   * of a quiet inbound connection (tcpQuietMs); with none, an accepted one is closed at once and
   * a dial fails (503 for that target). Default DEFAULT_MAX_TCP_CONNECTIONS.
   */
  maxTcpConnections?: number;
  /**
   * An inbound TCP connection with no transaction under way that carried no SIP message for
   * this long (or never one) may be closed at the cap to make room. Default DEFAULT_TCP_QUIET_MS.
   */
  tcpQuietMs?: number;
  /**
   * Slowloris bound: an accepted TCP/TLS connection must complete its first SIP message within
   * this after it opened (TLS: after the handshake), and each message within this after its
   * first byte; else it is closed (counted in stats.slowClosed). Absent: no bound.
   */
  tcpMessageTimeoutMs?: number;
  /** TLS connections one address may hold in their handshake at once (default: maxTcpConnectionsPerSource). */
  maxTlsHandshakesPerSource?: number;
  /** The bound on answers queued for a TCP/TLS peer that does not read (output-bound.ts); absent: none. */
  tcpOutput?: OutputBoundOptions;
  /** Inbound TCP (and TLS) connections one remote address may hold (default: maxTcpConnections, no separate cap). */
  maxTcpConnectionsPerSource?: number;
  /**
   * Live server transactions (no final response yet); beyond it new requests get 503
   * (ECOSYSTEM fault 8). Completed ones do not count (issue 16 item 4).
   */
  maxTransactions: number;
  /** Completed server transactions kept for retransmissions; the oldest is dropped beyond. Default maxTransactions. */
  maxCompletedTransactions?: number;
  /**
   * Live server transactions one source address may hold; beyond it that source gets 503 while
   * others are still served. Default a quarter of maxTransactions.
   */
  maxTransactionsPerSource?: number;
  /**
   * Attack finding (F4): requests sent (forwarded or originated) toward one address and port that may
   * wait for their final answer at once; one more is not sent but answered at once with a 503
   * + Retry-After made here (a proxy relays it as 480, forking.ts branchAnswer), so a contact
   * that never answers cannot hold the whole table for Timer F. Default an eighth of maxTransactions.
   */
  maxTransactionsPerTarget?: number;
  /**
   * Attack finding (F4): requests the core answers itself at once, never forwarded, told from
   * the method and Request-URI alone (router.ts answeredLocally). They may take one of
   * localReserve slots beyond maxTransactions when forwarded requests fill it. Absent: none.
   */
  answeredLocally?: (method: string, uri: string) => boolean;
  /** The slots only answeredLocally requests may take beyond maxTransactions. Default an eighth of it, at least 8. */
  localReserve?: number;
  overloadRetryAfterS: number;
  /**
   * Requests per second per source address (rate-limit.ts); absent or perSecond 0 = no limit.
   * Over it: 503 + Retry-After on TCP/TLS, one 503 per second then silence on UDP.
   */
  rateLimit?: RateLimitOptions;
  /** SO_RCVBUF of the UDP socket, bytes (default: the kernel's). */
  udpReceiveBufferBytes?: number;
  /** RFC 3261 T1: an INVITE we cancelled is given up 64*T1 after its CANCEL (9.1). Default 500 ms. */
  t1Ms?: number;
  /** Host written in Via; defaults to the bind address. */
  publicAddress?: string;
  /** SIP over TLS on its own port (tls-transport.ts); absent = no TLS. */
  tls?: SipTlsOptions;
  logger: Logger;
}

export interface ReplyExtra {
  headers?: SipHeaders;
  body?: Buffer;
  /** The To header to answer with (a relayed answer keeps the callee's tag). */
  to?: NameAddr;
}

export interface SipStats {
  requestsIn: Record<string, number>;
  responsesOut: Record<string, number>;
  requestsOut: Record<string, number>;
  /** Messages that could not be parsed or lacked mandatory headers. */
  invalid: number;
  /** 400/413/505/... answers to malformed requests. */
  rejected: number;
  /** Malformed messages that could not be answered (no Via, responses). */
  dropped: number;
  overload: number;
  /** Requests framed from a connection closed since (a peer that stopped reading): dropped, no transaction opened. */
  orphaned: number;
  /** Requests refused with 503 because their source held its share of live transactions. */
  overloadPerSource: number;
  /** Requests not sent (a 503 made here, which a proxy relays as 480) because their target held its share of pending ones (F4). */
  overloadPerTarget: number;
  /** Requests not sent because they were addressed to one of our own listeners (482, F2). */
  loopsRefused: number;
  /** INVITEs refused 482 as merged copies of one still pending here (RFC 3261 8.2.2.2). */
  mergedRefused: number;
  /** Requests answered here that took a reserved slot beyond maxTransactions: the table was full (F4). */
  localReserve: number;
  /** Completed transactions dropped (oldest first) to stay within their bound. */
  completedEvicted: number;
  /** INVITEs we cancelled that got no final response within 64*T1 of the CANCEL: ended with 408 (RFC 3261 9.1). */
  cancelledInvitesAbandoned: number;
  /** ACKs sent again for a retransmitted 2xx (RFC 3261 13.2.2.4). */
  acksRepeated: number;
  /** ACKs forgotten before 64*T1 because as many as the bound were kept: a copy of their 2xx goes unACKed. */
  acksForgotten: number;
  /** Copies of a 2xx past MAX_REPEATS_PER_ACK for one ACK, or second dialogs past MAX_UNWANTED_DIALOGS: not ACKed. */
  acksWithheld: number;
  /** Second dialogs of an answered INVITE (another To tag, a fork downstream): ACKed and ended with BYE (13.2.2.4). */
  unwantedDialogsEnded: number;
  handlerErrors: number;
  /** Inbound TCP/TLS connections closed by tcpMessageTimeoutMs (slowloris). */
  slowClosed: { 'no-message': number; 'partial-message': number };
  /** Keep-alives by transport: CRLF pings (RFC 5626 4.4.1; TLS ones count as TCP), STUN on UDP (4.4.2); never counted as malformed. */
  keepalives: { UDP: number; TCP: number };
  /** SIP over TLS: handshakes, refused connections (plain TCP, bad hello, timeout) and refused peer certificates. */
  tls: SipTlsStats;
}

/** Requests refused for their source's rate (sip.maxRequestsPerSecondPerSource). */
export type SipRateLimitStats = RateLimitStats;

/** Live, completed (final response kept for retransmissions) and client transactions. */
export interface TransactionCounts {
  /** Every server transaction, live or completed. */
  server: number;
  client: number;
  serverLive: number;
  serverCompleted: number;
}

export type RequestHandler = (req: IncomingRequest) => void | Promise<void>;

export const DEFAULT_MAX_TCP_CONNECTIONS = 1024;

/** RFC 3261 17.2.1: the longest an INVITE waits for its first response before the stack sends 100. */
export const TRYING_WITHIN_MS = 200;

const RATE_REASON = 'Service Unavailable (request rate of this source)';

const SIP_REASONS: Record<number, string> = {
  100: 'Trying', 180: 'Ringing', 183: 'Session Progress', 200: 'OK', 202: 'Accepted',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  407: 'Proxy Authentication Required', 408: 'Request Timeout', 413: 'Request Entity Too Large',
  415: 'Unsupported Media Type', 416: 'Unsupported URI Scheme', 420: 'Bad Extension', 423: 'Interval Too Brief',
  480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist', 482: 'Loop Detected', 483: 'Too Many Hops',
  486: 'Busy Here', 487: 'Request Terminated', 488: 'Not Acceptable Here', 489: 'Bad Event', 491: 'Request Pending',
  500: 'Server Internal Error', 501: 'Not Implemented', 503: 'Service Unavailable', 504: 'Server Time-out',
  505: 'Version Not Supported', 513: 'Message Too Large', 600: 'Busy Everywhere', 603: 'Decline',
};

export function reasonFor(status: number): string {
  return SIP_REASONS[status] ?? (status < 300 ? 'OK' : 'Error');
}

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

// Methods of RFC 3261 and its registered extensions; anything else from the wire counts as
// 'other', so no metric label or map key is chosen by a peer.
const KNOWN_METHODS = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'MESSAGE', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'UPDATE', 'INFO', 'PRACK', 'PUBLISH']);

/** The counter key for a method: itself when known, else 'other'. */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'other';
}

/** The counter key for a status: itself when it is one we name, else its class ('4xx'). */
function statusLabel(status: number): string {
  if (SIP_REASONS[status] !== undefined) return String(status);
  return Number.isInteger(status) && status >= 100 && status <= 699 ? `${Math.floor(status / 100)}xx` : 'other';
}

/**
 * The library's bare answer to a malformed request, made what any answer here is (attack
 * finding: it had neither): a To tag (RFC 3261 8.2.6.2) and the top Via's empty rport filled
 * with the source port (RFC 3581 4). Copies: the request's headers are not changed.
 */
function answerToInvalid(rs: sip.RawMessage, sourcePort: number): sip.RawMessage {
  const to = rs.headers.to as sip.RawNameAddr | undefined;
  if (to && to.params && to.params.tag === undefined) rs.headers.to = { ...to, params: { ...to.params, tag: newTag() } };
  const via = rs.headers.via as sip.RawVia[] | undefined;
  const top = via?.[0];
  if (via && top && top.params && Object.prototype.hasOwnProperty.call(top.params, 'rport') && (top.params.rport === null || top.params.rport === undefined || top.params.rport === '')) {
    rs.headers.via = [{ ...top, params: { ...top.params, rport: String(sourcePort) } }, ...via.slice(1)];
  }
  return rs;
}

export function newTag(): string {
  return randomHex(6);
}

/** A request received by the stack; exactly one final answer goes back through reply(). */
export class IncomingRequest {
  private finalSent = false;
  private toTag: string | undefined;
  private lastFinal: SipResponse | undefined;

  constructor(
    readonly msg: SipRequest,
    readonly flow: Flow,
    private readonly send: (rs: SipResponse) => void,
  ) {}

  get replied(): boolean {
    return this.finalSent;
  }

  /** RFC 3261 8.2.6: copy Via, From, Call-ID, CSeq; add a To tag to every answer above 100. */
  reply(status: number, reason?: string, extra: ReplyExtra = {}): void {
    if (this.finalSent || this.msg.method === 'ACK') return;
    if (status >= 200) this.finalSent = true;
    const h = this.msg.headers;
    const base = extra.to ?? h.to;
    const to = base ? { ...base, params: { ...base.params } } : undefined;
    if (to && status > 100 && !to.params.tag) {
      this.toTag ??= newTag();
      to.params.tag = this.toTag;
    }
    const headers: SipHeaders = { via: h.via, to, from: h.from, 'call-id': h['call-id'], cseq: h.cseq, ...extra.headers };
    const rs: SipResponse = { status, reason: reason ?? reasonFor(status), headers, body: extra.body ?? Buffer.alloc(0) };
    if (status >= 200) this.lastFinal = rs;
    this.send(rs);
  }

  /**
   * Sends the final response again. RFC 3261 13.3.1.4 / RFC 6026: over UDP the UAS core
   * retransmits its 2xx to an INVITE until the ACK arrives; the transaction does not.
   */
  resendFinal(): void {
    if (this.lastFinal) this.send(this.lastFinal);
  }

  /** The To tag this request's answers carry (created on first use). */
  localTag(): string {
    this.toTag ??= (this.msg.headers.to?.params.tag as string | undefined) ?? newTag();
    return this.toTag;
  }
}

export interface SendOptions {
  /**
   * Every response, provisional and final, up to the final one. A retransmitted 2xx to an
   * INVITE is ACKed again by the stack itself (sendAck remembers the ACK), not passed here.
   */
  onResponse?: (rs: SipResponse) => void;
  /** Flows to try in order instead of resolving the Request-URI (503 from one tries the next). */
  targets?: Flow[];
  /** Internal: the library's message object, whose top Via carries the branch (for CANCEL), and the flows it goes to. */
  onRaw?: (raw: sip.RawMessage, targets: sip.RawFlow[] | undefined) => void;
}

/** Most TLS target hints kept (tls-transport.ts TlsFlows): one per distinct sips: hop or TLS Contact. */
const MAX_TLS_TARGETS = 4096;

/** Where a request goes when it must travel over TLS, or undefined (then the library resolves it). */
interface TlsHop {
  host: string;
  port: number;
}

/**
 * RFC 3261 26.2.2 / 19.1.4 (RFC 5630): the first hop (top Route, else the Request-URI) is
 * sips:, or names transport=tls: the request goes over TLS, to port 5061 unless one is named.
 */
export function tlsHopOf(rq: SipRequest): TlsHop | undefined {
  const route = rq.headers.route?.[0]?.uri;
  const u = parseSipUri(route ?? rq.uri);
  if (!u) return undefined;
  const transport = typeof u.params.transport === 'string' ? u.params.transport.toLowerCase() : '';
  if (u.scheme !== 'sips' && transport !== 'tls') return undefined;
  return { host: bareHost(u.host), port: u.port ?? 5061 };
}

export class SipStack {
  readonly stats: SipStats;
  private closed = false;
  private pendingIn = 0;
  private pendingOut = 0;
  /** Source address -> requests from it not yet answered finally (issue 16 item 4). */
  private readonly bySource: KeyedShare;
  /** INVITEs pending an answer, by RFC 3261 8.2.2.2 identity: a merged copy is refused 482. */
  private readonly merged: MergedRequests;
  /** Target address -> requests sent toward it not yet answered finally (attack finding F4). */
  private readonly byTarget: KeyedShare;
  /** This server's own listeners (built on first use: the ports are known once bound). */
  private selfTargets: SelfTargets | undefined;
  /** The ACKs sent for 2xx responses, for 64*T1: a retransmitted 2xx gets the same ACK again. */
  private readonly acks: AckMemory<SipRequest>;

  private constructor(
    private readonly instance: sip.SipInstance,
    readonly port: number,
    readonly transports: { udp: boolean; tcp: boolean; tls: boolean },
    readonly host: string,
    private readonly log: Logger,
    shares: { perSource: number; perTarget: number },
    private readonly retryAfterS: number,
    private readonly maxHeadBytes: number,
    private readonly tcpGate: TcpConnectionGate,
    private readonly t1Ms: number,
    /** The SIP over TLS port; undefined without TLS. */
    readonly tlsPort: number | undefined,
    private readonly tlsFlows: TlsFlows,
    tlsStats: SipTlsStats,
    private readonly rate: SourceRateLimiter,
    maxAcks: number,
  ) {
    this.acks = new AckMemory(64 * t1Ms, maxAcks, Date.now, () => this.stats.acksForgotten++);
    this.stats = {
      requestsIn: {}, responsesOut: {}, requestsOut: {}, invalid: 0, rejected: 0, dropped: 0, overload: 0, orphaned: 0, overloadPerSource: 0,
      overloadPerTarget: 0, loopsRefused: 0, mergedRefused: 0, localReserve: 0,
      completedEvicted: 0, cancelledInvitesAbandoned: 0, acksRepeated: 0, acksForgotten: 0, acksWithheld: 0, unwantedDialogsEnded: 0, handlerErrors: 0, slowClosed: { 'no-message': 0, 'partial-message': 0 }, keepalives: { UDP: 0, TCP: 0 }, tls: tlsStats,
    };
    // live INVITE server transactions are fewer than the transaction table's bound (maxAcks is it)
    this.merged = new MergedRequests(Math.max(1, maxAcks));
    this.bySource = new KeyedShare(shares.perSource, (source) =>
      log.warn({ source, limit: shares.perSource }, 'SIP source at its share of live transactions; its new requests get 503'));
    this.byTarget = new KeyedShare(shares.perTarget, (target) =>
      log.warn({ target, limit: shares.perTarget }, 'SIP target at its share of pending requests (sip.maxTransactionsPerTarget); new requests toward it are answered 480 at once'));
  }

  static async start(opts: SipStackOptions, handler: RequestHandler): Promise<SipStack> {
    const log = opts.logger;
    const libraryErrors = new ThrottledLog(log, 'error');
    const overloadLog = new ThrottledLog(log, 'warn');
    // Filled in once the instance exists; the library calls back only after sockets deliver data.
    let stack: SipStack | undefined;
    const gate = new TcpConnectionGate(opts.maxTcpConnections ?? DEFAULT_MAX_TCP_CONNECTIONS, log, { quietMs: opts.tcpQuietMs, ...(opts.maxTlsHandshakesPerSource !== undefined ? { maxHandshakesPerSource: opts.maxTlsHandshakesPerSource } : {}), ...(opts.tcpOutput !== undefined ? { output: opts.tcpOutput } : {}), ...(opts.maxTcpConnectionsPerSource !== undefined ? { maxPerSource: opts.maxTcpConnectionsPerSource } : {}) });
    const keepalive = {
      onPing: (t: 'UDP' | 'TCP', kind: 'crlf' | 'stun') => {
        if (stack) stack.stats.keepalives[t]++;
        log.debug({ transport: t, kind }, 'keep-alive');
      },
      // F8: STUN and CRLF datagrams spend the same per-source UDP rate as requests
      admitUdp: (address: string) => rate.admitSilent(address),
      maxHeadBytes: opts.maxBytesHeaders,
      ...(opts.tcpMessageTimeoutMs !== undefined ? { messageTimeoutMs: opts.tcpMessageTimeoutMs } : {}),
      onSlowClosed: (_t: 'TCP', reason: 'no-message' | 'partial-message') => {
        if (stack) stack.stats.slowClosed[reason]++;
        log.debug({ reason, afterMs: opts.tcpMessageTimeoutMs }, 'slow SIP TCP connection closed (sip.tcpMessageTimeoutMs)');
      },
    };
    const rate = new SourceRateLimiter(opts.rateLimit ?? { perSecond: 0, burst: 1, maxSources: 1 }, (source, transport) => {
      log.warn({ source, transport, perSecond: opts.rateLimit?.perSecond, burst: opts.rateLimit?.burst }, transport === 'UDP'
        ? 'SIP source over its request rate; one 503 this second, the rest dropped'
        : 'SIP source over its request rate; its requests get 503');
    });
    // UDP: judged before the library parses or keeps anything (see onDatagram)
    const udpTap = rate.enabled ? (data: Buffer, from: dgram.RemoteInfo) => stack?.onDatagram(data, from) ?? false : undefined;
    const bound = await bindSipListeners(opts.bind, opts.port, opts.udp, opts.tcp, keepalive, gate, udpTap);
    if (bound.udp && opts.udpReceiveBufferBytes !== undefined) sizeUdpReceiveBuffer(bound.udp, opts.udpReceiveBufferBytes, log);
    const tlsStats: SipTlsStats = { accepted: 0, handshakeFailures: 0, dialled: 0, peerRejected: 0 };
    const tlsFlows = new TlsFlows(MAX_TLS_TARGETS);
    // The library's stream transport hears TCP connections and, after their handshake, TLS ones.
    const hub = new StreamHub();
    if (bound.tcp) hub.forward(bound.tcp);
    let tlsServer: tls.Server | undefined;
    const tlsOpts = opts.tls;
    if (tlsOpts) {
      try {
        tlsServer = await listenSipTls(opts.bind, tlsOpts, gate, tlsStats, log, (socket) => {
          tlsFlows.track(socket, socket.remoteAddress ?? '', socket.remotePort ?? 0);
          hub.emit('connection', socket);
          watchStreamKeepalives(socket, keepalive, true);
        });
      } catch (err) {
        bound.udp?.close();
        bound.tcp?.close();
        throw err;
      }
      hub.own(tlsServer);
    }
    const streams = !!bound.tcp || !!tlsServer;
    const host = opts.publicAddress ?? opts.bind;
    const tlsPort = tlsServer ? (tlsServer.address() as net.AddressInfo).port : undefined;
    const instance = sip.create(
      {
        address: opts.bind,
        port: bound.port,
        publicAddress: host,
        udp: opts.udp,
        tcp: streams,
        udpSocket: bound.udp,
        tcpServer: streams ? hub : undefined,
        // Connections the library dials share the cap of the accepted ones; a hop marked TLS is dialled with TLS.
        tcpConnect: (port, toHost, onConnect) => {
          if (tlsOpts && tlsFlows.isTarget(toHost, port)) {
            return gate.dial(port, toHost, onConnect, () => {
              const socket = dialSipTls(toHost, port, tlsOpts, tlsStats, log);
              tlsFlows.track(socket, toHost, port);
              return socket;
            });
          }
          if (!bound.tcp) return refusedDial('SIP over TCP is off (sip.tcp)');
          return gate.dial(port, toHost, onConnect);
        },
        maxBytesHeaders: opts.maxBytesHeaders,
        maxContentLength: opts.maxContentLength,
        maxServerTransactions: opts.maxTransactions,
        // Issue 16 item 4: completed transactions (final response sent, only retransmissions left)
        // have their own bound and never hold the live cap.
        maxCompletedServerTransactions: opts.maxCompletedTransactions ?? opts.maxTransactions,
        onCompletedEvicted: () => {
          if (stack) stack.stats.completedEvicted++;
        },
        overloadRetryAfter: opts.overloadRetryAfterS,
        logger: {
          // ECOSYSTEM fault 6: the library's own errors reach our logger.
          // throttled: a peer can cause one at will (second attack round)
          error: (e) => libraryErrors.write({ err: e }, 'sip library error'),
          // Called after the library wrote its Via (always TCP and the TCP port on a stream): a
          // request leaving on a TLS flow says SIP/2.0/TLS and the TLS port (RFC 3261 18.1.1).
          send: (m, target) => stack?.tlsVia(m, target),
        },
        onInvalid: (info) => stack?.onInvalid(info),
        onTransportError: (err) => {
          if (stack) stack.stats.handlerErrors++;
          log.error({ err }, 'SIP datagram handling failed; the datagram was dropped');
        },
        onStreamMessage: (m, remote, send) => stack?.onStreamMessage(m, remote, send) ?? false,
        onOverload: (m) => {
          if (stack) stack.stats.overload++;
          // second attack round: one line per refused request was 23,706 lines in a second
          overloadLog.write({ method: m.method, limit: opts.maxTransactions }, 'SIP transaction limit reached; answered 503');
        },
        onOrphanRequest: () => {
          if (stack) stack.stats.orphaned++;
        },
        // Attack finding (F4): a reserve beyond the cap rather than answering those requests
        // without a transaction (RFC 3261 8.2.7 would allow a stateless UAS): REGISTER writes the
        // store and may be challenged, so its retransmissions must meet the answer already given
        // (17.2.2) instead of running again, and one path for every request keeps the per-source
        // share and the rate in force. Only requests answered at once may use the reserve, so it
        // is never held for long; the table is still bounded (maxTransactions + localReserve).
        ...(opts.answeredLocally
          ? {
              localReserve: opts.localReserve ?? Math.max(8, Math.ceil(opts.maxTransactions / 8)),
              answeredLocally: (m: sip.RawMessage) => typeof m.method === 'string' && typeof m.uri === 'string' && opts.answeredLocally!(m.method, m.uri),
              onLocalReserve: () => {
                if (stack) stack.stats.localReserve++;
              },
            }
          : {}),
      },
      (m, remote) => stack?.onMessage(m, remote, handler),
    );
    bound.udp?.on('error', (err) => log.error({ err }, 'SIP UDP socket error'));
    bound.tcp?.on('error', (err) => log.error({ err }, 'SIP TCP server error'));
    const perSource = opts.maxTransactionsPerSource ?? Math.max(1, Math.ceil(opts.maxTransactions / 4));
    const perTarget = opts.maxTransactionsPerTarget ?? Math.max(1, Math.ceil(opts.maxTransactions / 8));
    if (typeof instance.abandonClientTransaction !== 'function') {
      // the reviewed patch (patches/) is not applied: a cancelled INVITE the callee never ends stays in the library
      log.warn('sip library without the imedge patch for abandoned INVITE transactions; run npx patch-package');
    }
    const t1Ms = opts.t1Ms ?? DEFAULT_SIP_TIMERS.t1Ms;
    stack = new SipStack(
      instance, bound.port, { udp: !!bound.udp, tcp: !!bound.tcp, tls: !!tlsServer }, host, log, { perSource, perTarget }, opts.overloadRetryAfterS,
      opts.maxBytesHeaders, gate, t1Ms, tlsPort, tlsFlows, tlsStats, rate, opts.maxCompletedTransactions ?? opts.maxTransactions,
    );
    stack.udpSocket = bound.udp;
    return stack;
  }

  /** True when a message to or from this flow travels over TLS (a live TLS connection, or a TLS target). */
  isSecure(flow: Pick<Flow, 'protocol' | 'address' | 'port' | 'secure'>): boolean {
    if (flow.secure) return true;
    return flow.protocol === 'TCP' && this.tlsFlows.isSecure(flow.address, flow.port);
  }

  /** The library's logger.send hook: the top Via of a request sent on a TLS flow. */
  private tlsVia(m: sip.RawMessage, target: unknown): void {
    if (m.method === undefined || this.tlsPort === undefined) return;
    const t = target as { address?: unknown; port?: unknown } | undefined;
    if (typeof t?.address !== 'string' || typeof t.port !== 'number') return;
    if (!this.tlsFlows.isSecure(t.address, t.port)) return;
    const via = (m.headers.via as sip.RawVia[] | undefined)?.[0];
    if (!via) return;
    via.protocol = 'TLS';
    via.port = this.tlsPort;
  }

  /**
   * Our flows as the library's targets. A secure one is handed over as TCP (the library's stream
   * transport carries our TLS sockets) and marked, so a dial to it is a TLS dial. Without TLS a
   * secure target cannot be reached and is left out.
   */
  private libTargets(flows: readonly Flow[] | undefined): sip.RawFlow[] | undefined {
    // none named: the library resolves the Request-URI (as before TLS existed)
    if (flows === undefined || flows.length === 0) return undefined;
    const out: sip.RawFlow[] = [];
    for (const f of flows) {
      if (f.secure) {
        if (this.tlsPort === undefined) continue;
        this.tlsFlows.markTarget(f.address, f.port);
      }
      out.push({ protocol: f.protocol, address: f.address, port: f.port });
    }
    return out;
  }

  /**
   * The targets of a request: the flows given, else the TLS hop when the request must go over
   * TLS (resolved here: the library knows no TLS), else undefined for the library to resolve.
   * An empty list means nowhere to send it (503).
   */
  private async targetsFor(rq: SipRequest, flows: readonly Flow[] | undefined): Promise<sip.RawFlow[] | undefined> {
    if (flows !== undefined && flows.length > 0) return this.libTargets(flows);
    const hop = tlsHopOf(rq);
    if (hop === undefined) return undefined;
    if (this.tlsPort === undefined) {
      this.log.debug({ uri: rq.uri }, 'request needs TLS but SIP over TLS is off (tls.cert / tls.key)');
      return [];
    }
    let address = hop.host;
    if (net.isIP(address) === 0) {
      // A/AAAA only: SRV/NAPTR (RFC 3263) for sips: names is not done here
      try {
        address = (await lookup(hop.host)).address;
      } catch (err) {
        this.log.debug({ err, host: hop.host }, 'sips: host not resolved');
        return [];
      }
    }
    return this.libTargets([{ protocol: 'TCP', address, port: hop.port, secure: true }]);
  }

  /** Requests received and not yet answered finally, plus requests sent and not yet answered. */
  inFlight(): { incoming: number; outgoing: number } {
    return { incoming: this.pendingIn, outgoing: this.pendingOut };
  }

  /** SIP TCP connections open now and refused at the cap, for metrics and tests. */
  tcpConnections(): TcpConnectionStats {
    return this.tcpGate.stats();
  }

  /** Requests refused for their source's rate, for metrics and tests. */
  rateLimited(): SipRateLimitStats {
    return this.rate.stats();
  }

  private udpSocket: dgram.Socket | undefined;

  /**
   * Issue 11 item 5: the UDP half of the per-source request rate, the earliest point a
   * datagram can be judged: before the library parses it or creates a transaction, so a
   * flood costs a map lookup per datagram and leaves no state. ACKs and responses spend a
   * token too and are dropped unanswered over the rate (F9). True = consumed here.
   */
  onDatagram(data: Buffer, from: dgram.RemoteInfo): boolean {
    if (this.closed) return false;
    const kind = datagramKind(data);
    if (kind !== 'request') return !this.rate.admitSilent(from.address);
    const verdict = this.rate.take(from.address, 'UDP');
    if (verdict === 'pass') return false;
    if (verdict === 'reject') this.rejectDatagram(data, from);
    return true;
  }

  /**
   * The stream half of the per-source rate, called by the library as each message is framed on
   * a TCP/TLS connection, before its transaction layer. Attack finding (F7): judged later, a
   * pipelined copy of a request (same branch) was absorbed as a retransmission and answered
   * without ever counting; over a reliable transport a client never retransmits a request
   * (RFC 3261 17.1.1.2 / 17.1.2.2: Timers A and E run only on unreliable transports), so every
   * copy is a new request here. Over the rate a request gets a 503 + Retry-After built without
   * a transaction (each time: the source is proven by the connection, so this reflects
   * nothing); an ACK or response is dropped unanswered (F9). True = consumed.
   */
  onStreamMessage(m: sip.RawMessage, remote: sip.RawFlow, send: (rs: sip.RawMessage) => void): boolean {
    if (this.closed) return false;
    if (m.method === undefined || m.method === 'ACK') return !this.rate.admitSilent(remote.address);
    if (this.rate.take(remote.address, 'TCP') === 'pass') return false;
    this.answerOverRate(m, send);
    return true;
  }

  /** The 503 + Retry-After to a request over its source's rate, built from the library's message, no transaction. */
  private answerOverRate(m: sip.RawMessage | undefined, send: (rs: sip.RawMessage) => void): void {
    const via = m?.headers.via;
    if (!m || m.method === undefined || !Array.isArray(via) || via.length === 0 || !usableVia(via[0])) return;
    try {
      send(sip.makeResponse(m, 503, RATE_REASON, { headers: { 'retry-after': this.rate.retryAfterS() } }));
      bump(this.stats.responsesOut, '503');
    } catch (err) {
      this.log.debug({ err }, 'could not answer a rate-limited SIP request');
    }
  }

  /** The window's one 503 to a UDP source over its rate, built from the datagram, no transaction. */
  private rejectDatagram(data: Buffer, from: dgram.RemoteInfo): void {
    // to the address and port it came from (RFC 3581), never to a host the Via names
    this.answerOverRate(sip.parse(data), (rs) => this.udpSocket?.send(Buffer.from(sip.stringify(rs), 'binary'), from.port, from.address, () => undefined));
  }

  /**
   * RFC 3261 16.3 item 4, RFC 5393 (attack finding F2): true when every flow named, or the next
   * hop, is one of this server's own SIP listeners: sending it would loop back here.
   */
  private toSelf(targets: readonly Flow[] | undefined, hop: Hop | undefined): boolean {
    const self = (this.selfTargets ??= new SelfTargets(this.host, [this.port, this.tlsPort]));
    if (targets !== undefined && targets.length > 0) return targets.every((t) => self.isSelf(t.address, t.port));
    return hop !== undefined && self.isSelf(hop.host, hop.port);
  }

  /** Live transactions, for metrics and tests. */
  transactionCounts(): TransactionCounts {
    return this.instance.transactionCounts();
  }

  private toFlow(remote: sip.RawFlow): Flow {
    const tcp = remote.protocol.toUpperCase() === 'TCP';
    const flow: Flow = { protocol: tcp ? 'TCP' : 'UDP', address: remote.address, port: remote.port, local: remote.local };
    // TLS connections reach the library through its TCP transport (tls-transport.ts)
    if (tcp && this.tlsFlows.isLive(remote.address, remote.port)) flow.secure = true;
    return flow;
  }

  // RFC 3261 17.2.1: 100 (Trying) only when the TU has not answered within 200 ms
  private tryingUnlessAnswered(req: IncomingRequest): NodeJS.Timeout {
    // Most INVITEs are answered (200, 4xx, or a relayed 18x) well inside 200 ms; a 100 sent at
    // once would be one message of the ten a 1-1 set-up costs. At 200 ms it still comes before
    // a UDP caller's first retransmission (T1 = 500 ms), which is what it is there to stop.
    const t = setTimeout(() => {
      if (!this.closed) req.reply(100, 'Trying');
    }, TRYING_WITHIN_MS);
    t.unref();
    return t;
  }

  private onMessage(libRaw: sip.RawMessage, remote: sip.RawFlow, handler: RequestHandler): void {
    const raw = faithful(libRaw);
    const flow = this.toFlow(remote);
    const transport = flow.protocol;
    const verdict = validateSipMessage(raw.rawHead ?? '', raw.bodyLength ?? 0, { transport, maxHeadLength: this.maxHeadBytes });
    const headerError = raw.startLineError ? 'start line' : raw.headerErrors?.[0];
    if (raw.method === undefined) {
      if (!verdict.ok || headerError) {
        this.stats.invalid++;
        this.stats.dropped++;
        return;
      }
      // Responses without a client transaction (stray 2xx retransmissions) end here, ACKed
      // again if they answer an INVITE we ACKed within 64*T1.
      this.repeatAck(raw);
      return;
    }
    bump(this.stats.requestsIn, methodLabel(raw.method));
    const msg = fromRaw(raw) as SipRequest;
    fillRport(msg, flow);
    // counted until its first final response: a 2xx sent again (resendFinal) is no new answer
    let counted = raw.method !== 'ACK';
    const source = flow.address;
    let held = false;
    if (counted) this.pendingIn++;
    // the inbound TCP connection it came over is in use: not quiet, and held while it is answered
    let slot = transport === 'TCP' ? this.tcpGate.slotOf(flow.address, flow.port) : undefined;
    if (slot !== undefined) {
      this.tcpGate.noteMessage(slot);
      if (counted) this.tcpGate.hold(slot);
      else slot = undefined;
    }
    let trying: NodeJS.Timeout | undefined;
    const merge = verdict.ok && !headerError ? mergeKey(raw.method, msg.headers.to?.params.tag, msg.headers.from?.params.tag, msg.headers['call-id'], msg.headers.cseq?.seq) : undefined;
    // read only for a tracked INVITE: every other request skips it
    const branch = merge === undefined ? '' : String(msg.headers.via?.[0]?.params.branch ?? '');
    const req = new IncomingRequest(msg, flow, (rs) => {
      if (trying !== undefined) {
        clearTimeout(trying);
        trying = undefined;
      }
      if (counted && rs.status >= 200) {
        counted = false;
        if (merge !== undefined) this.merged.answered(merge, branch);
        this.pendingIn--;
        if (held) this.releaseSource(source);
        held = false;
        if (slot !== undefined) {
          this.tcpGate.unhold(slot);
          // F3: the connection a live registration was made over is not evicted as quiet
          if (raw.method === 'REGISTER' && rs.status < 300) this.tcpGate.pin(slot, registeredForS(msg, rs) * 1000);
        }
        slot = undefined;
      }
      this.respond(rs);
    });
    // the per-source request rate was judged before the transaction layer: onDatagram (UDP), onStreamMessage (TCP/TLS)
    if (counted) {
      if (!this.admitSource(source, raw.method)) {
        req.reply(503, 'Service Unavailable (too many requests from this source)', { headers: { 'retry-after': String(this.retryAfterS) } });
        return;
      }
      held = true;
    }
    if (!verdict.ok || headerError) {
      this.stats.invalid++;
      this.stats.rejected++;
      const status = verdict.ok ? 400 : verdict.status;
      const reason = verdict.ok ? `Malformed header: ${headerError}` : verdict.reason;
      this.log.debug({ method: raw.method, status, reason, remote: flow }, 'malformed SIP request rejected');
      req.reply(status, reason);
      return;
    }
    if (merge !== undefined && !this.merged.admit(merge, branch)) {
      this.stats.mergedRefused++;
      req.reply(482, 'Loop Detected (merged request)'); // RFC 3261 8.2.2.2
      return;
    }
    if (raw.method === 'INVITE') trying = this.tryingUnlessAnswered(req);
    let result: void | Promise<void>;
    try {
      result = handler(req);
    } catch (err) {
      this.handlerFailed(req, err);
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).catch((err) => this.handlerFailed(req, err));
    }
  }

  /**
   * Issue 16 item 4: one source may hold at most its share of live server transactions, so a
   * burst from it cannot starve the others. CANCEL and BYE end work, so they are never refused.
   */
  private admitSource(source: string, method: string): boolean {
    if (this.bySource.take(source, method === 'CANCEL' || method === 'BYE')) return true;
    this.stats.overloadPerSource++;
    return false;
  }

  private releaseSource(source: string): void {
    this.bySource.release(source);
  }

  private handlerFailed(req: IncomingRequest, err: unknown): void {
    this.stats.handlerErrors++;
    this.log.error({ err, method: req.msg.method, callId: req.msg.headers['call-id'] }, 'SIP request handler failed');
    if (!req.replied) req.reply(500);
  }

  /** Malformed input reported by the patched library: answer 400/413/513 when a response can be formed. */
  private onInvalid(info: sip.InvalidInfo): void {
    this.stats.invalid++;
    const m = info.message;
    const h = m?.headers;
    // RFC 3261 8.2 / 18.2.2: any request with a Via can be answered, even if Call-ID or CSeq is missing.
    const answerable = m && m.method !== undefined && m.method !== 'ACK' && Array.isArray(h?.via) && h.via.length > 0 && usableVia(h.via[0]);
    if (!answerable) {
      this.stats.dropped++;
      this.log.debug({ reason: info.reason, remote: info.remote, fatal: info.fatal }, 'malformed SIP message dropped');
      return;
    }
    const status = statusForInvalid(info.kind);
    const reason = status === 400 ? `Bad Request (${info.reason})` : reasonFor(status);
    try {
      info.send(answerToInvalid(sip.makeResponse(m, status, reason), info.remote.port));
      this.stats.rejected++;
      bump(this.stats.responsesOut, statusLabel(status));
    } catch (err) {
      this.stats.dropped++;
      this.log.debug({ err, reason: info.reason }, 'could not answer malformed SIP message');
    }
  }

  private respond(rs: SipResponse): void {
    if (this.closed) return;
    bump(this.stats.responsesOut, statusLabel(rs.status));
    const raw = toRaw(rs);
    answerableCSeq(raw);
    this.instance.send(raw);
  }

  /**
   * Sends a request in a new client transaction. The library adds our Via on top of the ones
   * given (pass [] for a request we originate). Resolves with the first final response; the
   * library synthesises 408 on timeout and 404/503 when the target cannot be reached.
   */
  request(rq: SipRequest, opts: SendOptions = {}): Promise<SipResponse> {
    return this.clientTransaction(rq, opts).response;
  }

  /**
   * request(), plus abandon(): ends the transaction here and now with a synthesised final
   * response and drops it from the library's table (false when a final response came first).
   */
  private clientTransaction(rq: SipRequest, opts: SendOptions): { response: Promise<SipResponse>; abandon(status: number): boolean } {
    if (this.closed) return { response: Promise.resolve(synthetic(rq, 503)), abandon: () => false };
    // the first hop is parsed once, for the loop check and the per-target share
    const hop = opts.targets !== undefined && opts.targets.length > 0 ? undefined : firstHop(rq);
    if (this.toSelf(opts.targets, hop)) {
      this.stats.loopsRefused++;
      return { response: Promise.resolve(synthetic(rq, 482, 'Loop Detected (addressed to this server)')), abandon: () => false };
    }
    const target = targetKey(opts.targets, hop);
    if (!this.byTarget.take(target)) {
      this.stats.overloadPerTarget++;
      const refused = synthetic(rq, 503, 'Service Unavailable (too many requests pending toward this target)', { 'retry-after': String(this.retryAfterS) });
      return { response: Promise.resolve(refused), abandon: () => false };
    }
    bump(this.stats.requestsOut, methodLabel(rq.method));
    const raw = toRaw(rq);
    if (!Array.isArray(raw.headers.via)) raw.headers.via = [];
    this.pendingOut++;
    // an inbound TCP (or TLS) connection we send over (a registered flow) is in use until the answer
    const slots = this.tcpSlotsOf(opts.targets);
    for (const sl of slots) this.tcpGate.hold(sl);
    let done = false;
    /** The library has the transaction (abandon must take it out of its table). */
    let sent = false;
    let resolve!: (rs: SipResponse) => void;
    const response = new Promise<SipResponse>((r) => (resolve = r));
    const finish = (rs: SipResponse): void => {
      if (done) return;
      done = true;
      this.pendingOut--;
      this.byTarget.release(target);
      for (const sl of slots) this.tcpGate.unhold(sl);
      resolve(rs);
    };
    const send = (targets: sip.RawFlow[] | undefined): void => {
      // abandoned while its TLS hop was being resolved: nothing goes out
      if (done) return;
      // a hop or every flow named that cannot be reached here (TLS off, unresolved name)
      if (targets !== undefined && targets.length === 0) return finish(synthetic(rq, 503));
      if (this.closed) return finish(synthetic(rq, 503));
      opts.onRaw?.(raw, targets);
      sent = true;
      const relay: ResponseRelay = {
        to: (rawRs) => {
          const rs = fromRaw(rawRs) as SipResponse;
          // after the final answer the library keeps the relay for the transaction's life (32 s
          // after a 2xx, RFC 6026 Accepted): it then holds none of this request's state
          if (rs.status >= 200) {
            relay.to =
              rq.method === 'INVITE' && rs.status < 300
                ? laterAnswers(this.lateAnswer, { firstTag: detached(String(rs.headers.to?.params.tag ?? '')), targets: opts.targets, unwanted: 0 })
                : this.repeatAck;
          }
          opts.onResponse?.(rs);
          if (!done && rs.status >= 200) finish(rs);
        },
      };
      this.instance.send(raw, relayThrough(relay), targets);
    };
    // the common case (flows given, or a plain hop) sends at once; a TLS hop may need a lookup
    if ((opts.targets !== undefined && opts.targets.length > 0) || tlsHopOf(rq) === undefined) send(this.libTargets(opts.targets));
    else {
      this.targetsFor(rq, opts.targets).then(send, (err: unknown) => {
        this.log.error({ err }, 'SIP request target resolution failed');
        finish(synthetic(rq, 503));
      });
    }
    return {
      response,
      abandon: (status) => {
        if (done) return false;
        // the library's message: its top Via carries the branch of the transaction now running
        if (sent) this.instance.abandonClientTransaction?.(raw);
        const rs = synthetic(rq, status);
        opts.onResponse?.(rs);
        finish(rs);
        return true;
      },
    };
  }

  /** The inbound connections (TCP, or TLS: a TCP flow to the library) among the targets. */
  private tcpSlotsOf(targets: readonly Flow[] | undefined): TcpSlot[] {
    const out: TcpSlot[] = [];
    for (const t of targets ?? []) {
      if (t.protocol !== 'TCP') continue;
      const sl = this.tcpGate.slotOf(t.address, t.port);
      if (sl !== undefined && !out.includes(sl)) out.push(sl);
    }
    return out;
  }

  /**
   * An INVITE that can be cancelled (RFC 3261 9.1): cancel() sends a CANCEL with the INVITE's
   * branch once a provisional response has arrived (or at once if one already has). A callee
   * that answers the CANCEL but never the INVITE cannot hold the transaction: 64*T1 after the
   * CANCEL it ends with a synthesised 408 and is dropped (see giveUp).
   */
  inviteCancelable(rq: SipRequest, opts: SendOptions = {}): { response: Promise<SipResponse>; cancel(): void } {
    let provisional = false;
    let wantCancel = false;
    let final = false;
    let raw: sip.RawMessage | undefined;
    let giveUpTimer: NodeJS.Timeout | undefined;
    // RFC 3261 9.1: the CANCEL goes where the INVITE went
    let targets: sip.RawFlow[] | undefined;
    const sendCancel = () => {
      if (!raw || final || !Array.isArray(raw.headers.via) || raw.headers.via.length === 0) return;
      const h = raw.headers as Record<string, unknown> & { cseq: { seq: number } };
      const cancel: sip.RawMessage = {
        method: 'CANCEL',
        uri: raw.uri,
        headers: {
          via: [(raw.headers.via as unknown[])[0]],
          from: h.from,
          to: h.to,
          'call-id': h['call-id'],
          cseq: { seq: h.cseq.seq, method: 'CANCEL' },
          ...(h.route ? { route: h.route } : {}),
          'max-forwards': 70,
        },
        content: '',
      };
      bump(this.stats.requestsOut, 'CANCEL');
      this.instance.send(cancel, () => undefined, targets);
      giveUpTimer = setTimeout(giveUp, 64 * this.t1Ms);
      giveUpTimer.unref();
    };
    const call = this.clientTransaction(rq, {
      ...opts,
      onResponse: (rs) => {
        if (rs.status < 200) {
          if (!provisional) {
            provisional = true;
            if (wantCancel) sendCancel();
          }
        } else {
          final = true;
          clearTimeout(giveUpTimer);
        }
        opts.onResponse?.(rs);
      },
      onRaw: (r, t) => {
        raw = r;
        targets = t;
      },
    });
    // RFC 3261 9.1: "If no final response is received ... within 64*T1 seconds after the CANCEL,
    // the client transaction is destroyed". 408 rather than 487: the callee never said the INVITE
    // was terminated (its 200 may yet come, or be lost), only that no answer came in time, as
    // a proxy treats Timer C (16.8) and the library its own Timer B.
    const giveUp = (): void => {
      try {
        if (this.closed || !call.abandon(408)) return;
        this.stats.cancelledInvitesAbandoned++;
        this.log.info({ callId: rq.headers['call-id'], afterMs: 64 * this.t1Ms }, 'cancelled INVITE got no final response within 64*T1 of the CANCEL: transaction ended with 408 (RFC 3261 9.1)');
      } catch (err) {
        // a timer callback: a throw (from whoever awaits the answer) never takes the process down
        this.stats.handlerErrors++;
        this.log.error({ err, callId: rq.headers['call-id'] }, 'giving up a cancelled INVITE failed');
      }
    };
    const response = call.response;
    return {
      response,
      cancel: () => {
        if (final || wantCancel) return;
        wantCancel = true;
        if (provisional) sendCancel();
      },
    };
  }

  /**
   * ACK for a 2xx (RFC 3261 13.2.2.4) travels outside any transaction. It is remembered for
   * 64*T1: a retransmission of that 2xx is ACKed again from here (repeatAck).
   */
  sendAck(ack: SipRequest, targets?: Flow[]): void {
    if (this.closed) return;
    const raw = toRaw(ack);
    raw.headers.via = [];
    bump(this.stats.requestsOut, 'ACK');
    const send = (t: sip.RawFlow[] | undefined): void => {
      if (this.closed || (t !== undefined && t.length === 0)) return;
      this.instance.send(raw, undefined, t);
      this.acks.remember(raw, ack, t);
    };
    if ((targets !== undefined && targets.length > 0) || tlsHopOf(ack) === undefined) send(this.libTargets(targets));
    else this.targetsFor(ack, targets).then(send, (err: unknown) => this.log.error({ err }, 'ACK target resolution failed'));
  }

  /**
   * A 2xx after the first (a retransmission): the ACK for it is generated again, if remembered.
   * Same request, a new branch: RFC 3261 8.1.1.7 exempts only CANCEL and the ACK for a non-2xx
   * from a unique branch (a peer that checks for retransmitted requests sees a new ACK).
   */
  private readonly repeatAck = (rs: sip.RawMessage): void => {
    if (this.closed || rs.status === undefined || rs.status < 200 || rs.status >= 300) return;
    this.actOn(this.acks.forResponse(rs));
  };

  /**
   * A 2xx on an INVITE transaction after its first: a copy of an answer already ACKed (ACKed
   * again), or, with another To tag, a second dialog from a fork beyond the callee's hop. RFC
   * 3261 13.2.2.4: that one too is ACKed, and ended with a BYE, since the TU keeps the first
   * dialog (the B2BUA, the focus and the client all do). At most MAX_UNWANTED_DIALOGS per INVITE.
   */
  private readonly lateAnswer = (raw: sip.RawMessage, first: LaterAnswers): void => {
    if (this.closed || raw.status === undefined || raw.status < 200 || raw.status >= 300) return;
    const verdict = this.acks.forResponse(raw);
    const tag = (raw.headers.to as { params?: Record<string, unknown> } | undefined)?.params?.tag;
    if (verdict.kind !== 'unknown' || typeof tag !== 'string' || tag === first.firstTag) return this.actOn(verdict);
    if (first.unwanted >= MAX_UNWANTED_DIALOGS) {
      this.stats.acksWithheld++;
      return;
    }
    first.unwanted++;
    const rs = fromRaw(raw) as SipResponse;
    // the dialog the 2xx makes (12.1.2), from the 2xx alone: its From, Call-ID and CSeq are the INVITE's
    const invite: SipRequest = { method: 'INVITE', uri: '', headers: { 'call-id': rs.headers['call-id'], from: rs.headers.from, cseq: rs.headers.cseq }, body: Buffer.alloc(0) };
    const d = dialogAsUac(invite, rs);
    if (d.remoteTarget === '') return;
    this.stats.unwantedDialogsEnded++;
    this.sendAck(inDialogRequest(d, 'ACK', { seq: rs.headers.cseq?.seq }), first.targets);
    this.request(inDialogRequest(d, 'BYE'), first.targets === undefined ? {} : { targets: first.targets }).catch((err: unknown) => {
      this.log.warn({ err }, 'BYE to a second dialog of an answered INVITE failed');
    });
  };

  private actOn(verdict: RepeatVerdict<SipRequest>): void {
    if (verdict.kind === 'withheld') this.stats.acksWithheld++;
    if (verdict.kind !== 'repeat') return;
    const raw = toRaw(verdict.sent.ack);
    raw.headers.via = [];
    this.stats.acksRepeated++;
    bump(this.stats.requestsOut, 'ACK');
    this.instance.send(raw, undefined, verdict.sent.targets);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.acks.dispose();
    this.instance.destroy();
    return Promise.resolve();
  }
}

/**
 * The status for what the library reports: a body beyond maxContentLength is 413, a head
 * beyond maxBytesHeaders (on either transport) 513 (RFC 3261 21.5.7), anything else 400.
 */
/** Where the library sends a client transaction's responses; `to` changes once the final one passed. */
interface ResponseRelay {
  to: (rs: sip.RawMessage) => void;
}

/** Made outside SipStack's methods so the closure the library keeps captures the relay alone. */
function relayThrough(relay: ResponseRelay): (rs: sip.RawMessage) => void {
  return (rs) => relay.to(rs);
}

/** What an answered INVITE keeps for the 2xx that may follow its first (32 s, RFC 6026 Timer M). */
interface LaterAnswers {
  /** The To tag of the first 2xx: the dialog the TU took. */
  readonly firstTag: string;
  /** Where the INVITE went: a second dialog's ACK and BYE go the same way. */
  readonly targets: Flow[] | undefined;
  unwanted: number;
}

/** Second dialogs ended per INVITE; more 2xx with new tags are left unanswered (a peer minting tags). */
const MAX_UNWANTED_DIALOGS = 4;

/** As relayThrough: the closure captures the handler and what it needs, not the request's scope. */
function laterAnswers(handle: (rs: sip.RawMessage, first: LaterAnswers) => void, first: LaterAnswers): (rs: sip.RawMessage) => void {
  return (rs) => handle(rs, first);
}

function statusForInvalid(kind: string | undefined): 400 | 413 | 513 {
  if (kind === 'too-large') return 413;
  if (kind === 'head-too-large') return 513;
  return 400;
}

/** A Via the library parsed into a sent-by host (a 513's top of head may end anywhere). */
function usableVia(via: unknown): boolean {
  const v = via as sip.RawVia | undefined;
  return typeof v?.host === 'string' && v.host.length > 0;
}

/** A dial the library must not make (its transport is off): fails on the next tick, so the target gets a 503. */
function refusedDial(reason: string): net.Socket {
  const dead = new net.Socket();
  process.nextTick(() => dead.destroy(new Error(reason)));
  return dead;
}

function synthetic(rq: SipRequest, status: number, reason = reasonFor(status), extra: SipHeaders = {}): SipResponse {
  const h = rq.headers;
  return { status, reason, headers: { to: h.to, from: h.from, 'call-id': h['call-id'], cseq: h.cseq, via: h.via, ...extra }, body: Buffer.alloc(0) };
}

/**
 * Where a request goes, for the per-target share: the address and port of the first flow named
 * (one registered contact), else of its first hop (top Route, else the Request-URI). Not the
 * address alone: phones behind one NAT share it, and one dead phone must not block the others.
 */
function targetKey(targets: readonly Flow[] | undefined, hop: Hop | undefined): string {
  const first = targets?.[0];
  if (first) return `${canonicalSource(first.address)}:${first.port}`;
  return hop === undefined ? '' : `${hop.host}:${hop.port ?? ''}`;
}

interface Hop {
  /** bare (no IPv6 brackets), lower case, IPv4-mapped addresses as IPv4 */
  host: string;
  port: number | undefined;
}

/** A request's first hop when no flow is named: its top Route, else its Request-URI. */
function firstHop(rq: SipRequest): Hop | undefined {
  const u = parseSipUri(rq.headers.route?.[0]?.uri ?? rq.uri);
  return u === undefined ? undefined : { host: canonicalSource(bareHost(u.host).toLowerCase()), port: u.port };
}

/**
 * Second attack round (F4): 200 UDP REGISTERs at once lost 15-20% in a 208 KiB socket buffer.
 * Linux doubles the value asked for (bookkeeping) and caps it at net.core.rmem_max: a cap
 * is reported, not fatal.
 */
function sizeUdpReceiveBuffer(udp: dgram.Socket, bytes: number, log: Logger): void {
  try {
    udp.setRecvBufferSize(bytes);
    const got = udp.getRecvBufferSize();
    if (got < bytes) log.warn({ asked: bytes, got }, 'SIP UDP receive buffer capped by the kernel (raise net.core.rmem_max for sip.udpReceiveBufferBytes)');
  } catch (err) {
    log.warn({ err, asked: bytes }, 'SIP UDP receive buffer could not be set; the kernel default stays');
  }
}
