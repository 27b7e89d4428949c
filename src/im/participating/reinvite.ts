// OMA IM 7.1.1.5: a session is modified by re-INVITE only; imedge relays it to the other leg
// with its own path and answers with the intersection, keeping each leg's MSRP connection.
import { randomInt } from 'node:crypto';
import { awaitAck, type IncomingRequest } from '../../sip/stack';
import type { SipRequest, SipResponse } from '../../sip/message/types';
import { acceptRemoteSeq, inDialogRequest, mediaType, refreshTarget, type DialogState } from '../../sip/message/dialog';
import type { B2bContext } from './context';
import { msrpMediaOf, pathChange, relayAnswer, relayOffer, transportChange } from './media';
import type { B2bSession, Leg, LegName } from './session';

const sdpHeaders = { 'content-type': 'application/sdp' };

export async function relayReinvite(ctx: B2bContext, req: IncomingRequest): Promise<void> {
  const found = ctx.table.findDialog(req.msg);
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
  if (s.modifying && s.reinviteFrom === from) {
    refuseOverlapping(req);
    return;
  }
  if (s.state !== 'confirmed' || s.modifying) {
    // RFC 3261 14.2: imedge's own re-INVITE on this dialog (relaying the other side's) is in progress
    req.reply(491, 'Request Pending');
    return;
  }
  if (req.msg.body.length === 0) {
    offerInAnswer(ctx, s, from, req);
    return;
  }
  const offer = msrpMediaOf(mediaType(req.msg), req.msg.body, ctx.opts.msrp.tlsPort !== undefined);
  if (!offer.ok) {
    req.reply(offer.status, offer.reason);
    return;
  }
  const moved = pathChange(offer.media, leg.media);
  if (moved !== undefined) {
    req.reply(488, moved);
    return;
  }
  const { opts, deps } = ctx;
  s.modifying = true;
  s.pendingReinvite = req;
  s.reinviteFrom = from;
  let timer: NodeJS.Timeout | undefined;
  try {
    refreshTarget(leg.dialog as DialogState, req.msg);
    const d = to.dialog as DialogState;
    // A re-offer keeps each leg's running MSRP connection: imedge repeats its role there.
    const rq = inDialogRequest(d, 'INVITE', {
      body: relayOffer(offer.media, to.ourUri, opts.msrp, s.id, ++s.sdpVersion, to.msrpRole ?? 'passive'),
      contentType: 'application/sdp',
      headers: { contact: [ctx.contact(s, to.flows[0] ?? { protocol: 'UDP' })] },
    });
    // cancelable: release() ends it if the session goes while the other side holds its answer
    const call = deps.stack().inviteCancelable(rq, { targets: to.flows });
    s.cancelReinvite = call.cancel;
    // RFC 3261 16.8 (Timer C, as a proxy): a side that answers 100 and nothing more would hold
    // the dialog's offer/answer for ever (every later re-INVITE 500); the re-INVITE is CANCELed
    // after sessions.setupTimeoutMs and the client gets 408 then, not once the other side ends
    // it (a side that ignores the CANCEL too is given up 64*T1 later, 9.1: until then the
    // dialog stays busy, a new re-INVITE 500 + Retry-After)
    let timedOut = false;
    timer = setTimeout(() => {
      timedOut = true;
      ctx.stats.reinviteTimeouts++;
      deps.log.warn({ session: s.id, from, limitMs: opts.setupTimeoutMs }, 're-INVITE got no final answer in time: CANCELed, client answered 408');
      if (!req.replied) req.reply(408, 'Request Timeout');
      call.cancel();
    }, opts.setupTimeoutMs);
    timer.unref();
    const rs = await call.response;
    clearTimeout(timer);
    // the caller's CANCEL reached the other side too late (cancelPendingReinvite): its 2xx is
    // relayed like any, so both legs keep the same session description (as a proxy, 16.7)
    // The session ended while the other side held its answer (BYE, timeout, MSRP loss): the
    // re-INVITE was answered 487 by release(); the late answer changes nothing and is stored nowhere.
    if (s.released) return lateReinviteAnswer(ctx, s, to, d, rq, rs);
    if (timedOut) return answeredAfterTimeout(ctx, s, to, d, rq, rs);
    if (rs.status < 200 || rs.status >= 300) {
      req.reply(rs.status, rs.reason);
      return;
    }
    deps.stack().sendAck(inDialogRequest(d, 'ACK', { seq: rq.headers.cseq?.seq }), to.flows);
    refreshTarget(d, rs);
    const answer = msrpMediaOf(mediaType(rs), rs.body, opts.msrp.tlsPort !== undefined);
    const ours = answer.ok ? relayAnswer(offer.media, answer.media, leg.ourUri, opts.msrp, s.id, ++s.sdpVersion, leg.msrpRole ?? 'passive') : answer;
    if (!answer.ok || !ours.ok) {
      // The other side took the change but we cannot answer it: keep the old parameters.
      req.reply(488, ours.ok ? 'Not Acceptable Here' : ours.reason);
      return;
    }
    leg.media = offer.media;
    to.media = answer.media;
    // the new dialog state is committed before the 200 that acknowledges it
    await ctx.rows.save(s).catch((err: unknown) => deps.log.error({ err, session: s.id }, 'cannot persist session'));
    req.reply(200, 'OK', { headers: { contact: [ctx.contact(s, req.flow)], ...sdpHeaders }, body: ours.body });
    keepUntilAck(ctx, s, from, req, false);
    deps.log.info({ session: s.id, from, acceptTypes: offer.media.acceptTypes }, 'session modified by re-INVITE');
  } finally {
    clearTimeout(timer);
    s.modifying = false;
    if (s.pendingReinvite === req) {
      s.pendingReinvite = undefined;
      s.reinviteFrom = undefined;
      s.cancelReinvite = undefined;
    }
  }
}

/**
 * RFC 3261 14.1 / 13.2.1: a re-INVITE without an offer (a session refresh, say) is answered 200
 * with imedge's current description of the leg as the offer; the client's answer comes in the
 * ACK (ackAnswer). Nothing goes to the other leg: the session is unchanged until that answer.
 */
function offerInAnswer(ctx: B2bContext, s: B2bSession, from: LegName, req: IncomingRequest): void {
  const leg = s.leg(from);
  const to = s.leg(s.other(from));
  if (to.media === undefined) {
    req.reply(500, 'Server Internal Error (no description to offer)');
    return;
  }
  refreshTarget(leg.dialog as DialogState, req.msg);
  const body = relayOffer(to.media, leg.ourUri, ctx.opts.msrp, s.id, ++s.sdpVersion, leg.msrpRole ?? 'passive');
  req.reply(200, 'OK', { headers: { contact: [ctx.contact(s, req.flow)], ...sdpHeaders }, body });
  keepUntilAck(ctx, s, from, req, true);
}

/**
 * RFC 3261 13.3.1.4: the 2xx to a re-INVITE is the UAS core's to keep alive: resent over UDP
 * (T1 doubling to T2) until the ACK; none within 64*T1 ends the session (the dialog is
 * confirmed, the session SHOULD be terminated).
 */
function keepUntilAck(ctx: B2bContext, s: B2bSession, from: LegName, req: IncomingRequest, wantsAnswer: boolean): void {
  if (s.released) return;
  s.reinviteAck?.wait.cancel();
  const wait = awaitAck({
    timers: ctx.timers,
    reliable: req.flow.protocol !== 'UDP',
    resend: () => req.resendFinal(),
    onTimeout: () => {
      if (s.reinviteAck?.wait !== wait) return;
      s.reinviteAck = undefined;
      if (s.released) return;
      ctx.deps.log.warn({ session: s.id, from }, 'no ACK for our 2xx to a re-INVITE: releasing the session');
      ctx.release(s, 'no-ack');
    },
  });
  s.reinviteAck = { leg: from, seq: req.msg.headers.cseq?.seq ?? 0, wait, wantsAnswer };
}

/**
 * The ACK to a 200 that carried imedge's offer (offerInAnswer) brings the answer (RFC 3264 5,
 * RFC 3261 13.2.1). A usable MSRP answer becomes the leg's description; none (an empty ACK, no
 * common stream) leaves the session as it was: the running MSRP connection is kept either way.
 */
export function reinviteAcked(ctx: B2bContext, s: B2bSession, from: LegName, ack: SipRequest): void {
  const want = s.reinviteAck;
  if (want === undefined || want.leg !== from || want.seq !== (ack.headers.cseq?.seq ?? -1)) return;
  s.reinviteAck = undefined;
  want.wait.acked();
  if (want.wantsAnswer) takeAckAnswer(ctx, s, from, ack);
}

function takeAckAnswer(ctx: B2bContext, s: B2bSession, from: LegName, ack: SipRequest): void {
  const answer = msrpMediaOf(mediaType(ack), ack.body, ctx.opts.msrp.tlsPort !== undefined);
  if (answer.ok && transportChange(answer.media, s.leg(from).ourUri) === undefined && pathChange(answer.media, s.leg(from).media) === undefined) {
    s.leg(from).media = answer.media;
    return;
  }
  ctx.deps.log.info({ session: s.id, from, reason: answer.ok ? 'transport change' : answer.reason }, 'ACK brought no usable answer to our offer: session kept as it was');
}

// RFC 3261 14.2: a second INVITE on a dialog before the first got its final answer: 500 with a random Retry-After of 0-10 s
function refuseOverlapping(req: IncomingRequest): void {
  req.reply(500, 'Server Internal Error (previous re-INVITE pending)', { headers: { 'retry-after': String(randomInt(0, 11)) } });
}

/**
 * RFC 3261 9.2: a CANCEL for a re-INVITE still being relayed. It matches that re-INVITE's
 * transaction (same dialog, top Via branch); it is answered 200 here and passed on to the other
 * leg, whose final answer (487, or a 2xx that crossed the CANCEL) goes back to the client as the
 * re-INVITE's answer, the way a proxy does (16.10). Returns false when nothing matches.
 */
export function cancelPendingReinvite(ctx: B2bContext, req: IncomingRequest): boolean {
  const found = ctx.table.findDialog(req.msg);
  if (!found) return false;
  const [s, from] = found;
  const p = s.pendingReinvite;
  const branch = req.msg.headers.via?.[0]?.params.branch;
  if (p === undefined || p.replied || s.reinviteFrom !== from || branch === undefined || String(p.msg.headers.via?.[0]?.params.branch) !== String(branch)) {
    return false;
  }
  req.reply(200);
  s.cancelReinvite?.();
  ctx.deps.log.info({ session: s.id, from }, 're-INVITE cancelled: CANCEL passed to the other side');
  return true;
}

/**
 * The other side's final answer to a re-INVITE whose client already got 408 (relayReinvite's
 * timer). RFC 3261 13.2.2.4: a 2xx that crossed our CANCEL is ACKed; the leg keeps the
 * description imedge last agreed (the other side took the client's own offer, which the client
 * accepts), nothing else changes.
 */
function answeredAfterTimeout(ctx: B2bContext, s: B2bSession, to: Leg, d: DialogState, rq: SipRequest, rs: SipResponse): void {
  if (rs.status < 200 || rs.status >= 300) return;
  ctx.deps.stack().sendAck(inDialogRequest(d, 'ACK', { seq: rq.headers.cseq?.seq }), to.flows);
  refreshTarget(d, rs);
  ctx.deps.log.info({ session: s.id, status: rs.status }, 're-INVITE answered after its client got 408: ACKed, description kept');
}

/** RFC 3261 13.2.2.4: every 2xx to an INVITE is ACKed; a dialog no BYE ended yet gets one (15). */
function lateReinviteAnswer(ctx: B2bContext, s: B2bSession, to: Leg, d: DialogState, rq: SipRequest, rs: SipResponse): void {
  if (rs.status < 200 || rs.status >= 300) return;
  ctx.stats.lateAnswers++;
  ctx.deps.stack().sendAck(inDialogRequest(d, 'ACK', { seq: rq.headers.cseq?.seq }), to.flows);
  if (!to.ended) {
    to.ended = true;
    ctx.fireAndForget(ctx.deps.stack().request(inDialogRequest(d, 'BYE'), { targets: to.flows }), 'BYE after a late re-INVITE answer', s.id);
  }
  ctx.deps.log.info({ session: s.id, status: rs.status }, 're-INVITE answered after the session was released: ACKed and ignored');
}
