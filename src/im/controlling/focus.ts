// The controlling IM function (DESIGN "Roles"): the conference focus of every group session on
// this box. It is a SIP user agent toward each participant (one dialog each) and an MSRP switch
// on the media path. Entry points: INVITE to the conference factory (ad-hoc, RFC 5366; OMA IM
// 7.1.1.6), to a pre-defined group (7.2.2.3), to an IM Session Identity (join/rejoin, 7.2.1.5);
// BYE (7.2.1.10), ACK, CANCEL and re-INVITE in its dialogs. Policies are pure (src/im/policies).
import { randomBytes } from 'node:crypto';
import type { IncomingRequest } from '../../sip/stack';
import { awaitAck, parseSipUri } from '../../sip/stack';
import type { SipRequest } from '../../sip/message/types';
import { headerText } from '../../sip/message/types';
import { dialogAsUas, acceptRemoteSeq, mediaType } from '../../sip/message/dialog';
import { parseReplaces, type ReplacesTarget } from '../../sip/message/replaces';
import { wantsAnonymity } from '../../sip/message/privacy';
import { ALLOW_HEADER, SUPPORTED_HEADER } from '../../core/capabilities';
import { MsrpSwitch, type SwitchEvent } from '../../msrp/switch';
import type { GroupDocument } from '../../xml';
import { focusContact, IDENTITY_PREFIX, type ConferenceView, type StateUser } from '../events';

export { IDENTITY_PREFIX };
import { permissionsFor } from '../policies';
import { checkAdhocSize, decideInitiation, decideJoin, refuse, type JoinTarget, type ReleaseEvent, type SipRefusal } from '../policies';
import { Conference, Member, type ConferenceKind } from './conference';
import type { FocusContext } from './context';
import { readFactoryBody, type Invitee } from './factory-body';
import { inviteMember, openLeg, type Invitation } from './invite';
import { focusAnswer, focusOffer, GROUP_ACCEPT_TYPES, participantMedia } from './media';
import { newControllingStats, type ControllingDeps, type ControllingOptions, type ControllingStats, type ReplacedSession } from './options';
import { applyRelease, armMaxLength, removeMember } from './release';
import { GroupRows, storedLeg } from './persistence';
import { inDialogRequest } from '../../sip/message/dialog';
import { isStoreFull } from '../../store';

export type { ControllingDeps, ControllingOptions, ControllingStats, ConferenceEvent, FindReplaced, ReplacedSession } from './options';

/** DESIGN fixed point: the conference factory is sip:conference-factory@<domain>. */
export const CONFERENCE_FACTORY_USER = 'conference-factory';

/**
 * The one reserved-name rule: the focus answers for the factory and for every conf-<id>
 * identity, so nobody registers them (the registrar) and no user or group is made with them
 * (admin API, page and CLI, through accountNameRefusal).
 */
export function isReservedName(user: string): boolean {
  return user === CONFERENCE_FACTORY_USER || user.startsWith(IDENTITY_PREFIX);
}

/**
 * Why a new user or group name is refused, in words; undefined when it may be made.
 * Attack finding F8: "." and ".." are path segments the page (and any URL) cannot name.
 */
export function accountNameRefusal(name: string): string | undefined {
  if (name === '.' || name === '..') return `"${name}" cannot be a name: it is a path segment`;
  if (isReservedName(name)) return `"${name.slice(0, 64)}" is reserved for the server (${CONFERENCE_FACTORY_USER} and names starting with ${IDENTITY_PREFIX})`;
  return undefined;
}
/** The user part of an IM Session Identity: conf-<id>. */
const sdpType = { 'content-type': 'application/sdp' };
const LIVE_FIGURES = new Set(['participants', 'boundParticipants', 'openMessages', 'congestedLegs', 'ringHighWater', 'ringBytes']);

const dialogKey = (callId: string, ourTag: string): string => `${callId}\n${ourTag}`;

type InviteTarget = { kind: 'factory' } | { kind: 'identity'; conf: Conference } | { kind: 'group'; id: string; doc: GroupDocument };

/** A participant as the admin page shows it: uri null when it joined anonymously (RFC 3323). */
export interface GroupParticipantView {
  readonly id: string;
  readonly uri: string | null;
  readonly anonymous: boolean;
  readonly state: 'invited' | 'connecting' | 'joined' | 'disconnected' | 'gone';
  readonly initiator: boolean;
}

export interface GroupSessionView {
  readonly id: string;
  readonly kind: ConferenceKind;
  readonly identity: string;
  readonly groupId?: string;
  readonly displayName?: string;
  readonly createdAt: number;
  readonly participants: readonly GroupParticipantView[];
}

interface Originator {
  readonly user: string;
  /** sip:user@domain: the Authenticated Originator's IM Address */
  readonly uri: string;
  readonly anonymous: boolean;
}

export class ControllingFunction {
  readonly stats: ControllingStats = newControllingStats();
  private readonly conferences = new Map<string, Conference>();
  private readonly byGroup = new Map<string, Conference>();
  private readonly dialogs = new Map<string, [Conference, Member]>();
  private readonly ctx: FocusContext;
  private readonly retired: Record<string, number> = {};

  constructor(
    private readonly opts: ControllingOptions,
    private readonly deps: ControllingDeps,
  ) {
    const now = opts.now ?? Date.now;
    this.ctx = {
      opts,
      deps,
      stats: this.stats,
      now,
      rows: new GroupRows(deps.groupSessions, deps.grouped),
      contact: (conf, protocol) => focusContact(conf.identity, protocol),
      indexDialog: (conf, m) => {
        if (m.dialog !== undefined) this.dialogs.set(dialogKey(m.dialog.callId, m.dialog.localTag), [conf, m]);
      },
      forgetDialog: (m) => {
        if (m.dialog !== undefined) this.dialogs.delete(dialogKey(m.dialog.callId, m.dialog.localTag));
      },
      fireAndForget: (p, what, conf) => {
        p.catch((err: unknown) => {
          this.stats.asyncErrors++;
          deps.log.error({ err, conference: conf, what }, 'controlling function: asynchronous step failed');
        });
      },
      applyRelease: (conf, event) => void applyRelease(this.ctx, conf, event, (c, reason) => this.releaseConference(c, reason)),
      removeMember: (conf, m, reason) => removeMember(this.ctx, conf, m, reason),
      memberJoined: (conf, m) => this.memberJoined(conf, m),
    };
  }

  // ---- routing --------------------------------------------------------------------------

  /** True when the request is the focus's: a factory/group/identity INVITE, or one of its dialogs. */
  claims(msg: SipRequest): boolean {
    const toTag = msg.headers.to?.params.tag;
    if (toTag) return this.dialogs.has(dialogKey(msg.headers['call-id'] ?? '', String(toTag)));
    if (msg.method !== 'INVITE') return false;
    return this.targetOf(msg) !== undefined;
  }

  private targetOf(msg: SipRequest): InviteTarget | undefined {
    const ruri = parseSipUri(msg.uri);
    const user = ruri?.user;
    if (ruri === undefined || user === undefined) return undefined;
    const local = this.deps.registrar.isLocalHost(ruri.host) || ruri.host.toLowerCase() === this.opts.sipHost.toLowerCase();
    if (!local) return undefined;
    if (user === CONFERENCE_FACTORY_USER) return { kind: 'factory' };
    if (user.startsWith(IDENTITY_PREFIX)) {
      const conf = this.conferences.get(user.slice(IDENTITY_PREFIX.length));
      if (conf !== undefined) return { kind: 'identity', conf };
    }
    const doc = this.deps.group(user);
    return doc !== undefined ? { kind: 'group', id: user, doc } : undefined;
  }

  // ---- entry points ------------------------------------------------------------------------

  /**
   * The INVITE is the focus's (its dialog, the factory, a group, an IM Session Identity): handled,
   * and its promise returned; otherwise undefined and nothing done. The target is looked up once
   * (a group lookup reads the store).
   */
  route(req: IncomingRequest): Promise<void> | undefined {
    if (req.msg.headers.to?.params.tag) return this.claims(req.msg) ? this.invite(req) : undefined;
    const target = this.targetOf(req.msg);
    return target === undefined ? undefined : this.invite(req, target);
  }

  invite = async (req: IncomingRequest, known?: InviteTarget): Promise<void> => {
    try {
      if (req.msg.headers.to?.params.tag) return this.reinvite(req);
      const target = known ?? this.targetOf(req.msg);
      if (target === undefined) {
        req.reply(404, 'Not Found');
        return;
      }
      const originator = this.originator(req);
      if (originator === undefined) return;
      if (target.kind === 'factory') return this.factory(req, originator);
      if (target.kind === 'identity') return this.join(req, target.conf, originator);
      const running = this.byGroup.get(target.id);
      if (running !== undefined && running.state === 'active') return this.join(req, running, originator);
      return this.startGroup(req, target.id, target.doc, originator);
    } catch (err) {
      if (isStoreFull(err)) {
        this.deps.log.warn('controlling function: data directory full; INVITE answered 503');
        if (!req.replied) req.reply(503, 'Service Unavailable (data store full)', { headers: { 'retry-after': String(this.opts.retryAfterS) } });
        return;
      }
      this.stats.asyncErrors++;
      this.deps.log.error({ err }, 'controlling function: INVITE handler failed');
      if (!req.replied) req.reply(500);
    }
  };

  ack = (req: IncomingRequest): void => {
    const found = this.findDialog(req.msg);
    if (found === undefined) return;
    const [conf, m] = found;
    m.ackWait?.acked();
    m.ackWait = undefined;
    if (m.dialAfterAck) {
      m.dialAfterAck = false;
      openLeg(this.ctx, conf, m, true);
    }
  };

  /** OMA IM 7.2.1.10: BYE received: 200, MSRP released, release policy, subscribers told. */
  bye = (req: IncomingRequest): void => {
    const found = this.findDialog(req.msg);
    if (found === undefined) {
      req.reply(481, 'Call/Transaction Does Not Exist');
      return;
    }
    const [conf, m] = found;
    req.reply(200);
    m.byeDone = true;
    this.deps.log.info({ conference: conf.id, participant: m.pid }, 'BYE received from a participant (OMA IM 7.2.1.10)');
    removeMember(this.ctx, conf, m, 'left');
    this.deps.onEvent?.({ type: 'left', conference: conf.id, participant: m.pid, uri: m.uri });
    this.ctx.applyRelease(conf, { kind: 'participant-left', uri: m.uri });
  };

  // ---- set-up -----------------------------------------------------------------------------

  /** The Authenticated Originator (7.2.1.5 step 1 reads its IM Address); undefined when answered. */
  private originator(req: IncomingRequest): Originator | undefined {
    const claimed = this.deps.registrar.claimedUser(req.msg);
    const auth = this.deps.auth.check(req, claimed, 'proxy');
    if (auth === undefined) return undefined;
    const user = auth ?? claimed;
    if (user === undefined) {
      req.reply(403, 'Forbidden (group sessions are for users of this domain)');
      return undefined;
    }
    return { user, uri: `sip:${user}@${this.opts.domain}`, anonymous: wantsAnonymity(headerText(req.msg, 'privacy')) };
  }

  /** RFC 5366 / OMA IM 7.1.1.6: an ad-hoc session from a URI list, maybe extending a 1-1 session. */
  private async factory(req: IncomingRequest, who: Originator): Promise<void> {
    const msg = req.msg;
    const body = readFactoryBody(headerText(msg, 'content-type'), msg.body);
    if (!body.ok) {
      if (body.status === 415) req.reply(415, `Unsupported Media Type (${body.reason})`, { headers: { accept: 'multipart/mixed, application/sdp, application/resource-lists+xml' } });
      else req.reply(400, `Bad Request (${body.reason})`);
      return;
    }
    const host = this.opts.sipHost;
    // 7.1.1.6 step 5, held by the server too: MAX-ADHOC-GROUP-SIZE
    const size = checkAdhocSize(body.invitees.map((i) => i.uri), who.uri, this.opts.maxAdhocGroupSize, host);
    if (!size.allowed) return this.refuse(req, size.refusal);
    // 7.1.1.6 step 8 / RFC 3891: the 1-1 dialog being extended, named by the INVITE's Replaces
    // header or the original peer's "?Replaces=" entry (both name the initiator's own dialog)
    const headerValue = headerText(msg, 'replaces');
    const fromHeader = headerValue === undefined ? undefined : parseReplaces(headerValue);
    if (headerValue !== undefined && fromHeader === undefined) {
      req.reply(400, 'Bad Request (malformed Replaces, RFC 3891)');
      return;
    }
    const named: ReplacesTarget | undefined = fromHeader ?? body.invitees.find((i) => i.replaces !== undefined)?.replaces;
    let replaced: ReplacedSession | undefined;
    if (named !== undefined) {
      replaced = this.deps.findReplaced?.(named, who.user);
      if (replaced === undefined) {
        // RFC 3891 3: no dialog matches: 481
        req.reply(481, 'Call/Transaction Does Not Exist (the dialog named by Replaces)');
        return;
      }
    }
    const media = participantMedia(body.sdp);
    if (!media.ok) {
      this.refuse(req, refuse(media.status, media.status === 400 ? 'Bad Request' : 'Not Acceptable Here', 'OMA IM 7.2.1.5 step 4', { agent: host, text: media.reason }));
      return;
    }
    const conf = this.create(req, 'adhoc', who);
    if (conf === undefined) return;
    // the initiator does not invite itself (7.1.1.6 step 5 does not count it either)
    const invitees = body.invitees.filter((i) => this.addressOf(i.uri) !== who.uri);
    for (const i of invitees) conf.invited.push(this.addressOf(i.uri));
    if (!(await this.admit(req, conf, who, media.media))) {
      this.releaseConference(conf, 'initiator not admitted');
      return;
    }
    const invitations = invitees.map((i) => this.invitation(i, replaced));
    if (replaced !== undefined && !invitations.some((i) => i.replaced !== undefined)) {
      // RFC 3891 3: the accepted INVITE replaces the initiator's dialog even when the old peer is not invited
      this.stats.replaced++;
      replaced.end('replaced by a group session');
    }
    this.inviteAll(conf, invitations);
  }

  /** OMA IM 7.2.2.3: the first INVITE to a pre-defined group starts its session. */
  private async startGroup(req: IncomingRequest, id: string, doc: GroupDocument, who: Originator): Promise<void> {
    const host = this.opts.sipHost;
    const init = decideInitiation(doc, who.uri, host);
    if (!init.allowed) return this.refuse(req, init.refusal);
    const media = participantMedia(req.msg.body);
    // the initiator is a joiner too: 7.2.1.5 steps 1, 3 and 4 hold for it
    const verdict = decideJoin(
      { target: { kind: 'predefined', group: doc }, participants: [], host },
      { originator: who.uri, anonymityRequested: who.anonymous, mediaAcceptable: media.ok },
    );
    if (!verdict.allowed) return this.refuseJoin(req, verdict.refusal, media);
    if (!media.ok) return;
    const conf = this.create(req, 'predefined', who, id, doc);
    if (conf === undefined) return;
    if (!(await this.admit(req, conf, who, media.media))) {
      this.releaseConference(conf, 'initiator not admitted');
      return;
    }
    if (init.notInvited.length > 0) this.deps.log.info({ conference: conf.id, notInvited: init.notInvited.length }, 'max-participant-count: some members not invited (OMA IM 7.2.2.3)');
    this.inviteAll(conf, init.invite.map((uri) => ({ uri })));
  }

  /** OMA IM 7.2.1.5: join or rejoin a running session, every check in the clause's order. */
  private async join(req: IncomingRequest, conf: Conference, who: Originator): Promise<void> {
    const media = participantMedia(req.msg.body);
    const target: JoinTarget =
      conf.kind === 'predefined' && conf.group !== undefined
        ? { kind: 'predefined', group: conf.group }
        : { kind: 'adhoc', initiator: conf.initiator, invited: conf.invited, allowAnonymity: this.opts.adhocAllowAnonymity };
    const verdict = decideJoin({ target, participants: conf.participantViews(), host: this.opts.sipHost }, { originator: who.uri, anonymityRequested: who.anonymous, mediaAcceptable: media.ok });
    if (!verdict.allowed) return this.refuseJoin(req, verdict.refusal, media);
    if (!media.ok) return;
    // the same user joining again (a rejoin after a lost connection, or another device): the
    // old membership ends first, so one address is one Participant
    const previous = conf.byAddress(who.uri);
    if (previous !== undefined) removeMember(this.ctx, conf, previous, 'rejoined');
    if (conf.participantCount >= this.opts.maxParticipants) {
      this.refuse(req, refuse(486, 'Busy Here', 'MSRP switch participant cap', { agent: this.opts.sipHost, text: 'Too many participants' }));
      return;
    }
    await this.admit(req, conf, who, media.media);
  }

  private refuseJoin(req: IncomingRequest, refusal: SipRefusal, media: ReturnType<typeof participantMedia>): void {
    this.stats.joinRefusals++;
    // a syntactically broken SDP is a 400 whatever the policy says about acceptable media
    if (!media.ok && media.status === 400 && refusal.status === 488) {
      req.reply(400, `Bad Request (${media.reason})`);
      return;
    }
    if (!media.ok && refusal.status === 488) {
      this.refuse(req, refuse(488, 'Not Acceptable Here', refusal.clause ?? 'OMA IM 7.2.1.5 step 4', { agent: this.opts.sipHost, text: media.reason }));
      return;
    }
    this.refuse(req, refusal);
  }

  private refuse(req: IncomingRequest, r: SipRefusal): void {
    const warning = r.warningHeader();
    this.deps.log.info({ status: r.status, clause: r.clause, warning }, 'group session request refused');
    req.reply(r.status, r.reason, warning !== undefined ? { headers: { warning } } : {});
  }

  /** A new group session: admission limits, its MSRP switch, the release timer. */
  private create(req: IncomingRequest, kind: ConferenceKind, who: Originator, groupId?: string, doc?: GroupDocument): Conference | undefined {
    const limit = this.conferences.size >= this.opts.maxSessions ? 'group session limit' : this.deps.net.connectionRoom < 1 ? 'MSRP connection limit' : undefined;
    if (limit !== undefined) {
      this.stats.admissionRefusals++;
      this.deps.log.warn({ live: this.conferences.size, max: this.opts.maxSessions, limit }, 'group session refused at a limit');
      req.reply(503, `Service Unavailable (${limit})`, { headers: { 'retry-after': String(this.opts.retryAfterS) } });
      return undefined;
    }
    let own = 0;
    for (const c of this.conferences.values()) if (c.initiator === who.uri) own++;
    if (own >= this.opts.maxSessionsPerUser) {
      this.stats.admissionRefusals++;
      req.reply(486, 'Busy Here (group sessions per user)');
      return undefined;
    }
    const id = randomBytes(9).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x');
    const identity = `sip:${IDENTITY_PREFIX}${id}@${this.opts.sipHost}:${this.opts.sipPort}`;
    const sw = this.newSwitch(identity, groupId);
    const conf = new Conference(id, kind, identity, who.uri, this.ctx.now(), sw, groupId);
    conf.group = doc;
    conf.displayName = doc?.displayName;
    sw.onEvent = (e) => this.onSwitchEvent(conf, e);
    this.conferences.set(id, conf);
    if (groupId !== undefined) this.byGroup.set(groupId, conf);
    this.stats.sessionsCreated++;
    armMaxLength(this.ctx, conf, () => this.ctx.applyRelease(conf, { kind: 'timer' }));
    this.deps.onEvent?.({ type: 'created', conference: id });
    this.deps.log.info({ conference: id, kind, group: groupId, initiator: who.anonymous ? 'anonymous' : who.uri }, 'group session created');
    return conf;
  }

  private newSwitch(identity: string, groupId: string | undefined): MsrpSwitch {
    return new MsrpSwitch(
      this.deps.net,
      {
        conference: { uri: identity },
        conferenceAliases: groupId !== undefined ? [`sip:${groupId}@${this.opts.domain}`] : [],
        slowReceiverMs: this.opts.slowReceiverMs,
        maxParticipants: this.opts.maxParticipants,
        // what the focus's SDP accepts from participants (media.ts): anything else is 415
        acceptTypes: GROUP_ACCEPT_TYPES,
      },
      { log: this.deps.log },
    );
  }

  /**
   * 7.2.1.5 steps 5-8: the joiner becomes a member: its MSRP session in the switch, 200 with
   * the SDP answer (accept-types intersected, step 6a) and the focus's Contact;isfocus, kept
   * alive until the ACK; its MSRP leg opened in the direction RFC 6135 gives it.
   */
  private async admit(req: IncomingRequest, conf: Conference, who: Originator, offer: NonNullable<Extract<ReturnType<typeof participantMedia>, { ok: true }>['media']>): Promise<boolean> {
    const pid = randomBytes(8).toString('hex');
    const m = new Member(pid, who.uri, who.anonymous);
    let ourUri: string;
    try {
      ourUri = conf.sw.addParticipant({ id: pid, remotePath: offer.path, identity: who.anonymous ? 'anonymous' : { uri: who.uri } });
    } catch (err) {
      this.deps.log.warn({ err, conference: conf.id }, 'MSRP switch refused a participant');
      this.refuse(req, refuse(486, 'Busy Here', 'MSRP switch participant cap', { agent: this.opts.sipHost, text: 'Too many participants' }));
      return false;
    }
    const answer = focusAnswer(offer, this.opts.msrp, ourUri, conf.id, 1, this.opts.maxMessageSize);
    if (!answer.ok || answer.setupHold) {
      conf.sw.removeParticipant(pid);
      this.refuse(req, refuse(488, 'Not Acceptable Here', 'OMA IM 7.2.1.5 step 4', { agent: this.opts.sipHost, text: answer.ok ? 'a=setup:holdconn is not supported' : answer.reason }));
      return false;
    }
    m.dialog = dialogAsUas(req.msg, req.localTag(), req.flow);
    m.flows = [req.flow];
    const first = conf.members.size === 0;
    conf.members.set(pid, m);
    this.ctx.indexDialog(conf, m);
    // an acknowledged session survives a power cut: its rows are committed before the 200
    try {
      await this.ctx.rows.admitted(conf, m, first);
    } catch (err) {
      conf.members.delete(pid);
      this.ctx.forgetDialog(m);
      conf.sw.removeParticipant(pid);
      if (isStoreFull(err)) {
        // issue 11 item 6(b) finding (was 500): the data directory is full; the join may succeed later
        this.deps.log.warn({ conference: conf.id }, 'cannot store a group member: data directory full (503)');
        req.reply(503, 'Service Unavailable (data store full)', { headers: { 'retry-after': String(this.opts.retryAfterS) } });
        return false;
      }
      this.stats.asyncErrors++;
      this.deps.log.error({ err, conference: conf.id }, 'cannot store a group member');
      req.reply(500, 'Server Internal Error (store)');
      return false;
    }
    // released meanwhile (the initiator left, a timer, the group deleted): nothing to answer but 480
    if (conf.state !== 'active' || m.state === 'gone') {
      if (!req.replied) req.reply(480, 'Temporarily Unavailable (group session ended)');
      return false;
    }
    req.reply(200, 'OK', {
      headers: { contact: [focusContact(conf.identity, req.flow.protocol)], allow: ALLOW_HEADER, supported: SUPPORTED_HEADER, ...sdpType },
      body: answer.body,
    });
    this.stats.joins++;
    this.keepUntilAck(conf, m, req);
    // an active leg dials after the ACK (a failure then ends a confirmed dialog the proper way)
    if (answer.weConnect) {
      m.msrpRole = 'active';
      m.dialAfterAck = true;
    } else {
      openLeg(this.ctx, conf, m, false);
    }
    return true;
  }

  private inviteAll(conf: Conference, invitations: readonly Invitation[]): void {
    // with nobody to invite (invite-members false) the initiator waits for members to join:
    // the counting rules apply once someone leaves, never to a session that is just starting
    conf.pendingInvitations += invitations.length;
    for (const inv of invitations) {
      this.ctx.fireAndForget(
        inviteMember(this.ctx, conf, inv).then(() => {
          conf.pendingInvitations--;
          if (conf.pendingInvitations === 0) this.ctx.applyRelease(conf, { kind: 'invitations-settled' });
        }),
        'invitation',
        conf.id,
      );
    }
  }

  private invitation(i: Invitee, replaced: ReplacedSession | undefined): Invitation {
    const u = parseSipUri(i.uri);
    const isPeer = replaced !== undefined && u?.user === replaced.peerUser && this.deps.registrar.isLocalHost(u.host);
    return isPeer ? { uri: i.uri, replaced } : { uri: i.uri };
  }

  private addressOf(uri: string): string {
    const u = parseSipUri(uri);
    return u?.user !== undefined && this.deps.registrar.isLocalHost(u.host) ? `sip:${u.user}@${this.opts.domain}` : uri;
  }

  // ---- in-dialog ------------------------------------------------------------------------------

  private findDialog(msg: SipRequest): [Conference, Member] | undefined {
    const tag = msg.headers.to?.params.tag;
    if (!tag) return undefined;
    const found = this.dialogs.get(dialogKey(msg.headers['call-id'] ?? '', String(tag)));
    if (found === undefined) return undefined;
    const fromTag = String(msg.headers.from?.params.tag ?? '');
    return found[1].dialog?.remoteTag === fromTag ? found : undefined;
  }

  /**
   * A re-INVITE from a participant (OMA IM 7.1.1.5: sessions change by re-INVITE only). The MSRP
   * session stays as it is: an offer that keeps the participant's path gets the focus's answer
   * again (a session refresh); one that moves it is refused with 488.
   */
  private reinvite(req: IncomingRequest): void {
    const found = this.findDialog(req.msg);
    if (found === undefined) {
      req.reply(481, 'Call/Transaction Does Not Exist');
      return;
    }
    const [conf, m] = found;
    if (m.dialog !== undefined && !acceptRemoteSeq(m.dialog, req.msg)) {
      req.reply(500, 'Server Internal Error (CSeq out of order)');
      return;
    }
    const session = conf.sw.participantPath(m.pid);
    if (req.msg.body.length === 0 && session !== undefined) {
      // RFC 3261 14.1: no offer (a refresh): the 200 carries ours, the running session's path and
      // role; the answer in the ACK cannot move the session and changes nothing
      const offer = focusOffer(this.opts.msrp, session.localUri, conf.id, this.opts.maxMessageSize, m.msrpRole, 2);
      req.reply(200, 'OK', { headers: { contact: [focusContact(conf.identity, req.flow.protocol)], allow: ALLOW_HEADER, ...sdpType }, body: offer });
      this.keepUntilAck(conf, m, req);
      return;
    }
    if (mediaType(req.msg) !== 'application/sdp') {
      req.reply(415, 'Unsupported Media Type', { headers: { accept: 'application/sdp' } });
      return;
    }
    const media = participantMedia(req.msg.body);
    if (!media.ok || session === undefined || media.media.path.join(' ') !== session.remotePath.join(' ')) {
      req.reply(488, 'Not Acceptable Here (the MSRP session of a group participant cannot move)');
      return;
    }
    const answer = focusAnswer(media.media, this.opts.msrp, session.localUri, conf.id, 2, this.opts.maxMessageSize);
    if (!answer.ok) {
      req.reply(488, `Not Acceptable Here (${answer.reason})`);
      return;
    }
    req.reply(200, 'OK', { headers: { contact: [focusContact(conf.identity, req.flow.protocol)], allow: ALLOW_HEADER, ...sdpType }, body: answer.body });
    this.keepUntilAck(conf, m, req);
  }

  /** RFC 3261 13.3.1.4: the focus's 2xx is resent over UDP until the ACK; none in 64*T1 removes the member. */
  private keepUntilAck(conf: Conference, m: Member, req: IncomingRequest): void {
    m.ackWait?.cancel();
    const wait = awaitAck({
      timers: this.opts.sipTimers,
      reliable: req.flow.protocol !== 'UDP',
      resend: () => req.resendFinal(),
      onTimeout: () => {
        if (m.ackWait !== wait) return;
        m.ackWait = undefined;
        if (m.state === 'gone') return;
        this.deps.log.warn({ conference: conf.id, participant: m.pid }, 'no ACK for the focus 2xx: participant removed');
        removeMember(this.ctx, conf, m, 'no ACK');
        this.ctx.applyRelease(conf, { kind: 'participant-removed', uri: m.uri });
      },
    });
    m.ackWait = wait;
  }

  // ---- MSRP switch events -------------------------------------------------------------------

  private onSwitchEvent(conf: Conference, e: SwitchEvent): void {
    const m = conf.members.get(e.id);
    if (m === undefined) return;
    if (e.type === 'bound') {
      if (m.msrpRole === 'passive') this.memberJoined(conf, m);
      return;
    }
    // lost connection or too slow: the focus removes it (7.2.1.9); it may rejoin by identity
    this.stats.removals++;
    const why = e.type === 'removed-slow' ? `too slow: ${e.missed} message(s) missed` : 'MSRP connection lost';
    removeMember(this.ctx, conf, m, why);
    this.deps.onEvent?.({ type: 'removed', conference: conf.id, participant: m.pid, uri: m.uri });
    this.ctx.applyRelease(conf, { kind: 'participant-removed', uri: m.uri });
  }

  private memberJoined(conf: Conference, m: Member): void {
    if (m.state !== 'connecting') return;
    m.state = 'joined';
    if (m.timer !== undefined) clearTimeout(m.timer);
    m.timer = undefined;
    this.deps.log.info({ conference: conf.id, participant: m.pid, role: m.msrpRole, anonymous: m.anonymous }, 'participant joined');
    // 7.2.1.5 steps 9-10: subscribers are told (the conference event package listens here)
    this.deps.onEvent?.({ type: 'joined', conference: conf.id, participant: m.pid, uri: m.uri });
  }

  // ---- release ----------------------------------------------------------------------------------

  /** The whole session ends: every member removed (7.2.1.9), the switch closed, maps cleaned. */
  private releaseConference(conf: Conference, reason: string): void {
    if (conf.state !== 'active') return;
    conf.state = 'released';
    if (conf.releaseTimer !== undefined) clearTimeout(conf.releaseTimer);
    conf.releaseTimer = undefined;
    for (const m of [...conf.members.values()]) {
      try {
        removeMember(this.ctx, conf, m, reason);
      } catch (err) {
        this.stats.asyncErrors++;
        this.deps.log.error({ err, conference: conf.id }, 'removing a member failed');
      }
    }
    // BYEs are on their way; the switch closes each participant as its BYE is answered and
    // drops whoever is left now that nobody can be delivered to
    try {
      this.retire(conf);
      conf.sw.close();
    } catch (err) {
      this.stats.asyncErrors++;
      this.deps.log.error({ err, conference: conf.id }, 'closing the MSRP switch failed');
    }
    this.conferences.delete(conf.id);
    if (conf.groupId !== undefined && this.byGroup.get(conf.groupId) === conf) this.byGroup.delete(conf.groupId);
    if (conf.rejoinTimer !== undefined) clearTimeout(conf.rejoinTimer);
    conf.rejoinTimer = undefined;
    this.ctx.fireAndForget(this.ctx.rows.released(conf), 'remove a group session row', conf.id);
    this.stats.sessionsReleased++;
    this.deps.log.info({ conference: conf.id, reason, lifetimeMs: this.ctx.now() - conf.createdAt }, 'group session released');
    this.deps.onEvent?.({ type: 'released', conference: conf.id, reason });
  }

  /** 7.2.2.8 rule 1f: the group was deleted. */
  groupDeleted(id: string): void {
    const conf = this.byGroup.get(id);
    if (conf === undefined) return;
    conf.group = undefined;
    this.ctx.applyRelease(conf, { kind: 'group-deleted' });
  }

  /** 7.2.2.8 rule 2a (and the new overrides): the group's document changed. */
  groupChanged(id: string, doc: GroupDocument): void {
    const conf = this.byGroup.get(id);
    if (conf === undefined) return;
    conf.group = doc;
    conf.displayName = doc.displayName;
    armMaxLength(this.ctx, conf, () => this.ctx.applyRelease(conf, { kind: 'timer' }));
    this.ctx.applyRelease(conf, { kind: 'group-changed' });
    if (conf.state === 'active') this.deps.onEvent?.({ type: 'rules-changed', conference: conf.id });
  }

  /**
   * After a restart (DESIGN "Persistence"): every stored session comes back with its identity;
   * each stored member gets a BYE on its old dialog (its MSRP leg died with the process) and
   * stays a disconnected Participant who may rejoin with the identity (7.1.1.9, 7.2.1.5) for
   * rejoinWindowMs; whoever has not rejoined by then is removed (7.2.1.9) and the release
   * policy decides. A pre-defined session whose group is gone ends (7.2.2.8 1f).
   */
  recover(): number {
    let n = 0;
    for (const { session: r, members } of this.ctx.rows.stored()) {
      try {
        for (const row of members) {
          const leg = storedLeg(row.leg);
          if (leg === undefined) continue;
          const bye = inDialogRequest(leg.dialog, 'BYE', { headers: { reason: 'SIP;cause=200;text="imedge restarted: rejoin with the IM Session Identity"' } });
          this.ctx.fireAndForget(this.deps.stack().request(bye, { targets: leg.flows }), 'BYE after restart', r.id);
        }
        const doc = r.kind === 'predefined' && r.groupId !== null ? this.deps.group(r.groupId) : undefined;
        const sw = this.newSwitch(r.identity, r.groupId ?? undefined);
        const conf = new Conference(r.id, r.kind, r.identity, r.initiator, r.createdAt, sw, r.groupId ?? undefined);
        conf.invited.push(...r.invited);
        conf.group = doc;
        conf.displayName = doc?.displayName;
        sw.onEvent = (e) => this.onSwitchEvent(conf, e);
        for (const row of members) {
          const m = new Member(row.memberId, row.uri, row.anonymous);
          m.state = 'disconnected';
          conf.members.set(m.pid, m);
        }
        this.conferences.set(conf.id, conf);
        if (conf.groupId !== undefined) this.byGroup.set(conf.groupId, conf);
        this.stats.restored++;
        n++;
        armMaxLength(this.ctx, conf, () => this.ctx.applyRelease(conf, { kind: 'timer' }));
        // the window counts from the first restart that left them disconnected (a crash loop
        // does not extend it), and each dead dialog got its one BYE: forget it
        const since = r.disconnectedSince ?? this.ctx.now();
        this.ctx.fireAndForget(this.ctx.rows.restored(conf, since), 'store the rejoin window', conf.id);
        if (r.kind === 'predefined' && doc === undefined) {
          this.ctx.applyRelease(conf, { kind: 'group-deleted' });
          continue;
        }
        // 7.2.2.8 rule 2a against the document as it is now (it may have changed while down)
        if (r.kind === 'predefined') this.ctx.applyRelease(conf, { kind: 'group-changed' });
        if (conf.state !== 'active') continue;
        conf.rejoinTimer = setTimeout(() => this.rejoinWindowOver(conf), Math.max(0, since + this.opts.rejoinWindowMs - this.ctx.now()));
        conf.rejoinTimer.unref();
        this.deps.log.info({ conference: conf.id, members: members.length, rejoinWindowMs: this.opts.rejoinWindowMs }, 'group session restored after a restart');
      } catch (err) {
        this.stats.asyncErrors++;
        this.deps.log.error({ err, conference: r.id }, 'cannot restore a group session');
      }
    }
    return n;
  }

  private rejoinWindowOver(conf: Conference): void {
    conf.rejoinTimer = undefined;
    this.ctx.fireAndForget(this.ctx.rows.restored(conf, null), 'close the rejoin window', conf.id);
    for (const m of [...conf.members.values()]) {
      if (m.state !== 'disconnected' || conf.state !== 'active') continue;
      this.stats.removals++;
      removeMember(this.ctx, conf, m, 'did not rejoin after the restart');
      this.deps.onEvent?.({ type: 'removed', conference: conf.id, participant: m.pid, uri: m.uri });
      this.ctx.applyRelease(conf, { kind: 'participant-removed', uri: m.uri });
    }
  }

  /** Group sessions for the admin page; an anonymous participant carries no address. */
  list(): GroupSessionView[] {
    const out: GroupSessionView[] = [];
    for (const c of this.conferences.values()) {
      if (c.state !== 'active') continue;
      const participants: GroupParticipantView[] = [];
      for (const m of c.members.values()) {
        if (m.state === 'gone') continue;
        participants.push({ id: m.pid, uri: m.anonymous ? null : m.uri, anonymous: m.anonymous, state: m.state, initiator: m.uri === c.initiator });
      }
      out.push({
        id: c.id,
        kind: c.kind,
        identity: c.identity,
        ...(c.groupId !== undefined ? { groupId: c.groupId } : {}),
        ...(c.displayName !== undefined ? { displayName: c.displayName } : {}),
        createdAt: c.createdAt,
        participants,
      });
    }
    return out;
  }

  /** The operator ends a group session: every participant gets a BYE (7.2.1.9). */
  end(id: string, reason = 'ended by the administrator'): boolean {
    const conf = this.conferences.get(id);
    if (conf === undefined || conf.state !== 'active') return false;
    this.releaseConference(conf, reason);
    return true;
  }

  /**
   * 7.2.1.9: the operator removes one participant: it gets a BYE, the others a conference
   * NOTIFY (through onEvent 'removed'), and the release policy (7.2.2.8) has its say.
   */
  removeParticipant(id: string, pid: string, reason = 'removed by the administrator'): boolean {
    const conf = this.conferences.get(id);
    const m = conf?.members.get(pid);
    if (conf === undefined || conf.state !== 'active' || m === undefined || m.state === 'gone') return false;
    this.stats.removals++;
    removeMember(this.ctx, conf, m, reason);
    this.deps.onEvent?.({ type: 'removed', conference: conf.id, participant: m.pid, uri: m.uri });
    this.ctx.applyRelease(conf, { kind: 'participant-removed', uri: m.uri });
    return true;
  }

  /** Planned stop: every group session ends with BYEs. */
  releaseAll(reason: string): void {
    for (const conf of [...this.conferences.values()]) this.releaseConference(conf, reason);
  }

  /** Live group sessions and participants, for metrics, /healthz and tests. */
  counts(): { sessions: number; participants: number; invited: number; disconnected: number } {
    let participants = 0;
    let invited = 0;
    let disconnected = 0;
    for (const c of this.conferences.values()) {
      for (const m of c.members.values()) {
        if (m.state === 'invited') invited++;
        else if (m.state === 'disconnected') disconnected++;
        else if (m.state !== 'gone') participants++;
      }
    }
    return { sessions: this.conferences.size, participants, invited, disconnected };
  }

  /** MSRP switch figures for /metrics: counters since start (released sessions kept), live figures summed. */
  switchTotals(): Record<string, number> {
    const out: Record<string, number> = { ...this.retired };
    for (const k of LIVE_FIGURES) out[k] = 0;
    for (const c of this.conferences.values()) {
      for (const [k, v] of Object.entries(c.sw.counters)) {
        if (typeof v !== 'number') continue;
        out[k] = k === 'ringHighWater' || k === 'ringBytes' ? Math.max(out[k] ?? 0, v) : (out[k] ?? 0) + v;
      }
    }
    return out;
  }

  /** A released session's switch counters stay in the totals (live-state figures do not). */
  private retire(conf: Conference): void {
    for (const [k, v] of Object.entries(conf.sw.counters)) {
      if (typeof v !== 'number' || LIVE_FIGURES.has(k)) continue;
      this.retired[k] = (this.retired[k] ?? 0) + v;
    }
  }


  /** The session as the conference event package sees it (RFC 4575; OMA IM 7.2.2.10). */
  stateOf(id: string): ConferenceView | undefined {
    const conf = this.conferences.get(id);
    if (conf === undefined || conf.state !== 'active') return undefined;
    const initiator = conf.initiator;
    return {
      id: conf.id,
      identity: conf.identity,
      ...(conf.displayName !== undefined ? { displayText: conf.displayName } : {}),
      ...(conf.kind === 'predefined' && conf.group?.maxParticipantCount !== undefined ? { maxUserCount: conf.group.maxParticipantCount } : { maxUserCount: this.opts.maxParticipants }),
      users: () => {
        const out: StateUser[] = [];
        for (const m of conf.members.values()) {
          if (m.state !== 'joined' && m.state !== 'connecting' && m.state !== 'disconnected') continue;
          const status = m.state === 'joined' ? 'connected' : m.state === 'connecting' ? 'pending' : 'disconnected';
          out.push({ key: m.pid, uri: m.uri, anonymous: m.anonymous, initiator: m.uri === initiator, status, joining: m.invitedByFocus ? 'dialed-out' : 'dialed-in' });
        }
        return out;
      },
      // OMA IM 7.1.1.11: a participant may watch; a non-participant only where the group's
      // rules give it allow-conference-state (an ad-hoc session has no rules to give it)
      watcher: (uri) => {
        const m = conf.byAddress(uri);
        if (m !== undefined && m.state !== 'gone' && m.state !== 'invited') return 'participant';
        if (conf.kind === 'predefined' && conf.group !== undefined && permissionsFor(conf.group, uri).allowConferenceState) return 'allowed';
        return 'refused';
      },
    };
  }
}

export type { ReleaseEvent };
