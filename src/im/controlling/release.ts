// Removing a participant (OMA IM 7.2.1.9), the release policy (7.2.2.8) carried out, and the
// end of a group session. Each step on its own: one that throws cannot keep the others back.
import { inDialogRequest } from '../../sip/message/dialog';
import { decideRelease, releaseDeadline, type ReleaseDecision, type ReleaseEvent } from '../policies';
import type { Conference, Member } from './conference';
import type { FocusContext } from './context';

/** Longest setTimeout delay Node honours (2^31-1 ms); a longer deadline is re-armed. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * 7.2.1.9: BYE to the participant; on its answer (200, or any final: the dialog is over
 * either way) its MSRP resources are released. A member that ended the dialog itself (BYE
 * received, 7.2.1.10) or never had one (an unanswered invitation) only loses its resources.
 */
export function removeMember(ctx: FocusContext, conf: Conference, m: Member, reason: string): void {
  if (m.state === 'gone') return;
  const wasInvited = m.state === 'invited';
  m.state = 'gone';
  m.clearTimers();
  const cancels = m.cancelInvite;
  m.cancelInvite = [];
  for (const c of cancels) c();
  conf.members.delete(m.pid);
  ctx.forgetDialog(m);
  ctx.fireAndForget(ctx.rows.left(conf, m), 'remove a member row', conf.id);
  const releaseMsrp = (): void => {
    conf.sw.removeParticipant(m.pid);
  };
  if (m.dialog !== undefined && !m.byeDone && !wasInvited) {
    m.byeDone = true;
    const bye = inDialogRequest(m.dialog, 'BYE', { headers: { reason: `SIP;cause=200;text="${reason}"` } });
    const sent = ctx.deps.stack().request(bye, { targets: m.flows.length > 0 ? m.flows : undefined });
    ctx.fireAndForget(sent.finally(releaseMsrp), 'BYE to a participant', conf.id);
  } else {
    releaseMsrp();
  }
  ctx.deps.log.info({ conference: conf.id, participant: m.pid, reason }, 'participant removed');
}

/** 7.2.2.8: asks the pure policy what the event means and does it. */
export function applyRelease(ctx: FocusContext, conf: Conference, event: ReleaseEvent, release: (c: Conference, reason: string) => void): ReleaseDecision {
  if (conf.state !== 'active') return { action: 'keep' };
  const decision = decideRelease({
    kind: conf.kind,
    initiator: conf.initiator,
    participants: conf.participantViews(),
    ...(conf.group !== undefined ? { group: conf.group } : {}),
    operator: ctx.opts.release,
    createdAt: conf.createdAt,
    now: ctx.now(),
    event,
  });
  if (decision.action === 'release') {
    ctx.deps.log.info({ conference: conf.id, rule: decision.rule, reason: decision.reason }, 'group session released by the release policy (OMA IM 7.2.2.8)');
    release(conf, `7.2.2.8 ${decision.rule}: ${decision.reason}`);
  } else if (decision.action === 'remove') {
    for (const uri of decision.remove) {
      const m = conf.byAddress(uri);
      if (m === undefined) continue;
      ctx.stats.removals++;
      ctx.removeMember(conf, m, `7.2.2.8 ${decision.rule}: ${decision.reason}`);
      ctx.deps.onEvent?.({ type: 'removed', conference: conf.id, participant: m.pid, uri: m.uri });
    }
  }
  return decision;
}

/** Arms the one session-max-length timer (7.2.2.8 rule 1e), if the effective policy has a limit. */
export function armMaxLength(ctx: FocusContext, conf: Conference, onTimer: () => void): void {
  if (conf.releaseTimer !== undefined) clearTimeout(conf.releaseTimer);
  conf.releaseTimer = undefined;
  const deadline = releaseDeadline({ kind: conf.kind, ...(conf.group !== undefined ? { group: conf.group } : {}), operator: ctx.opts.release, createdAt: conf.createdAt });
  if (deadline === undefined) return;
  const delay = Math.max(0, Math.min(MAX_DELAY_MS, deadline - ctx.now()));
  conf.releaseTimer = setTimeout(() => {
    conf.releaseTimer = undefined;
    // a deadline beyond one timer's reach is re-armed; the policy decides at the real end
    if (ctx.now() < deadline) armMaxLength(ctx, conf, onTimer);
    else onTimer();
  }, delay);
  conf.releaseTimer.unref();
}
