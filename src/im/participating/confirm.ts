// The end of a set-up: the session row committed (group commit), then the caller's 200, kept
// alive until its ACK (RFC 3261 13.3.1.4, T1/T2 from the configuration), and a bound on the
// time the MSRP legs may take to come up.
import type { IncomingRequest } from '../../sip/stack';
import { awaitAck } from '../../sip/stack';
import { ALLOW_HEADER } from '../../core/capabilities';
import type { B2bContext } from './context';
import type { B2bSession } from './session';

const sdpHeaders = { 'content-type': 'application/sdp' };

/**
 * The session row goes into the next group commit and the caller's 200 only after COMMIT (an
 * acknowledged session survives a power cut; one fsync per batch window, not per set-up).
 * Returns true when the caller was answered.
 */
export async function confirmCaller(ctx: B2bContext, s: B2bSession, body: Buffer): Promise<boolean> {
  try {
    await ctx.rows.save(s);
  } catch (err) {
    ctx.setupFailed(s, err);
    return false;
  }
  // released while the batch was committing (CANCEL, set-up timeout): nothing was written
  if (s.state !== 'early') return false;
  const invite = s.invite as IncomingRequest;
  invite.reply(200, 'OK', { headers: { contact: [ctx.contact(s, invite.flow)], allow: ALLOW_HEADER, ...sdpHeaders }, body });
  s.state = 'confirmed';
  ctx.table.confirmed(s);
  // a caller that offered passive is dialled once its ACK came (b2bua.ts, RFC 3261 15)
  s.callerDialPending = s.caller.msrpRole === 'active';
  clearTimeout(s.setupTimer);
  s.setupTimer = undefined;
  ctx.table.forgetBranch(String(invite.msg.headers.via?.[0]?.params.branch));
  // RFC 3261 13.3.1.4: resend the 2xx over UDP until the ACK; none within 64*T1 ends the session.
  s.ackWait = awaitAck({
    timers: ctx.timers,
    reliable: invite.flow.protocol !== 'UDP',
    resend: () => invite.resendFinal(),
    onTimeout: () => {
      s.ackWait = undefined;
      if (s.state === 'terminated') return;
      ctx.deps.log.warn({ session: s.id }, 'no ACK for our 2xx: releasing the session');
      ctx.release(s, 'no-ack');
    },
  });
  armConnectTimer(ctx, s);
  ctx.deps.log.info({ session: s.id, kind: s.kind, callerRole: s.caller.msrpRole, calleeRole: s.callee.msrpRole }, 'session established');
  return true;
}

/** Both MSRP legs must be up in time; a large-message session (9.1.1) ends after its own bound. */
function armConnectTimer(ctx: B2bContext, s: B2bSession): void {
  const large = s.kind === 'large-message';
  const limit = large ? ctx.opts.largeMessageMaxMs : Math.max(ctx.legTimeouts.waitMs, ctx.legTimeouts.connectMs);
  s.connectTimer = setTimeout(() => {
    if (s.state === 'terminated') return;
    if (large || !ctx.deps.relay.isConnected(s.pairId)) {
      ctx.deps.log.info({ session: s.id, kind: s.kind }, large ? 'large message session timed out' : 'MSRP legs not connected in time');
      ctx.release(s, 'msrp-timeout');
    }
  }, limit);
}
