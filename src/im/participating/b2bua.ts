// Participating IM function for 1-1 sessions: a back-to-back user agent on the signalling
// path and a back-to-back MSRP relay on the media path (DESIGN "Roles", OMA IM 7.1, 7.2.1.10
// for 1-1, 9.1.1). Each client keeps its own dialog and MSRP leg with imedge. The concerns
// live beside this file: admission (limits), fork (INVITE to every contact), legs (MSRP
// connection direction, RFC 6135), persistence (group commit, restart recovery), media (SDP).
import { randomHex } from '../../util/random-hex';
import type { IncomingRequest, SipTimers } from '../../sip/stack';
import { DEFAULT_SIP_TIMERS, newTag, parseSipUri } from '../../sip/stack';
import type { Flow, NameAddr, SipRequest, SipResponse } from '../../sip/message/types';
import { headerText } from '../../sip/message/types';
import { anonymousFrom, wantsAnonymity } from '../../sip/message/privacy';
import { upstreamStatus } from '../../sip/message/forking';
import { dialogAsUac, dialogAsUas, inDialogRequest, mediaType, type DialogState } from '../../sip/message/dialog';
import { isStoreFull, type Binding } from '../../store';
import { answererRole, isLargeMessageMode, offererConnects, type MediaFields } from '../../sdp';
import { targetsOf } from '../../core/router';
import { ALLOW_HEADER } from '../../core/capabilities';
import { isTlsMedia, msrpMediaOf, relayAnswer, relayOffer, transportChange } from './media';
import { B2bSession, type Leg, type LegName } from './session';
import { admissionRefusal } from './admission';
import { forkInvite, type ForkBranch } from '../../core/fork';
import { legFailure, openLeg, roleOf, type LegTimeouts } from './legs';
import { immediateWrite, SessionRows } from './persistence';
import { newStats, type ParticipatingDeps, type ParticipatingOptions, type ParticipatingStats } from './options';
import { SessionTable } from './table';
import type { B2bContext } from './context';
import { releaseSession } from './release';
import { cancelPendingReinvite, relayReinvite, reinviteAcked } from './reinvite';
import { confirmCaller } from './confirm';

export type { ParticipatingDeps, ParticipatingOptions, ParticipatingStats } from './options';

/** A 1-1 or large-message session as the admin page shows it; caller null when it asked for privacy. */
export interface OneToOneView {
  readonly id: string;
  readonly kind: '1-1' | 'large-message';
  readonly state: 'early' | 'confirmed' | 'terminated';
  readonly createdAt: number;
  readonly caller: string | null;
  readonly callee: string;
}

const sdpHeaders = { 'content-type': 'application/sdp' };

export class ParticipatingFunction {
  readonly stats: ParticipatingStats = newStats();
  private readonly table = new SessionTable();
  private readonly ctx: B2bContext;

  constructor(opts: ParticipatingOptions, private readonly deps: ParticipatingDeps) {
    const timers: SipTimers = opts.sipTimers ?? DEFAULT_SIP_TIMERS;
    const legTimeouts: LegTimeouts = { waitMs: opts.msrpConnectTimeoutMs, connectMs: opts.msrpDialTimeoutMs ?? opts.msrpConnectTimeoutMs };
    this.ctx = {
      opts,
      deps,
      stats: this.stats,
      table: this.table,
      rows: new SessionRows(deps.sessions, deps.grouped ?? immediateWrite),
      timers,
      legTimeouts,
      contact: (s, flow) => this.contact(s, flow),
      fireAndForget: (p, what, session) => this.fireAndForget(p, what, session),
      release: (s, reason, skip, status) => this.release(s, reason, skip, status),
      setupFailed: (s, err) => this.setupFailed(s, err),
    };
    deps.relay.onLegDown = (pairId, side) => {
      const s = this.table.byPairId(pairId);
      if (s && s.state !== 'terminated') {
        deps.log.info({ session: s.id, side }, 'MSRP leg lost: releasing the session');
        this.release(s, 'msrp-lost');
      }
    };
  }

  /** Live sessions by kind, for metrics and tests. */
  counts(): Record<string, number> {
    return this.table.counts();
  }

  get size(): number {
    return this.table.size;
  }

  /** Live sessions for the admin page: who talks to whom, never a hidden caller (RFC 3323). */
  list(): OneToOneView[] {
    return this.table.all().map((s) => ({
      id: s.id,
      kind: s.kind,
      state: s.state,
      createdAt: s.createdAt,
      caller: s.anonymous ? null : s.caller.user,
      callee: s.callee.user,
    }));
  }

  /** The operator ends a session: BYE to both clients. False when there is no such session. */
  end(id: string, reason = 'ended by the administrator'): boolean {
    const s = this.table.all().find((x) => x.id === id);
    if (s === undefined || s.state === 'terminated') return false;
    this.release(s, reason);
    return true;
  }

  // ---- entry points from the router ------------------------------------------------------

  invite = async (req: IncomingRequest): Promise<void> => {
    try {
      if (req.msg.headers.to?.params.tag) await relayReinvite(this.ctx, req);
      else await this.initialInvite(req);
    } catch (err) {
      // Whatever a session built was released inside; here only the request is left to answer.
      this.asyncFailed(err, 'INVITE handler', undefined);
      if (!req.replied) req.reply(500);
    }
  };

  ack = (req: IncomingRequest): void => {
    const found = this.table.findDialog(req.msg);
    if (!found) return;
    const [s, leg] = found;
    if (s.reinviteAck !== undefined) reinviteAcked(this.ctx, s, leg, req.msg);
    if (leg !== 'caller' || !s.ackWait) return;
    s.ackWait.acked();
    s.ackWait = undefined;
    // answered and acknowledged: the caller's INVITE (headers, SDP, flow) is no longer needed,
    // and a held session should not keep it for its whole life (issue 8: memory per session)
    s.invite = undefined;
    // RFC 3261 15: a BYE may go to the caller only after its ACK, so imedge dials a passive
    // caller now: a failure then ends a confirmed dialog the proper way.
    if (s.callerDialPending) {
      s.callerDialPending = false;
      this.openCallerLeg(s);
    }
  };

  bye = async (req: IncomingRequest): Promise<void> => {
    const found = this.table.findDialog(req.msg);
    if (!found) {
      req.reply(481, 'Call/Transaction Does Not Exist');
      return;
    }
    const [s, from] = found;
    // OMA IM 7.2.1.10 (1-1): 200 to the BYE, release the MSRP legs, BYE to the other side.
    req.reply(200);
    // debug: 'session released' follows at info with the reason
    this.deps.log.debug({ session: s.id, from, privacy: headerText(req.msg, 'privacy') }, 'BYE received: releasing the session');
    // RFC 3261 15.1.2: a BYE in the caller's early dialog ends its INVITE with 487, as a CANCEL would
    this.release(s, `bye-from-${from}`, from, s.state === 'early' && from === 'caller' ? 487 : 480);
  };

  cancel = (req: IncomingRequest): void => {
    const branch = req.msg.headers.via?.[0]?.params.branch;
    const s = branch ? this.table.byBranchId(String(branch)) : undefined;
    if (!s || !s.invite || s.invite.replied) {
      if (cancelPendingReinvite(this.ctx, req)) return;
      req.reply(481, 'Call/Transaction Does Not Exist');
      return;
    }
    // RFC 3261 9.2: 200 to the CANCEL, 487 to the INVITE, and cancel our own INVITE.
    req.reply(200);
    s.invite.reply(487, 'Request Terminated');
    this.release(s, 'cancelled', 'caller');
  };

  /**
   * RFC 3891 for the conference focus (OMA IM 7.1.1.6 step 8): the confirmed 1-1 session whose
   * dialog with `user` the Replaces names (to-tag = imedge's tag, from-tag = the user's), with
   * the other party's dialog (to be replaced in its turn) and a way to end the session.
   */
  findReplaced(
    target: { readonly callId: string; readonly toTag: string; readonly fromTag: string },
    user: string,
  ): { peerUser: string; peerDialog: DialogState; peerFlows: readonly Flow[]; end(reason: string): void } | undefined {
    const probe = { method: 'INVITE', uri: '', body: Buffer.alloc(0), headers: { 'call-id': target.callId, to: { uri: '', params: { tag: target.toTag } }, from: { uri: '', params: { tag: target.fromTag } } } };
    const found = this.table.findDialog(probe);
    if (found === undefined) return undefined;
    const [s, name] = found;
    const own = s.leg(name);
    const peer = s.leg(name === 'caller' ? 'callee' : 'caller');
    if (s.state !== 'confirmed' || s.kind !== '1-1' || own.user !== user || peer.dialog === undefined) return undefined;
    return {
      peerUser: peer.user,
      peerDialog: peer.dialog,
      peerFlows: peer.flows,
      end: (reason) => this.release(s, reason),
    };
  }

  // ---- session set-up ------------------------------------------------------------------

  private async initialInvite(req: IncomingRequest): Promise<void> {
    const { opts, deps } = this.ctx;
    const msg = req.msg;
    const from = msg.headers.from ? parseSipUri(msg.headers.from.uri) : undefined;
    const callerUser = deps.registrar.claimedUser(msg);
    const authUser = deps.auth.check(req, callerUser, 'proxy');
    if (authUser === undefined) return;
    const ruri = parseSipUri(msg.uri);
    if (!ruri || !ruri.user || !deps.registrar.isLocalHost(ruri.host)) {
      req.reply(404, 'Not Found');
      return;
    }
    const calleeUser = ruri.user;
    const tls = opts.msrp.tlsPort !== undefined;
    const offer = msrpMediaOf(mediaType(msg), msg.body, tls);
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
    const bindings = deps.registrar.lookup(calleeUser);
    if (bindings.length === 0) {
      req.reply(deps.registrar.isKnownUser(calleeUser) ? 480 : 404);
      return;
    }
    const callerName = callerUser ?? from?.user ?? 'anonymous';
    const refusal = admissionRefusal({
      live: this.table.size,
      maxSessions: opts.maxSessions,
      msrpConnectionRoom: deps.relay.net.connectionRoom,
      callerSessions: this.table.userSessions(callerName),
      calleeSessions: this.table.userSessions(calleeUser, callerName),
      maxPerUser: opts.maxSessionsPerUser,
      pendingFromSource: this.table.pendingFromSource(req.flow.address),
      maxPendingPerSource: opts.maxPendingPerSource,
      retryAfterS: opts.retryAfterS,
    });
    if (refusal) {
      this.stats.admissionRefusals++;
      deps.log.warn({ limit: refusal.limit, caller: callerName, callee: calleeUser }, 'session refused at a limit');
      req.reply(refusal.status, refusal.reason, refusal.retryAfterS !== undefined ? { headers: { 'retry-after': String(refusal.retryAfterS) } } : {});
      return;
    }

    let pair;
    try {
      // The callee's side is passive until its answer says otherwise (we offer actpass: an
      // active callee may connect before its 200 reaches us). Each leg its own transport: the
      // caller's as it offered, the callee's TLS when every contact of it registered over TLS.
      pair = deps.relay.createPair({
        a: { remotePath: offer.media.path, setup: callerRole, secure: isTlsMedia(offer.media) },
        b: { secure: tls && bindings.every((x) => this.overTls(x)) },
      });
    } catch (err) {
      this.stats.admissionRefusals++;
      deps.log.warn({ err }, 'cannot create MSRP legs');
      req.reply(503, 'Service Unavailable (MSRP legs)', { headers: { 'retry-after': String(opts.retryAfterS) } });
      return;
    }
    // From here on every step runs under the set-up boundary: a throw releases what was built
    // (caller answered, callee BYEd or cancelled, MSRP pair, maps and store cleaned).
    let s: B2bSession | undefined;
    try {
      const kind = isLargeMessageMode(offer.media) ? 'large-message' : '1-1';
      const caller: Leg = { user: callerName, flows: [req.flow], media: offer.media, ourUri: pair.aLocal, msrpRole: callerRole };
      const callee: Leg = { user: calleeUser, flows: [], ourUri: pair.bLocal };
      s = new B2bSession(randomHex(8), kind, pair.id, caller, callee);
      s.invite = req;
      s.anonymous = wantsAnonymity(headerText(msg, 'privacy'));
      caller.dialog = dialogAsUas(msg, req.localTag(), req.flow);
      const branch = msg.headers.via?.[0]?.params.branch;
      this.table.add(s, branch ? String(branch) : undefined);
      const session = s;
      s.setupTimer = setTimeout(() => this.setupTimedOut(session), opts.setupTimeoutMs);
      // debug: at info a set-up writes 'session established' and 'session released' (with the
      // reason), two lines instead of four (logging was ~3% of a set-up's server CPU)
      deps.log.debug(
        { session: s.id, kind, caller: callerName, callee: calleeUser, contacts: bindings.length, callerSetup: offer.media.setup ?? 'none', anonymous: s.anonymous },
        'session requested',
      );
      await this.forkToCallee(s, calleeUser, ruri.host, offer.media, bindings);
    } catch (err) {
      if (s) return this.setupFailed(s, err);
      deps.relay.releasePair(pair.id);
      throw err;
    }
  }

  /** Our INVITE to every binding of the callee in parallel; the first 2xx wins (fork.ts). */
  private forkToCallee(s: B2bSession, calleeUser: string, calleeHost: string, offered: MediaFields, bindings: Binding[]): Promise<void> {
    const msg = (s.invite as IncomingRequest).msg;
    const callId = `${randomHex(10)}@imedge`;
    const fromTag = newTag();
    // RFC 3323 / RFC 3325 9.3, OMA IM 7.1.1.12 step 3: an anonymous caller reaches the callee
    // as "Anonymous" with our tag; Call-ID, Contact and Via are ours anyway, and no
    // P-Asserted-Identity is ever passed on. The dialog keeps this From for every later request.
    const fromHeader: NameAddr = s.anonymous ? anonymousFrom(fromTag) : { ...(msg.headers.from as NameAddr), params: { tag: fromTag } };
    const body = relayOffer(offered, s.callee.ourUri, this.ctx.opts.msrp, s.id, ++s.sdpVersion, 'actpass');
    const privacy = headerText(msg, 'privacy');
    // RFC 3323 5.1: free text the sender wrote (Subject) can name it; an anonymous request loses it
    const subject = s.anonymous ? undefined : headerText(msg, 'subject');
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
          contact: [this.contact(s, { protocol: b.received.protocol, secure: this.overTls(b) })],
          allow: ALLOW_HEADER,
          ...(privacy ? { privacy } : {}),
          ...(subject ? { subject } : {}),
          ...sdpHeaders,
        },
        body,
      },
      targets: targetsOf(b),
    });
    const owner = {
      get waiting() {
        return s.state === 'early';
      },
      get cancels() {
        return s.cancelCallee;
      },
      set cancels(v: (() => void)[]) {
        s.cancelCallee = v;
      },
    };
    return forkInvite(this.deps.stack(), owner, bindings, branchFor, {
      onProvisional: (rs) => {
        // RFC 3261 12.1.1: a provisional with a To tag makes an early dialog, so it carries our Contact
        const inv = s.invite;
        if (inv && !inv.replied) inv.reply(rs.status, rs.reason, rs.status > 100 ? { headers: { contact: [this.contact(s, inv.flow)] } } : {});
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
    const { opts, deps } = this.ctx;
    const d = dialogAsUac(rq, rs, flows[0]);
    s.callee.dialog = d;
    s.callee.flows = flows;
    this.table.indexDialog(s, d);
    // RFC 3261 13.2.2.4: ACK every 2xx at once, whatever we do next.
    deps.stack().sendAck(inDialogRequest(d, 'ACK', { seq: rq.headers.cseq?.seq }), flows);
    const answer = msrpMediaOf(mediaType(rs), rs.body, opts.msrp.tlsPort !== undefined);
    if (!answer.ok) return this.refuseAfterAnswer(s, 488, answer.reason);
    // RFC 3264 6: the answer keeps the transport we offered this leg
    const change = transportChange(answer.media, s.callee.ourUri);
    if (change !== undefined) return this.refuseAfterAnswer(s, 488, change);
    // RFC 6135 toward the callee (we offered actpass): active -> it dials us; passive or no
    // a=setup (RFC 4975 5.4: the offerer connects) -> we dial its path.
    const calleeRole = roleOf(offererConnects(answer.media.setup));
    if (calleeRole === undefined) return this.refuseAfterAnswer(s, 488, 'callee answered a=setup:holdconn');
    const ours = relayAnswer(s.caller.media as MediaFields, answer.media, s.caller.ourUri, opts.msrp, s.id, ++s.sdpVersion);
    // The intersection of what both sides accept; nothing in common is 488 (RFC 4975 8.6).
    if (!ours.ok) return this.refuseAfterAnswer(s, 488, ours.reason);
    s.callee.media = answer.media;
    s.callee.msrpRole = calleeRole;
    deps.relay.setRemotePath(s.pairId, 'b', answer.media.path);
    // The caller is answered once the callee's leg is up, so its first SEND never meets an
    // unconnected peer; a leg that cannot be opened fails the set-up instead of leaving a
    // dead session.
    openLeg(deps.relay, s.pairId, 'b', calleeRole, this.ctx.legTimeouts)
      .then(async (outcome) => {
        if (s.state !== 'early') return;
        if (outcome !== 'connected') {
          if (calleeRole === 'active') this.stats.dialFailures++;
          this.deps.log.info({ session: s.id, outcome, role: calleeRole }, 'callee MSRP leg not established');
          const f = legFailure(outcome, 'callee');
          return this.refuseAfterAnswer(s, f.status, f.reason, f.retryAfter);
        }
        await confirmCaller(this.ctx, s, ours.body);
      })
      .catch((err: unknown) => this.setupFailed(s, err));
  }

  /** The callee answered 2xx but the session cannot go on: the caller's final error, the callee's BYE. */
  private refuseAfterAnswer(s: B2bSession, status: number, reason: string, retryAfter = false): void {
    this.deps.log.info({ session: s.id, status, reason }, 'callee answer refused');
    s.invite?.reply(status, reason, retryAfter ? { headers: { 'retry-after': String(this.ctx.opts.retryAfterS) } } : {});
    this.release(s, `answer-${status}`, 'caller');
  }

  /** imedge dials a caller that offered a=setup:passive (RFC 6135), after its ACK. */
  private openCallerLeg(s: B2bSession): void {
    openLeg(this.deps.relay, s.pairId, 'a', 'active', this.ctx.legTimeouts)
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

  // ---- release -------------------------------------------------------------------------------

  /** Ends a session (release.ts): legs, BYEs, maps and store row. Idempotent. */
  release(s: B2bSession, reason: string, skip?: LegName, callerStatus = 480): void {
    releaseSession(this.ctx, s, reason, skip, callerStatus);
  }

  /** The set-up boundary: any throw while a session is being set up releases all it built. */
  private setupFailed(s: B2bSession, err: unknown): void {
    this.stats.setupFailures++;
    if (isStoreFull(err)) {
      // issue 11 item 6(b) finding: the session row could not be written on a full data
      // directory (was 500): nothing is wrong with the request, it may succeed later
      this.deps.log.warn({ session: s.id, state: s.state }, 'session set-up failed: data directory full; releasing the session (503)');
      if (s.state !== 'terminated' && s.invite && !s.invite.replied) {
        s.invite.reply(503, 'Service Unavailable (data store full)', { headers: { 'retry-after': String(this.ctx.opts.retryAfterS) } });
      }
    } else this.deps.log.error({ err, session: s.id, state: s.state }, 'session set-up failed: releasing the session');
    if (s.state === 'terminated') return;
    this.release(s, 'setup-failed', undefined, 500);
  }

  private setupTimedOut(s: B2bSession): void {
    if (s.state !== 'early') return;
    this.stats.setupTimeouts++;
    this.deps.log.warn({ session: s.id, limitMs: this.ctx.opts.setupTimeoutMs }, 'session not established in time: releasing the session');
    // RFC 3261 16.8: like a proxy's Timer C, the caller gets 408 and the callee a CANCEL.
    this.release(s, 'setup-timeout', undefined, 408);
  }

  /** Every promise nobody awaits ends here: a rejection is logged and counted, never unhandled. */
  private fireAndForget(p: Promise<unknown>, what: string, session: string | undefined): void {
    p.catch((err: unknown) => this.asyncFailed(err, what, session));
  }

  private asyncFailed(err: unknown, what: string, session: string | undefined): void {
    this.stats.asyncErrors++;
    // a full data directory is the box's storage, not a bug: a deferred row write (a session's
    // removal) that finds no space leaves the row, which costs its legs one BYE at recovery
    if (isStoreFull(err)) this.deps.log.warn({ session, what }, 'participating function: a deferred store write found the data directory full');
    else this.deps.log.error({ err, session, what }, 'participating function: asynchronous step failed');
  }

  /** After a restart: every stored session lost its MSRP legs; tell both clients (BYE). */
  recover(): number {
    return this.ctx.rows.recover((leg, id) => {
      const bye = inDialogRequest(leg.dialog, 'BYE', { headers: { reason: 'SIP;text="imedge restarted"' } });
      this.fireAndForget(this.deps.stack().request(bye, { targets: leg.flows }), 'BYE after restart', id);
    }, this.deps.log);
  }

  /** Planned stop: BYE to every live session so no client keeps a zombie. */
  releaseAll(reason: string): void {
    for (const s of this.table.all()) this.release(s, reason);
  }

  // ---- bookkeeping ---------------------------------------------------------------------------

  /** RFC 3261 12.1.1: a dialog on a TLS flow gets a sips: Contact on the TLS port. */
  private contact(s: B2bSession, flow: Pick<Flow, 'protocol' | 'secure'>): NameAddr {
    const { sipHost, sipPort, sipTlsPort } = this.ctx.opts;
    if (flow.secure && sipTlsPort !== undefined) return { uri: `sips:im-${s.id}@${sipHost}:${sipTlsPort}`, params: {} };
    const transport = flow.protocol === 'TCP' ? ';transport=tcp' : '';
    return { uri: `sip:im-${s.id}@${sipHost}:${sipPort}${transport}`, params: {} };
  }

  /** A binding reached over TLS: a sips:/transport=tls Contact, or registered on a live TLS connection. */
  private overTls(b: Binding): boolean {
    if (this.ctx.opts.sipTlsPort === undefined) return false;
    return targetsOf(b).some((t) => t.secure === true) || this.deps.stack().isSecure(b.received);
  }

  private ackAndBye(rq: SipRequest, rs: SipResponse, flows: Flow[]): void {
    const d = dialogAsUac(rq, rs, flows[0]);
    this.deps.stack().sendAck(inDialogRequest(d, 'ACK', { seq: rq.headers.cseq?.seq }), flows);
    this.fireAndForget(this.deps.stack().request(inDialogRequest(d, 'BYE'), { targets: flows }), 'BYE to a late 2xx', undefined);
  }
}
