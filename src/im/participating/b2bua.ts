// Participating IM function for 1-1 sessions: a back-to-back user agent on the signalling
// path and a back-to-back MSRP relay on the media path (DESIGN "Roles", OMA IM 7.1, 7.2.1.10
// for 1-1, 9.1.1). Each client keeps its own dialog and MSRP leg with imedge. The concerns
// live beside this file: admission (limits), fork (INVITE to every contact), legs (MSRP
// connection direction, RFC 6135), persistence (group commit, restart recovery), media (SDP).
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../log';
import type { IncomingRequest, SipStack, SipTimers } from '../../sip/stack';
import { awaitAck, DEFAULT_SIP_TIMERS, newTag, parseSipUri } from '../../sip/stack';
import type { Flow, NameAddr, SipRequest, SipResponse } from '../../sip/message/types';
import { headerText } from '../../sip/message/types';
import { anonymousFrom, wantsAnonymity } from '../../sip/message/privacy';
import { upstreamStatus } from '../../sip/message/forking';
import {
  acceptRemoteSeq,
  dialogAsUac,
  dialogAsUas,
  inDialogRequest,
  matchesDialog,
  mediaType,
  refreshTarget,
  type DialogState,
} from '../../sip/message/dialog';
import type { Binding, SessionRepository } from '../../store';
import type { MsrpRelay } from '../../msrp/relay';
import { answererRole, isLargeMessageMode, offererConnects, type MediaDescription } from '../../sdp';
import type { AuthGate } from '../../core/auth/gate';
import type { Registrar } from '../../core/registrar';
import { targetsOf } from '../../core/router';
import { ALLOW_HEADER } from '../../core/capabilities';
import { msrpMediaOf, relayAnswer, relayOffer, type MsrpListen } from './media';
import { B2bSession, type Leg, type LegName } from './session';
import { admissionRefusal } from './admission';
import { forkInvite, type ForkBranch } from './fork';
import { legFailure, openLeg, roleOf, type LegTimeouts } from './legs';
import { immediateWrite, SessionRows, type GroupedWrite } from './persistence';

export interface ParticipatingOptions {
  /** Host and port written in our Contact headers. */
  sipHost: string;
  sipPort: number;
  msrp: MsrpListen;
  maxSessions: number;
  maxSessionsPerUser: number;
  retryAfterS: number;
  /** A client that connects to imedge must have done so this long after it was answered. */
  msrpConnectTimeoutMs: number;
  /**
   * An MSRP connection imedge opens (to a peer that is passive, RFC 6135, or has no a=setup,
   * RFC 4975 5.4) must connect and have its binding SEND answered within this long (msrp.connectTimeoutMs).
   */
  msrpDialTimeoutMs?: number;
  /** A large-message session (9.1.1) is released after this long whatever happens. */
  largeMessageMaxMs: number;
  /**
   * A session still early this long after the caller's INVITE is released: the caller gets
   * 408 (as a proxy's Timer C, RFC 3261 16.8), the callee a CANCEL or a BYE.
   */
  setupTimeoutMs: number;
  /** T1/T2 for resending our 2xx to the caller until its ACK (sip.t1Ms, sip.t2Ms). */
  sipTimers?: SipTimers;
}

/** Failures the participating function met and survived, for logs, metrics and tests. */
export interface ParticipatingStats {
  /** A session set-up step threw: the session was released (caller 500, callee BYE/CANCEL). */
  setupFailures: number;
  /** Sessions still early when setupTimeoutMs ran out. */
  setupTimeouts: number;
  /** 2xx answers that arrived for a released session (ACKed, written nowhere). */
  lateAnswers: number;
  /** A fire-and-forget promise (BYE, MSRP wait, handler) rejected. */
  asyncErrors: number;
  /** A release step threw; the other steps still ran. */
  releaseErrors: number;
  /** New sessions refused at a limit (box, MSRP connections, per user). */
  admissionRefusals: number;
  /** MSRP connections imedge had to open (RFC 6135 active side) that failed. */
  dialFailures: number;
}

export interface ParticipatingDeps {
  stack: () => SipStack;
  registrar: Registrar;
  auth: AuthGate;
  relay: MsrpRelay;
  sessions: SessionRepository;
  /** Group commit of the store (Store.grouped); without it every write runs at once. */
  grouped?: GroupedWrite;
  log: Logger;
}

const sdpHeaders = { 'content-type': 'application/sdp' };

export class ParticipatingFunction {
  readonly stats: ParticipatingStats = {
    setupFailures: 0,
    setupTimeouts: 0,
    lateAnswers: 0,
    asyncErrors: 0,
    releaseErrors: 0,
    admissionRefusals: 0,
    dialFailures: 0,
  };
  private readonly sessions = new Map<string, B2bSession>();
  /** Call-ID -> sessions with a leg in that dialog (caller Call-IDs are not ours to choose). */
  private readonly byCallId = new Map<string, Set<B2bSession>>();
  private readonly byPair = new Map<string, B2bSession>();
  /** Top Via branch of a pending caller INVITE -> its session, for CANCEL (RFC 3261 9.2). */
  private readonly byBranch = new Map<string, B2bSession>();
  private readonly rows: SessionRows;
  private readonly timers: SipTimers;
  private readonly legTimeouts: LegTimeouts;

  constructor(private readonly opts: ParticipatingOptions, private readonly deps: ParticipatingDeps) {
    this.rows = new SessionRows(deps.sessions, deps.grouped ?? immediateWrite);
    this.timers = opts.sipTimers ?? DEFAULT_SIP_TIMERS;
    this.legTimeouts = { waitMs: opts.msrpConnectTimeoutMs, connectMs: opts.msrpDialTimeoutMs ?? opts.msrpConnectTimeoutMs };
    deps.relay.onLegDown = (pairId, side) => {
      const s = this.byPair.get(pairId);
      if (s && s.state !== 'terminated') {
        deps.log.info({ session: s.id, side }, 'MSRP leg lost: releasing the session');
        this.release(s, 'msrp-lost');
      }
    };
  }

  /** Live sessions by kind, for metrics and tests. */
  counts(): Record<string, number> {
    const out: Record<string, number> = { '1-1': 0, 'large-message': 0 };
    for (const s of this.sessions.values()) out[s.kind]++;
    return out;
  }

  get size(): number {
    return this.sessions.size;
  }

  // ---- entry points from the router ------------------------------------------------------

  invite = async (req: IncomingRequest): Promise<void> => {
    try {
      if (req.msg.headers.to?.params.tag) await this.reinvite(req);
      else await this.initialInvite(req);
    } catch (err) {
      // Whatever a session built was released inside; here only the request is left to answer.
      this.asyncFailed(err, 'INVITE handler', undefined);
      if (!req.replied) req.reply(500);
    }
  };

  ack = (req: IncomingRequest): void => {
    const found = this.findDialog(req.msg);
    if (!found) return;
    const [s, leg] = found;
    if (leg !== 'caller' || !s.ackWait) return;
    s.ackWait.acked();
    s.ackWait = undefined;
    // RFC 3261 15: a BYE may go to the caller only after its ACK, so imedge dials a passive
    // caller now: a failure then ends a confirmed dialog the proper way.
    if (s.callerDialPending) {
      s.callerDialPending = false;
      this.openCallerLeg(s);
    }
  };

  bye = async (req: IncomingRequest): Promise<void> => {
    const found = this.findDialog(req.msg);
    if (!found) {
      req.reply(481, 'Call/Transaction Does Not Exist');
      return;
    }
    const [s, from] = found;
    // OMA IM 7.2.1.10 (1-1): 200 to the BYE, release the MSRP legs, BYE to the other side.
    req.reply(200);
    this.deps.log.info({ session: s.id, from, privacy: headerText(req.msg, 'privacy') }, 'BYE received: releasing the session');
    this.release(s, `bye-from-${from}`, from);
  };

  cancel = (req: IncomingRequest): void => {
    const branch = req.msg.headers.via?.[0]?.params.branch;
    const s = branch ? this.byBranch.get(String(branch)) : undefined;
    if (!s || !s.invite || s.invite.replied) {
      req.reply(481, 'Call/Transaction Does Not Exist');
      return;
    }
    // RFC 3261 9.2: 200 to the CANCEL, 487 to the INVITE, and cancel our own INVITE.
    req.reply(200);
    s.invite.reply(487, 'Request Terminated');
    this.release(s, 'cancelled', 'caller');
  };

  // ---- session set-up ------------------------------------------------------------------

  private async initialInvite(req: IncomingRequest): Promise<void> {
    const msg = req.msg;
    const from = msg.headers.from ? parseSipUri(msg.headers.from.uri) : undefined;
    const callerUser = from?.user && this.deps.registrar.isLocalHost(from.host) ? from.user : undefined;
    const authUser = this.deps.auth.check(req, callerUser, 'proxy');
    if (authUser === undefined) return;
    const ruri = parseSipUri(msg.uri);
    if (!ruri || !ruri.user || !this.deps.registrar.isLocalHost(ruri.host)) {
      req.reply(404, 'Not Found');
      return;
    }
    const calleeUser = ruri.user;
    const offer = msrpMediaOf(mediaType(msg), msg.body);
    if (!offer.ok) {
      req.reply(offer.status, offer.reason, offer.status === 415 ? { headers: { accept: 'application/sdp' } } : {});
      return;
    }
    // RFC 6135 toward the caller: passive to actpass/active/none (the client connects out, NAT
    // friendly), active to passive (imedge dials it after its ACK); holdconn has no leg to relay.
    const callerRole = roleOf(answererRole(offer.media.setup).connects);
    if (callerRole === undefined) {
      req.reply(488, 'Not Acceptable Here (a=setup:holdconn not supported)');
      return;
    }
    const bindings = this.deps.registrar.lookup(calleeUser);
    if (bindings.length === 0) {
      req.reply(this.deps.registrar.isKnownUser(calleeUser) ? 480 : 404);
      return;
    }
    const callerName = callerUser ?? from?.user ?? 'anonymous';
    const refusal = admissionRefusal({
      live: this.sessions.size,
      maxSessions: this.opts.maxSessions,
      msrpConnectionRoom: this.deps.relay.net.connectionRoom,
      callerSessions: this.userSessions(callerName, undefined),
      calleeSessions: this.userSessions(calleeUser, callerName),
      maxPerUser: this.opts.maxSessionsPerUser,
      retryAfterS: this.opts.retryAfterS,
    });
    if (refusal) {
      this.stats.admissionRefusals++;
      this.deps.log.warn({ limit: refusal.limit, caller: callerName, callee: calleeUser }, 'session refused at a limit');
      req.reply(refusal.status, refusal.reason, refusal.retryAfterS !== undefined ? { headers: { 'retry-after': String(refusal.retryAfterS) } } : {});
      return;
    }

    let pair;
    try {
      // The callee's side is passive until its answer says otherwise (we offer actpass: an
      // active callee may connect before its 200 reaches us).
      pair = this.deps.relay.createPair({ a: { remotePath: offer.media.path, setup: callerRole }, b: {} });
    } catch (err) {
      this.stats.admissionRefusals++;
      this.deps.log.warn({ err }, 'cannot create MSRP legs');
      req.reply(503, 'Service Unavailable (MSRP legs)', { headers: { 'retry-after': String(this.opts.retryAfterS) } });
      return;
    }
    // From here on every step runs under the set-up boundary: a throw releases what was built
    // (caller answered, callee BYEd or cancelled, MSRP pair, maps and store cleaned).
    let s: B2bSession | undefined;
    try {
      const kind = isLargeMessageMode(offer.media) ? 'large-message' : '1-1';
      const caller: Leg = { user: callerName, flows: [req.flow], media: offer.media, ourUri: pair.aLocal, msrpRole: callerRole };
      const callee: Leg = { user: calleeUser, flows: [], ourUri: pair.bLocal };
      s = new B2bSession(randomBytes(8).toString('hex'), kind, pair.id, caller, callee);
      s.invite = req;
      s.anonymous = wantsAnonymity(headerText(msg, 'privacy'));
      caller.dialog = dialogAsUas(msg, req.localTag(), req.flow);
      this.track(s);
      const branch = msg.headers.via?.[0]?.params.branch;
      if (branch) this.byBranch.set(String(branch), s);
      const session = s;
      s.setupTimer = setTimeout(() => this.setupTimedOut(session), this.opts.setupTimeoutMs);
      req.reply(100, 'Trying');
      this.deps.log.info(
        { session: s.id, kind, caller: callerName, callee: calleeUser, contacts: bindings.length, callerSetup: offer.media.setup ?? 'none', anonymous: s.anonymous },
        'session requested',
      );
      await this.forkToCallee(s, calleeUser, ruri.host, offer.media, bindings);
    } catch (err) {
      if (s) return this.setupFailed(s, err);
      this.deps.relay.releasePair(pair.id);
      throw err;
    }
  }

  /** Our INVITE to every binding of the callee in parallel; the first 2xx wins (fork.ts). */
  private forkToCallee(s: B2bSession, calleeUser: string, calleeHost: string, offered: MediaDescription, bindings: Binding[]): Promise<void> {
    const msg = (s.invite as IncomingRequest).msg;
    const callId = `${randomBytes(10).toString('hex')}@imedge`;
    const fromTag = newTag();
    // RFC 3323 / RFC 3325 9.3, OMA IM 7.1.1.12 step 3: an anonymous caller reaches the callee
    // as "Anonymous" with our tag; Call-ID, Contact and Via are ours anyway, and no
    // P-Asserted-Identity is ever passed on. The dialog keeps this From for every later request.
    const fromHeader: NameAddr = s.anonymous ? anonymousFrom(fromTag) : { ...(msg.headers.from as NameAddr), params: { tag: fromTag } };
    const body = relayOffer(offered, s.callee.ourUri, this.opts.msrp, s.id, ++s.sdpVersion, 'actpass');
    const privacy = headerText(msg, 'privacy');
    const subject = headerText(msg, 'subject');
    const branchFor = (b: Binding): ForkBranch => ({
      request: {
        method: 'INVITE',
        uri: b.contact,
        headers: {
          via: [],
          'max-forwards': '70',
          from: fromHeader,
          to: { uri: `sip:${calleeUser}@${calleeHost}`, params: {} },
          'call-id': callId,
          cseq: { seq: 1, method: 'INVITE' },
          contact: [this.contact(s, b.received.protocol)],
          allow: ALLOW_HEADER,
          ...(privacy ? { privacy } : {}),
          ...(subject ? { subject } : {}),
          ...sdpHeaders,
        },
        body,
      },
      targets: targetsOf(b),
    });
    return forkInvite(this.deps.stack(), s, bindings, branchFor, {
      onProvisional: (rs) => {
        if (s.invite && !s.invite.replied) s.invite.reply(rs.status, rs.reason);
      },
      onAnswered: (branch, rs) => this.calleeAnswered(s, branch.request, rs, branch.targets),
      onLateAnswer: (branch, rs) => this.ackAndBye(branch.request, rs, branch.targets),
      onAllFailed: (best) => {
        // RFC 3261 16.7 step 6: the best final response, a 503 passed on as 500.
        const status = best ? upstreamStatus(best.status) : 480;
        s.invite?.reply(status, best && status === best.status ? best.reason : undefined);
        this.release(s, `callee-${status}`, 'caller');
      },
      onError: (err) => this.setupFailed(s, err),
    });
  }

  private calleeAnswered(s: B2bSession, rq: SipRequest, rs: SipResponse, flows: Flow[]): void {
    const d = dialogAsUac(rq, rs, flows[0]);
    s.callee.dialog = d;
    s.callee.flows = flows;
    this.indexDialog(s, d);
    // RFC 3261 13.2.2.4: ACK every 2xx at once, whatever we do next.
    this.deps.stack().sendAck(inDialogRequest(d, 'ACK', { seq: rq.headers.cseq?.seq }), flows);
    const answer = msrpMediaOf(mediaType(rs), rs.body);
    if (!answer.ok) return this.refuseAfterAnswer(s, 488, answer.reason);
    // RFC 6135 toward the callee (we offered actpass): active -> it dials us; passive or no
    // a=setup (RFC 4975 5.4: the offerer connects) -> we dial its path.
    const calleeRole = roleOf(offererConnects(answer.media.setup));
    if (calleeRole === undefined) return this.refuseAfterAnswer(s, 488, 'callee answered a=setup:holdconn');
    const ours = relayAnswer(s.caller.media as MediaDescription, answer.media, s.caller.ourUri, this.opts.msrp, s.id, ++s.sdpVersion);
    // The intersection of what both sides accept; nothing in common is 488 (RFC 4975 8.6).
    if (!ours.ok) return this.refuseAfterAnswer(s, 488, ours.reason);
    s.callee.media = answer.media;
    s.callee.msrpRole = calleeRole;
    this.deps.relay.setRemotePath(s.pairId, 'b', answer.media.path);
    // The caller is answered once the callee's leg is up, so its first SEND never meets an
    // unconnected peer; a leg that cannot be opened fails the set-up instead of leaving a
    // dead session.
    openLeg(this.deps.relay, s.pairId, 'b', calleeRole, this.legTimeouts)
      .then((outcome) => {
        if (s.state !== 'early') return;
        if (outcome !== 'connected') {
          if (calleeRole === 'active') this.stats.dialFailures++;
          const f = legFailure(outcome, 'callee');
          return this.refuseAfterAnswer(s, f.status, f.reason, f.retryAfter);
        }
        return this.confirmCaller(s, ours.body);
      })
      .catch((err: unknown) => this.setupFailed(s, err));
  }

  /** The callee answered 2xx but the session cannot go on: the caller's final error, the callee's BYE. */
  private refuseAfterAnswer(s: B2bSession, status: number, reason: string, retryAfter = false): void {
    this.deps.log.info({ session: s.id, status, reason }, 'callee answer refused');
    s.invite?.reply(status, reason, retryAfter ? { headers: { 'retry-after': String(this.opts.retryAfterS) } } : {});
    this.release(s, `answer-${status}`, 'caller');
  }

  /**
   * The session row goes into the next group commit and the caller's 200 only after COMMIT
   * (an acknowledged session survives a power cut; one fsync per batch window, not per set-up).
   */
  private async confirmCaller(s: B2bSession, body: Buffer): Promise<void> {
    try {
      await this.rows.save(s);
    } catch (err) {
      return this.setupFailed(s, err);
    }
    // released while the batch was committing (CANCEL, set-up timeout): nothing was written
    if (s.state !== 'early') return;
    const invite = s.invite as IncomingRequest;
    invite.reply(200, 'OK', { headers: { contact: [this.contact(s, invite.flow.protocol)], allow: ALLOW_HEADER, ...sdpHeaders }, body });
    s.state = 'confirmed';
    clearTimeout(s.setupTimer);
    s.setupTimer = undefined;
    this.byBranch.delete(String(invite.msg.headers.via?.[0]?.params.branch));
    // RFC 3261 13.3.1.4: resend the 2xx over UDP until the ACK; none within 64*T1 ends the session.
    s.ackWait = awaitAck({
      timers: this.timers,
      reliable: invite.flow.protocol !== 'UDP',
      resend: () => invite.resendFinal(),
      onTimeout: () => {
        s.ackWait = undefined;
        if (s.state === 'terminated') return;
        this.deps.log.warn({ session: s.id }, 'no ACK for our 2xx: releasing the session');
        this.release(s, 'no-ack');
      },
    });
    s.callerDialPending = s.caller.msrpRole === 'active';
    this.armConnectTimer(s);
    this.deps.log.info({ session: s.id, kind: s.kind, callerRole: s.caller.msrpRole, calleeRole: s.callee.msrpRole }, 'session established');
  }

  /** imedge dials a caller that offered a=setup:passive (RFC 6135), after its ACK. */
  private openCallerLeg(s: B2bSession): void {
    openLeg(this.deps.relay, s.pairId, 'a', 'active', this.legTimeouts)
      .then((outcome) => {
        if (s.state === 'terminated' || outcome === 'connected') return;
        this.stats.dialFailures++;
        this.deps.log.info({ session: s.id, outcome }, 'caller MSRP connection failed: releasing the session');
        this.release(s, `caller-msrp-${outcome}`);
      })
      .catch((err: unknown) => {
        this.asyncFailed(err, 'MSRP connect to the caller', s.id);
        this.release(s, 'caller-msrp-failed');
      });
  }

  private armConnectTimer(s: B2bSession): void {
    const limit = s.kind === 'large-message' ? this.opts.largeMessageMaxMs : Math.max(this.legTimeouts.waitMs, this.legTimeouts.connectMs);
    s.connectTimer = setTimeout(() => {
      if (s.state === 'terminated') return;
      if (s.kind === 'large-message' || !this.deps.relay.isConnected(s.pairId)) {
        this.deps.log.info({ session: s.id, kind: s.kind }, s.kind === 'large-message' ? 'large message session timed out' : 'MSRP legs not connected in time');
        this.release(s, 'msrp-timeout');
      }
    }, limit);
  }

  // ---- in-dialog ---------------------------------------------------------------------------

  /** OMA IM 7.1.1.5: modification by re-INVITE; relayed to the other leg with our own path. */
  private async reinvite(req: IncomingRequest): Promise<void> {
    const found = this.findDialog(req.msg);
    if (!found) {
      req.reply(481, 'Call/Transaction Does Not Exist');
      return;
    }
    const [s, from] = found;
    const leg = s.leg(from);
    const to = s.leg(s.other(from));
    if (!acceptRemoteSeq(leg.dialog as DialogState, req.msg)) {
      req.reply(500, 'Server Internal Error (CSeq out of order)');
      return;
    }
    if (s.state !== 'confirmed' || s.modifying) {
      req.reply(491, 'Request Pending');
      return;
    }
    const offer = msrpMediaOf(mediaType(req.msg), req.msg.body);
    if (!offer.ok) {
      req.reply(offer.status, offer.reason);
      return;
    }
    s.modifying = true;
    s.pendingReinvite = req;
    try {
      refreshTarget(leg.dialog as DialogState, req.msg);
      const d = to.dialog as DialogState;
      // A re-offer keeps each leg's running MSRP connection: imedge repeats its role there.
      const rq = inDialogRequest(d, 'INVITE', {
        body: relayOffer(offer.media, to.ourUri, this.opts.msrp, s.id, ++s.sdpVersion, to.msrpRole ?? 'passive'),
        contentType: 'application/sdp',
        headers: { contact: [this.contact(s, to.flows[0]?.protocol ?? 'UDP')] },
      });
      const rs = await this.deps.stack().request(rq, { targets: to.flows });
      // The session ended while the other side held its answer (BYE, timeout, MSRP loss): the
      // re-INVITE was answered 487 by release(); the late answer changes nothing and is stored nowhere.
      if (s.released) return this.lateReinviteAnswer(s, to, d, rq, rs);
      if (rs.status < 200 || rs.status >= 300) {
        req.reply(rs.status, rs.reason);
        return;
      }
      this.deps.stack().sendAck(inDialogRequest(d, 'ACK', { seq: rq.headers.cseq?.seq }), to.flows);
      refreshTarget(d, rs);
      const answer = msrpMediaOf(mediaType(rs), rs.body);
      const ours = answer.ok ? relayAnswer(offer.media, answer.media, leg.ourUri, this.opts.msrp, s.id, ++s.sdpVersion, leg.msrpRole ?? 'passive') : answer;
      if (!answer.ok || !ours.ok) {
        // The other side took the change but we cannot answer it: keep the old parameters.
        req.reply(488, ours.ok ? 'Not Acceptable Here' : ours.reason);
        return;
      }
      leg.media = offer.media;
      to.media = answer.media;
      // the new dialog state is committed before the 200 that acknowledges it
      await this.rows.save(s).catch((err: unknown) => this.deps.log.error({ err, session: s.id }, 'cannot persist session'));
      req.reply(200, 'OK', { headers: { contact: [this.contact(s, req.flow.protocol)], ...sdpHeaders }, body: ours.body });
      this.deps.log.info({ session: s.id, from, acceptTypes: offer.media.acceptTypes }, 'session modified by re-INVITE');
    } finally {
      s.modifying = false;
      if (s.pendingReinvite === req) s.pendingReinvite = undefined;
    }
  }

  /** RFC 3261 13.2.2.4: every 2xx to an INVITE is ACKed; a dialog no BYE ended yet gets one (15). */
  private lateReinviteAnswer(s: B2bSession, to: Leg, d: DialogState, rq: SipRequest, rs: SipResponse): void {
    if (rs.status < 200 || rs.status >= 300) return;
    this.stats.lateAnswers++;
    this.deps.stack().sendAck(inDialogRequest(d, 'ACK', { seq: rq.headers.cseq?.seq }), to.flows);
    if (!to.ended) {
      to.ended = true;
      this.fireAndForget(this.deps.stack().request(inDialogRequest(d, 'BYE'), { targets: to.flows }), 'BYE after a late re-INVITE answer', s.id);
    }
    this.deps.log.info({ session: s.id, status: rs.status }, 're-INVITE answered after the session was released: ACKed and ignored');
  }

  // ---- release -------------------------------------------------------------------------------

  /**
   * Ends a session: MSRP legs released at once (sockets, rings, timers), BYE to every leg
   * that did not itself end it, store row removed. Idempotent.
   */
  release(s: B2bSession, reason: string, skip?: LegName, callerStatus = 480): void {
    if (s.state === 'terminated') return;
    const wasEarly = s.state === 'early';
    s.state = 'terminated';
    s.clearTimers();
    // Each step on its own: one that throws must not keep the others from running.
    this.releaseStep(s, 'cancel callee INVITEs', () => {
      const cancels = s.cancelCallee;
      s.cancelCallee = [];
      for (const c of cancels) c();
    });
    this.releaseStep(s, 'answer caller INVITE', () => {
      if (s.invite && !s.invite.replied) s.invite.reply(wasEarly ? callerStatus : 500);
    });
    // RFC 3261 15.1.2: requests still pending in the dialog get 487.
    this.releaseStep(s, 'answer pending re-INVITE', () => {
      const p = s.pendingReinvite;
      s.pendingReinvite = undefined;
      if (p && !p.replied) p.reply(487, 'Request Terminated');
    });
    // BYE first, then the legs: a client then learns the end from signalling, not from a
    // closed MSRP socket.
    for (const name of ['caller', 'callee'] as const) {
      const leg = s.leg(name);
      if (name === skip) leg.ended = true;
      if (name === skip || !leg.dialog || leg.ended || (wasEarly && name === 'caller')) continue;
      leg.ended = true;
      this.releaseStep(s, `BYE to ${name}`, () => {
        const bye = inDialogRequest(leg.dialog as DialogState, 'BYE', { headers: { reason: `SIP;text="${reason}"` } });
        this.fireAndForget(this.deps.stack().request(bye, { targets: leg.flows }), `BYE to ${name}`, s.id);
      });
    }
    this.releaseStep(s, 'release MSRP pair', () => this.deps.relay.releasePair(s.pairId));
    this.releaseStep(s, 'forget session', () => this.untrack(s));
    this.releaseStep(s, 'remove session row', () => this.fireAndForget(this.rows.remove(s), 'remove session row', s.id));
    this.deps.log.info({ session: s.id, reason, lifetimeMs: Date.now() - s.createdAt }, 'session released');
  }

  /** The set-up boundary: any throw while a session is being set up releases all it built. */
  private setupFailed(s: B2bSession, err: unknown): void {
    this.stats.setupFailures++;
    this.deps.log.error({ err, session: s.id, state: s.state }, 'session set-up failed: releasing the session');
    if (s.state === 'terminated') return;
    this.release(s, 'setup-failed', undefined, 500);
  }

  private setupTimedOut(s: B2bSession): void {
    if (s.state !== 'early') return;
    this.stats.setupTimeouts++;
    this.deps.log.warn({ session: s.id, limitMs: this.opts.setupTimeoutMs }, 'session not established in time: releasing the session');
    // RFC 3261 16.8: like a proxy's Timer C, the caller gets 408 and the callee a CANCEL.
    this.release(s, 'setup-timeout', undefined, 408);
  }

  private releaseStep(s: B2bSession, what: string, step: () => unknown): void {
    try {
      step();
    } catch (err) {
      this.stats.releaseErrors++;
      this.deps.log.error({ err, session: s.id, step: what }, 'session release step failed');
    }
  }

  /** Every promise nobody awaits ends here: a rejection is logged and counted, never unhandled. */
  private fireAndForget(p: Promise<unknown>, what: string, session: string | undefined): void {
    p.catch((err: unknown) => this.asyncFailed(err, what, session));
  }

  private asyncFailed(err: unknown, what: string, session: string | undefined): void {
    this.stats.asyncErrors++;
    this.deps.log.error({ err, session, what }, 'participating function: asynchronous step failed');
  }

  /** After a restart: every stored session lost its MSRP legs; tell both clients (BYE). */
  recover(): number {
    return this.rows.recover((leg, id) => {
      const bye = inDialogRequest(leg.dialog, 'BYE', { headers: { reason: 'SIP;text="imedge restarted"' } });
      this.fireAndForget(this.deps.stack().request(bye, { targets: leg.flows }), 'BYE after restart', id);
    }, this.deps.log);
  }

  /** Planned stop: BYE to every live session so no client keeps a zombie. */
  releaseAll(reason: string): void {
    for (const s of [...this.sessions.values()]) this.release(s, reason);
  }

  // ---- bookkeeping ---------------------------------------------------------------------------

  private contact(s: B2bSession, protocol: 'UDP' | 'TCP'): NameAddr {
    const transport = protocol === 'TCP' ? ';transport=tcp' : '';
    return { uri: `sip:im-${s.id}@${this.opts.sipHost}:${this.opts.sipPort}${transport}`, params: {} };
  }

  /**
   * Sessions that count against a user's limit: everything it takes part in, except sessions
   * still ringing toward it from others. Otherwise anyone could lock a user out (of calling
   * and of being called) with a few INVITEs it never answers. An inbound ringing session counts
   * only against the caller that placed it (`from`), so a flooder fills its own slots.
   */
  private userSessions(user: string, from: string | undefined): number {
    let n = 0;
    for (const s of this.sessions.values()) {
      if (s.caller.user === user) n++;
      else if (s.callee.user === user && (s.state !== 'early' || s.caller.user === from)) n++;
    }
    return n;
  }

  private track(s: B2bSession): void {
    this.sessions.set(s.id, s);
    this.byPair.set(s.pairId, s);
    if (s.caller.dialog) this.indexDialog(s, s.caller.dialog);
  }

  private indexDialog(s: B2bSession, d: DialogState): void {
    let set = this.byCallId.get(d.callId);
    if (!set) this.byCallId.set(d.callId, (set = new Set()));
    set.add(s);
  }

  private untrack(s: B2bSession): void {
    this.sessions.delete(s.id);
    this.byPair.delete(s.pairId);
    for (const leg of [s.caller, s.callee]) {
      const set = leg.dialog ? this.byCallId.get(leg.dialog.callId) : undefined;
      set?.delete(s);
      if (set && set.size === 0 && leg.dialog) this.byCallId.delete(leg.dialog.callId);
    }
    for (const [b, x] of this.byBranch) if (x === s) this.byBranch.delete(b);
  }

  private findDialog(m: SipRequest): [B2bSession, LegName] | undefined {
    const set = this.byCallId.get(m.headers['call-id'] ?? '');
    if (!set) return undefined;
    for (const s of set) {
      for (const name of ['caller', 'callee'] as const) {
        const d = s.leg(name).dialog;
        if (d && matchesDialog(d, m)) return [s, name];
      }
    }
    return undefined;
  }

  private ackAndBye(rq: SipRequest, rs: SipResponse, flows: Flow[]): void {
    const d = dialogAsUac(rq, rs, flows[0]);
    this.deps.stack().sendAck(inDialogRequest(d, 'ACK', { seq: rq.headers.cseq?.seq }), flows);
    this.fireAndForget(this.deps.stack().request(inDialogRequest(d, 'BYE'), { targets: flows }), 'BYE to a late 2xx', undefined);
  }
}
