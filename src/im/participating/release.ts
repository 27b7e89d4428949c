// The end of a 1-1 session, whatever ends it (BYE, CANCEL, timers, MSRP loss, a failed step):
// every resource goes, each step on its own so one that throws cannot keep the others back.
import { inDialogRequest, type DialogState } from '../../sip/message/dialog';
import type { B2bContext } from './context';
import type { B2bSession, LegName } from './session';

/**
 * MSRP legs released at once (sockets, rings, timers), the caller's pending INVITE answered,
 * BYE to every leg that did not itself end it, store row removed. Idempotent.
 */
export function releaseSession(ctx: B2bContext, s: B2bSession, reason: string, skip?: LegName, callerStatus = 480): void {
  if (s.state === 'terminated') return;
  const wasEarly = s.state === 'early';
  s.state = 'terminated';
  s.clearTimers();
  const step = (what: string, fn: () => unknown): void => {
    try {
      fn();
    } catch (err) {
      ctx.stats.releaseErrors++;
      ctx.deps.log.error({ err, session: s.id, step: what }, 'session release step failed');
    }
  };
  step('cancel callee INVITEs', () => {
    const cancels = s.cancelCallee;
    s.cancelCallee = [];
    for (const c of cancels) c();
  });
  step('answer caller INVITE', () => {
    if (s.invite && !s.invite.replied) s.invite.reply(wasEarly ? callerStatus : 500);
  });
  // RFC 3261 15.1.2 / 9.1: the caller's pending re-INVITE gets 487 and ours to the other leg a CANCEL.
  step('end pending re-INVITE', () => {
    const p = s.pendingReinvite;
    const cancel = s.cancelReinvite;
    s.pendingReinvite = undefined;
    s.cancelReinvite = undefined;
    // an INVITE client transaction past its provisional has no timer (17.1.1.2): only a CANCEL
    // (and the stack's 64*T1 give-up after it) ends it
    try {
      cancel?.();
    } finally {
      if (p && !p.replied) p.reply(487, 'Request Terminated');
    }
  });
  // BYE first, then the legs: a client then learns the end from signalling, not from a
  // closed MSRP socket.
  for (const name of ['caller', 'callee'] as const) {
    const leg = s.leg(name);
    if (name === skip) leg.ended = true;
    if (name === skip || !leg.dialog || leg.ended || (wasEarly && name === 'caller')) continue;
    leg.ended = true;
    step(`BYE to ${name}`, () => {
      const bye = inDialogRequest(leg.dialog as DialogState, 'BYE', { headers: { reason: `SIP;text="${reason}"` } });
      ctx.fireAndForget(ctx.deps.stack().request(bye, { targets: leg.flows }), `BYE to ${name}`, s.id);
    });
  }
  step('release MSRP pair', () => ctx.deps.relay.releasePair(s.pairId));
  step('forget session', () => ctx.table.remove(s));
  step('remove session row', () => ctx.fireAndForget(ctx.rows.remove(s), 'remove session row', s.id));
  ctx.deps.log.info({ session: s.id, reason, lifetimeMs: Date.now() - s.createdAt }, 'session released');
}
