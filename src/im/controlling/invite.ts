// The focus invites a user into a group session (RFC 5366 3; OMA IM 7.2.2.3 paragraph 2, and
// the URI list of an ad-hoc session): an INVITE to every registered contact of the user, the
// focus as SDP offerer (a=setup:actpass); the answer decides who opens the MSRP connection
// (RFC 6135, RFC 4975 5.4 without a=setup), as on a 1-1 leg. For the original peer of an
// extended 1-1 session (7.1.1.6) the INVITE carries Replaces for the peer's own dialog.
import { randomBytes } from 'node:crypto';
import { dialogAsUac, inDialogRequest } from '../../sip/message/dialog';
import { formatReplaces } from '../../sip/message/replaces';
import { newTag, parseSipUri } from '../../sip/stack';
import { forkInvite, type ForkBranch } from '../../core/fork';
import { targetsOf } from '../../core/router';
import { ALLOW_HEADER, SUPPORTED_HEADER } from '../../core/capabilities';
import { offererConnects } from '../../sdp';
import type { Binding } from '../../store';
import { Member, type Conference } from './conference';
import type { FocusContext } from './context';
import { focusOffer, participantMedia } from './media';
import type { ReplacedSession } from './options';

export interface Invitation {
  readonly uri: string;
  readonly replaced?: ReplacedSession;
}

/** Starts one invitation; resolves when it is settled (joined, declined or failed). Never rejects. */
export async function inviteMember(ctx: FocusContext, conf: Conference, inv: Invitation): Promise<'accepted' | 'declined'> {
  const { deps, opts } = ctx;
  const u = parseSipUri(inv.uri);
  if (u === undefined || u.user === undefined || !deps.registrar.isLocalHost(u.host)) {
    deps.log.info({ conference: conf.id, invitee: inv.uri.slice(0, 128) }, 'invitee not served by this box: not invited');
    ctx.stats.invitationsDeclined++;
    return 'declined';
  }
  const user = u.user;
  const address = `sip:${user}@${opts.domain}`;
  if (conf.byAddress(address) !== undefined) return 'declined'; // already in (or invited)
  const bindings = deps.registrar.lookup(user);
  if (bindings.length === 0) {
    deps.log.info({ conference: conf.id, invitee: address }, 'invitee has no registered contact');
    ctx.stats.invitationsDeclined++;
    return 'declined';
  }
  if (conf.members.size >= opts.maxParticipants) {
    deps.log.warn({ conference: conf.id, invitee: address, max: opts.maxParticipants }, 'group session full: invitee not invited');
    ctx.stats.invitationsDeclined++;
    return 'declined';
  }
  const pid = randomBytes(8).toString('hex');
  const m = new Member(pid, address, false);
  m.state = 'invited';
  m.invitedByFocus = true;
  let ourUri: string;
  try {
    ourUri = conf.sw.addParticipant({ id: pid, identity: { uri: address } });
  } catch (err) {
    deps.log.warn({ err, conference: conf.id, invitee: address }, 'MSRP switch refused the invitee');
    ctx.stats.invitationsDeclined++;
    return 'declined';
  }
  conf.members.set(pid, m);
  if (!conf.invited.includes(address)) conf.invited.push(address);
  ctx.stats.invitationsSent++;

  const callId = `${randomBytes(10).toString('hex')}@imedge`;
  const fromTag = newTag();
  const initiator = conf.byAddress(conf.initiator);
  const body = focusOffer(opts.msrp, ourUri, conf.id, opts.maxMessageSize);
  const replaces = inv.replaced === undefined ? undefined : formatReplaces({ callId: inv.replaced.peerDialog.callId, toTag: inv.replaced.peerDialog.remoteTag, fromTag: inv.replaced.peerDialog.localTag });
  const branchFor = (b: Binding): ForkBranch => ({
    request: {
      method: 'INVITE',
      uri: b.contact,
      headers: {
        via: [],
        'max-forwards': '70',
        // RFC 4579 5.2: the focus invites from the conference URI; who asked is in Referred-By
        // (RFC 3892), unless the initiator asked for anonymity (RFC 3323)
        from: { uri: conf.identity, params: { tag: fromTag } },
        to: { uri: address, params: {} },
        'call-id': callId,
        cseq: { seq: 1, method: 'INVITE' },
        contact: [ctx.contact(conf, b.received.protocol)],
        allow: ALLOW_HEADER,
        supported: SUPPORTED_HEADER,
        ...(initiator !== undefined && !initiator.anonymous ? { 'referred-by': `<${conf.initiator}>` } : {}),
        ...(replaces !== undefined ? { replaces } : {}),
        'content-type': 'application/sdp',
      },
      body,
    },
    targets: targetsOf(b),
  });

  let onTimeout = (): void => undefined;
  m.timer = setTimeout(() => onTimeout(), opts.inviteTimeoutMs);
  m.timer.unref();
  const owner = {
    get waiting() {
      return m.state === 'invited' && conf.state === 'active';
    },
    get cancels() {
      return m.cancelInvite;
    },
    set cancels(v: (() => void)[]) {
      m.cancelInvite = v;
    },
  };
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: 'accepted' | 'declined'): void => {
      if (settled) return;
      settled = true;
      if (outcome === 'accepted') ctx.stats.invitationsAccepted++;
      else ctx.stats.invitationsDeclined++;
      resolve(outcome);
    };
    const decline = (why: string): void => {
      deps.log.info({ conference: conf.id, invitee: address, why }, 'invitation not accepted');
      if (m.state !== 'gone') ctx.removeMember(conf, m, why);
      settle('declined');
    };
    // nobody answered in time: the branches are CANCELled (removeMember) and the invitation is
    // over now, even for an invitee that never sent a provisional (no CANCEL can reach it then,
    // RFC 3261 9.1; its transaction times out on its own, a late 2xx is ACKed and BYEd)
    onTimeout = () => {
      m.timer = undefined;
      if (m.state === 'invited') decline(`no answer in ${opts.inviteTimeoutMs} ms`);
    };
    forkInvite(deps.stack(), owner, bindings, branchFor, {
      onProvisional: () => undefined,
      onAnswered: (branch, rs) => {
        if (m.timer !== undefined) clearTimeout(m.timer);
        m.timer = undefined;
        const d = dialogAsUac(branch.request, rs, branch.targets[0]);
        m.dialog = d;
        m.flows = branch.targets;
        // RFC 3261 13.2.2.4: ACK every 2xx at once, whatever happens next
        deps.stack().sendAck(inDialogRequest(d, 'ACK', { seq: branch.request.headers.cseq?.seq }), branch.targets);
        ctx.indexDialog(conf, m);
        m.state = 'connecting';
        const media = participantMedia(rs.body);
        if (!media.ok) return decline(`answer unusable: ${media.reason}`);
        const connects = offererConnects(media.media.setup);
        if (connects === 'none') return decline('answer a=setup:holdconn');
        try {
          conf.sw.setRemotePath(pid, media.media.path);
        } catch {
          return decline('answer a=path unusable');
        }
        if (inv.replaced !== undefined) {
          // 7.1.1.6 NOTE / RFC 3891: the replaced 1-1 dialog ends with a BYE
          ctx.stats.replaced++;
          inv.replaced.end('replaced by a group session');
        }
        ctx.fireAndForget(ctx.rows.accepted(conf, m), 'store an invitee', conf.id);
        openLeg(ctx, conf, m, connects === 'we');
        settle('accepted');
      },
      onLateAnswer: (branch, rs) => {
        const d = dialogAsUac(branch.request, rs, branch.targets[0]);
        deps.stack().sendAck(inDialogRequest(d, 'ACK', { seq: branch.request.headers.cseq?.seq }), branch.targets);
        ctx.fireAndForget(deps.stack().request(inDialogRequest(d, 'BYE'), { targets: branch.targets }), 'BYE to a late 2xx', conf.id);
      },
      onAllFailed: (best) => decline(best !== undefined ? `${best.status} ${best.reason}` : 'no answer'),
      onError: (err) => {
        ctx.stats.asyncErrors++;
        deps.log.error({ err, conference: conf.id }, 'invitation failed');
        decline('internal error');
      },
    }).catch((err: unknown) => {
      ctx.stats.asyncErrors++;
      deps.log.error({ err, conference: conf.id }, 'invitation failed');
      decline('internal error');
    });
  });
}

/**
 * The member's MSRP leg: 'we' dial its path now (after the ACK we sent, or once the ACK of our
 * 2xx came), otherwise wait for its connection; either bounded by msrpConnectTimeoutMs. A leg
 * that does not come up removes the member (7.2.1.9).
 */
export function openLeg(ctx: FocusContext, conf: Conference, m: Member, weConnect: boolean): void {
  m.msrpRole = weConnect ? 'active' : 'passive';
  if (conf.sw.isBound(m.pid)) {
    ctx.memberJoined(conf, m);
    return;
  }
  if (m.timer !== undefined) clearTimeout(m.timer);
  m.timer = setTimeout(() => {
    m.timer = undefined;
    if (m.state !== 'connecting') return;
    ctx.deps.log.info({ conference: conf.id, participant: m.pid, role: m.msrpRole }, 'participant MSRP leg not established in time');
    ctx.removeMember(conf, m, 'MSRP connection not established');
    ctx.applyRelease(conf, { kind: 'participant-removed', uri: m.uri });
  }, ctx.opts.msrpConnectTimeoutMs);
  m.timer.unref();
  if (!weConnect) return;
  ctx.fireAndForget(
    conf.sw.connectOut(m.pid, ctx.opts.msrpConnectTimeoutMs).then((outcome) => {
      if (m.state !== 'connecting') return;
      if (outcome === 'connected') {
        ctx.memberJoined(conf, m);
        return;
      }
      ctx.deps.log.info({ conference: conf.id, participant: m.pid, outcome }, 'MSRP connection to the participant failed');
      ctx.removeMember(conf, m, 'MSRP connection not established');
      ctx.applyRelease(conf, { kind: 'participant-removed', uri: m.uri });
    }),
    'MSRP connect to a participant',
    conf.id,
  );
}

