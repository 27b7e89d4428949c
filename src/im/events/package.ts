// The conference event package (RFC 4575 over RFC 6665) of group sessions: OMA IM 7.1.1.11
// (who subscribes), 7.2.2.10 (NOTIFY generation: on join, leave, removal, release), 7.2.2.11
// (subscription termination). One subscription per SUBSCRIBE dialog; each gets the full state
// at once and after every change, with its own incrementing version. Bursts are coalesced: a
// subscriber has at most one NOTIFY unanswered and one pending; the newest full state wins.
import type { IncomingRequest } from '../../sip/stack';
import { parseSipUri } from '../../sip/stack';
import type { Flow, SipRequest } from '../../sip/message/types';
import { headerText } from '../../sip/message/types';
import { acceptRemoteSeq, dialogAsUas, inDialogRequest, type DialogState } from '../../sip/message/dialog';
import { CONFERENCE_INFO_CONTENT_TYPE, serializeConferenceInfo } from '../../xml';
import { fullState } from './state';
import { focusContact, IDENTITY_PREFIX, newEventsStats, type ConferenceView, type EventsDeps, type EventsOptions, type EventsStats } from './types';

export const EVENT_PACKAGE = 'conference';
const VERSION_JUMP_AFTER_RESTART = 1000;

type Ending = 'timeout' | 'noresource' | 'rejected';

class Subscription {
  version = 0;
  expiresAt = 0;
  timer: NodeJS.Timeout | undefined;
  inFlight = false;
  dirty = false;
  /** set once terminated: the last NOTIFY says so, nothing follows */
  ending: Ending | undefined;
  constructor(
    readonly key: string,
    readonly conferenceId: string,
    readonly identity: string,
    readonly subscriber: string,
    readonly dialog: DialogState,
    readonly flows: Flow[],
  ) {}
}

const keyOf = (callId: string, ourTag: string): string => `${callId}\n${ourTag}`;

export class ConferenceEventPackage {
  readonly stats: EventsStats = newEventsStats();
  private readonly subs = new Map<string, Subscription>();
  private readonly byConference = new Map<string, Set<Subscription>>();
  /**
   * The full-state document of a session, written once per change and shared by every
   * subscriber (only the version differs): building a 50-user body per subscriber per change
   * was the cost of a join (bench: ~0.5 ms each).
   */
  private readonly bodies = new Map<string, string>();

  constructor(
    private readonly opts: EventsOptions,
    private readonly deps: EventsDeps,
  ) {}

  /** An in-dialog SUBSCRIBE of one of our subscriptions. */
  claims(msg: SipRequest): boolean {
    const tag = msg.headers.to?.params.tag;
    return tag != null && this.subs.has(keyOf(msg.headers['call-id'] ?? '', String(tag)));
  }

  get size(): number {
    return this.subs.size;
  }

  subscribe = async (req: IncomingRequest): Promise<void> => {
    try {
      if (req.msg.headers.to?.params.tag) this.refresh(req);
      else await this.create(req);
    } catch (err) {
      this.deps.log.error({ err }, 'SUBSCRIBE handler failed');
      if (!req.replied) req.reply(500);
    }
  };

  // ---- new subscriptions --------------------------------------------------------------------

  private async create(req: IncomingRequest): Promise<void> {
    const msg = req.msg;
    if (!this.eventOk(req)) return;
    const ruri = parseSipUri(msg.uri);
    const user = ruri?.user;
    const view = user !== undefined && user.startsWith(IDENTITY_PREFIX) ? this.deps.conference(user.slice(IDENTITY_PREFIX.length)) : undefined;
    if (view === undefined) {
      req.reply(404, 'Not Found (no such group session)');
      return;
    }
    const who = this.deps.originator(req);
    if (who === undefined) return;
    // OMA IM 7.1.1.11 / 7.2.2.10: participants, and non-participants the group's
    // allow-conference-state admits; anyone else gets 403
    const subscriber = who === null ? undefined : `sip:${who}@${this.opts.domain}`;
    if (subscriber === undefined || view.watcher(subscriber) === 'refused') {
      this.stats.refused++;
      req.reply(403, 'Forbidden (not a participant, and the group does not allow conference state)');
      return;
    }
    if (!this.acceptsInfo(req)) return;
    const expires = this.expiresOf(req);
    if (expires === undefined) return;
    if (this.subs.size >= this.opts.maxSubscriptions) {
      this.stats.refused++;
      req.reply(503, 'Service Unavailable (subscription limit)', { headers: { 'retry-after': String(this.opts.retryAfterS) } });
      return;
    }
    let own = 0;
    for (const s of this.subs.values()) if (s.subscriber === subscriber) own++;
    if (own >= this.opts.maxPerUser) {
      this.stats.refused++;
      req.reply(403, 'Forbidden (subscriptions per user)');
      return;
    }
    const dialog = dialogAsUas(msg, req.localTag(), req.flow);
    const sub = new Subscription(keyOf(dialog.callId, dialog.localTag), view.id, view.identity, subscriber, dialog, [req.flow]);
    sub.expiresAt = Date.now() + expires * 1000;
    if (expires > 0) {
      // an acknowledged subscription outlives a power cut with its session: committed before the 200
      try {
        await this.write((repo) => repo.saveSubscription(this.record(sub)));
      } catch (err) {
        this.deps.log.error({ err }, 'cannot store a subscription');
        req.reply(500, 'Server Internal Error (store)');
        return;
      }
    }
    req.reply(200, 'OK', { headers: { expires: String(expires), contact: [focusContact(view.identity, req.flow.protocol)], 'allow-events': EVENT_PACKAGE } });
    this.stats.subscriptions++;
    if (expires === 0) {
      // RFC 6665 4.4.3: a fetch: one NOTIFY with the state, the subscription ends with it
      this.terminate(sub, 'timeout', view);
      return;
    }
    this.subs.set(sub.key, sub);
    let set = this.byConference.get(view.id);
    if (set === undefined) this.byConference.set(view.id, (set = new Set()));
    set.add(sub);
    this.arm(sub, expires);
    this.deps.log.info({ conference: view.id, subscriber, expires }, 'conference state subscription');
    // a new subscriber gets the state as it is now, not as it was at the last change
    this.bodies.delete(view.id);
    this.notify(sub);
  }

  /** RFC 6665 4.2.1.2: refresh, or Expires: 0 to unsubscribe; either way a NOTIFY follows. */
  private refresh(req: IncomingRequest): void {
    const msg = req.msg;
    const sub = this.subs.get(keyOf(msg.headers['call-id'] ?? '', String(msg.headers.to?.params.tag)));
    if (sub === undefined || sub.dialog.remoteTag !== String(msg.headers.from?.params.tag ?? '')) {
      req.reply(481, 'Call/Transaction Does Not Exist');
      return;
    }
    // a refresh or an unsubscribe is the subscriber's own: authenticated as the SUBSCRIBE that
    // created the dialog was (knowing Call-ID and tags is not enough; attack finding)
    const who = this.deps.originator(req);
    if (who === undefined) return;
    if (who === null || `sip:${who}@${this.opts.domain}` !== sub.subscriber) {
      req.reply(403, 'Forbidden (not the subscriber of this dialog)');
      return;
    }
    if (!acceptRemoteSeq(sub.dialog, msg)) {
      req.reply(500, 'Server Internal Error (CSeq out of order)');
      return;
    }
    if (!this.eventOk(req)) return;
    const expires = this.expiresOf(req);
    if (expires === undefined) return;
    // OMA IM 7.2.2.11: a refresh by someone no longer allowed to watch ends the subscription
    const view = this.deps.conference(sub.conferenceId);
    if (expires > 0 && (view === undefined || view.watcher(sub.subscriber) === 'refused')) {
      req.reply(403, 'Forbidden (no longer allowed to watch this session)');
      this.terminate(sub, view === undefined ? 'noresource' : 'rejected');
      return;
    }
    req.reply(200, 'OK', { headers: { expires: String(expires), contact: [focusContact(sub.identity, req.flow.protocol)], 'allow-events': EVENT_PACKAGE } });
    if (expires === 0) {
      this.terminate(sub, 'timeout');
      return;
    }
    this.arm(sub, expires);
    this.touch(sub);
    this.bodies.delete(sub.conferenceId);
    this.notify(sub);
  }

  private eventOk(req: IncomingRequest): boolean {
    const ev = headerText(req.msg, 'event')?.split(';')[0]?.trim().toLowerCase();
    if (ev === EVENT_PACKAGE) return true;
    // RFC 6665 8.2.1: an event package we do not serve
    req.reply(489, 'Bad Event', { headers: { 'allow-events': EVENT_PACKAGE } });
    return false;
  }

  /** RFC 6665 4.2.1.1 / RFC 3261 21.4.7: an Accept without our body type gets 406. */
  private acceptsInfo(req: IncomingRequest): boolean {
    const accept = headerText(req.msg, 'accept');
    if (accept === undefined) return true;
    // RFC 7231 5.3.1: a type with q=0 is "not acceptable"
    const types = accept
      .split(',')
      .filter((t) => !/;\s*q\s*=\s*0(?:\.0{0,3})?\s*(?:;|$)/i.test(t))
      .map((t) => t.split(';')[0]?.trim().toLowerCase());
    if (types.some((t) => t === CONFERENCE_INFO_CONTENT_TYPE || t === '*/*' || t === 'application/*')) return true;
    req.reply(406, 'Not Acceptable', { headers: { accept: CONFERENCE_INFO_CONTENT_TYPE } });
    return false;
  }

  /** The granted expiry (s); undefined when answered 423/400. */
  private expiresOf(req: IncomingRequest): number | undefined {
    const raw = headerText(req.msg, 'expires');
    if (raw === undefined) return this.opts.defaultExpiresS;
    if (!/^\d{1,10}$/.test(raw.trim())) {
      req.reply(400, 'Bad Request (Expires)');
      return undefined;
    }
    const n = Number(raw.trim());
    if (n === 0) return 0;
    if (n < this.opts.minExpiresS) {
      req.reply(423, 'Interval Too Brief', { headers: { 'min-expires': String(this.opts.minExpiresS) } });
      return undefined;
    }
    return Math.min(n, this.opts.maxExpiresS);
  }

  private arm(sub: Subscription, expiresS: number): void {
    if (sub.timer !== undefined) clearTimeout(sub.timer);
    sub.expiresAt = Date.now() + expiresS * 1000;
    sub.timer = setTimeout(() => {
      sub.timer = undefined;
      this.terminate(sub, 'timeout');
    }, expiresS * 1000);
    sub.timer.unref();
  }

  // ---- NOTIFY -----------------------------------------------------------------------------------

  /** OMA IM 7.2.2.10: the session changed (join, leave, removal): every subscriber learns it. */
  changed(conferenceId: string): void {
    this.bodies.delete(conferenceId);
    for (const sub of this.byConference.get(conferenceId) ?? []) this.notify(sub);
  }

  /** The session was released: each subscription ends with reason noresource (RFC 6665 4.1.3). */
  released(conferenceId: string): void {
    this.bodies.delete(conferenceId);
    for (const sub of [...(this.byConference.get(conferenceId) ?? [])]) this.terminate(sub, 'noresource');
  }

  /**
   * OMA IM 7.2.2.11: a participant left or was removed; its own subscriptions end unless the
   * group lets it watch as a non-participant (allow-conference-state).
   */
  participantLeft(conferenceId: string, uri: string): void {
    const view = this.deps.conference(conferenceId);
    for (const sub of [...(this.byConference.get(conferenceId) ?? [])]) {
      if (sub.subscriber !== uri) continue;
      if (view !== undefined && view.watcher(uri) !== 'refused') continue;
      this.terminate(sub, 'rejected');
    }
  }

  /**
   * OMA IM 7.2.2.11 after the group's rules changed: every subscriber the new rules no longer
   * let watch loses its subscription (reason rejected); the others hear the new state.
   */
  revalidate(conferenceId: string): void {
    const view = this.deps.conference(conferenceId);
    for (const sub of [...(this.byConference.get(conferenceId) ?? [])]) {
      if (view === undefined) this.terminate(sub, 'noresource');
      else if (view.watcher(sub.subscriber) === 'refused') this.terminate(sub, 'rejected');
    }
    this.changed(conferenceId);
  }

  /** Planned stop: every subscription ends. */
  closeAll(): void {
    for (const sub of [...this.subs.values()]) this.terminate(sub, 'noresource');
  }

  private notify(sub: Subscription): void {
    if (sub.ending !== undefined) return;
    if (sub.inFlight) {
      // one NOTIFY at a time per subscriber: the next one carries the newest full state
      if (!sub.dirty) this.stats.coalesced++;
      sub.dirty = true;
      return;
    }
    const view = this.deps.conference(sub.conferenceId);
    if (view === undefined) return this.terminate(sub, 'noresource');
    const left = Math.max(0, Math.ceil((sub.expiresAt - Date.now()) / 1000));
    this.send(sub, `active;expires=${left}`, view);
  }

  private terminate(sub: Subscription, reason: Ending, view?: ConferenceView): void {
    if (sub.ending !== undefined) return;
    sub.ending = reason;
    if (sub.timer !== undefined) clearTimeout(sub.timer);
    sub.timer = undefined;
    this.subs.delete(sub.key);
    const set = this.byConference.get(sub.conferenceId);
    set?.delete(sub);
    if (set !== undefined && set.size === 0) this.byConference.delete(sub.conferenceId);
    this.stats.terminated++;
    this.forget(sub);
    // the final NOTIFY waits for one in flight (the dialog's NOTIFYs stay in order)
    if (!sub.inFlight) this.sendFinal(sub, view);
    else sub.dirty = true;
  }

  private sendFinal(sub: Subscription, view?: ConferenceView): void {
    const v = view ?? this.deps.conference(sub.conferenceId);
    const live = v !== undefined && sub.ending !== 'noresource';
    const base: ConferenceView = v ?? { id: sub.conferenceId, identity: sub.identity, users: () => [], watcher: () => 'refused' };
    this.send(sub, `terminated;reason=${sub.ending ?? 'timeout'}`, base, live);
  }

  private send(sub: Subscription, state: string, view: ConferenceView, active = true): void {
    sub.version++;
    const body = Buffer.from(this.document(view, sub.version, active), 'utf8');
    const rq = inDialogRequest(sub.dialog, 'NOTIFY', {
      body,
      contentType: CONFERENCE_INFO_CONTENT_TYPE,
      headers: { event: EVENT_PACKAGE, 'subscription-state': state, contact: [focusContact(sub.identity, sub.flows[0]?.protocol ?? 'UDP')] },
    });
    sub.inFlight = true;
    sub.dirty = false;
    this.stats.notifies++;
    if (sub.ending === undefined) this.touch(sub);
    this.deps
      .stack()
      .request(rq, { targets: sub.flows })
      .then((rs) => {
        sub.inFlight = false;
        if (rs.status >= 300 && sub.ending === undefined) {
          // RFC 6665 4.2.2: a failed NOTIFY (481, timeout...) ends the subscription
          this.stats.notifyFailures++;
          sub.ending = 'timeout';
          this.terminateQuietly(sub);
          return;
        }
        if (!sub.dirty) return;
        if (sub.ending !== undefined) this.sendFinal(sub);
        else this.notify(sub);
      })
      .catch((err: unknown) => {
        sub.inFlight = false;
        this.stats.notifyFailures++;
        this.deps.log.error({ err, conference: sub.conferenceId }, 'NOTIFY failed');
        this.terminateQuietly(sub);
      });
  }

  /** RFC 4575 full state with this subscription's version; the live body is built once per change. */
  private document(view: ConferenceView, version: number, active: boolean): string {
    if (!active) return serializeConferenceInfo(fullState(view, version, false));
    let cached = this.bodies.get(view.id);
    if (cached === undefined) {
      cached = serializeConferenceInfo(fullState(view, 0, true));
      if (this.bodies.size >= this.opts.maxSubscriptions) this.bodies.clear();
      this.bodies.set(view.id, cached);
    }
    // the root's version attribute is the first ' version="' of the document: the entity
    // before it is a quoted attribute value, where a '"' is always escaped
    return cached.replace(' version="0"', ` version="${version}"`);
  }

  /** Forgets a subscription without another NOTIFY (the last one failed). */
  private terminateQuietly(sub: Subscription): void {
    sub.ending ??= 'timeout';
    if (sub.timer !== undefined) clearTimeout(sub.timer);
    sub.timer = undefined;
    if (this.subs.delete(sub.key)) this.stats.terminated++;
    this.forget(sub);
    const set = this.byConference.get(sub.conferenceId);
    set?.delete(sub);
    if (set !== undefined && set.size === 0) this.byConference.delete(sub.conferenceId);
  }

  // ---- persistence (DESIGN "Persistence": subscriptions live as long as their session) ---------

  private write(fn: (repo: NonNullable<EventsDeps['store']>) => void): Promise<void> {
    const repo = this.deps.store;
    if (repo === undefined) return Promise.resolve();
    return this.deps.grouped !== undefined ? this.deps.grouped(() => fn(repo)) : Promise.resolve(fn(repo));
  }

  private later(fn: (repo: NonNullable<EventsDeps['store']>) => void, what: string): void {
    this.write(fn).catch((err: unknown) => this.deps.log.error({ err, what }, 'subscription store write failed'));
  }

  private record(sub: Subscription) {
    return { id: sub.key, sessionId: sub.conferenceId, identity: sub.identity, subscriber: sub.subscriber, leg: JSON.stringify({ dialog: sub.dialog, flows: sub.flows }), expiresAt: sub.expiresAt, version: sub.version };
  }

  /** The new expiry or version: batched with the other writes of the window, nobody waits. */
  private touch(sub: Subscription): void {
    this.later((repo) => repo.touchSubscription(sub.key, sub.expiresAt, sub.version), 'touch');
  }

  private forget(sub: Subscription): void {
    this.later((repo) => repo.removeSubscription(sub.key), 'remove');
  }

  /**
   * After a restart (the focus restored its sessions first): each stored subscription whose
   * session is back and whose time is not up resumes, and gets a full-state NOTIFY at once
   * (version after the last one sent); the others are dropped.
   */
  recover(): number {
    const repo = this.deps.store;
    if (repo === undefined) return 0;
    let n = 0;
    for (const r of repo.subscriptions()) {
      const view = this.deps.conference(r.sessionId);
      let leg: { dialog: DialogState; flows: Flow[] } | undefined;
      try {
        leg = JSON.parse(r.leg) as { dialog: DialogState; flows: Flow[] };
      } catch {
        leg = undefined;
      }
      const left = Math.floor((r.expiresAt - Date.now()) / 1000);
      if (view === undefined || leg === undefined || typeof leg.dialog?.callId !== 'string' || !Array.isArray(leg.flows) || left <= 0 || this.subs.size >= this.opts.maxSubscriptions) {
        repo.removeSubscription(r.id);
        continue;
      }
      const sub = new Subscription(r.id, r.sessionId, r.identity, r.subscriber, leg.dialog, leg.flows);
      // the stored version trails the last NOTIFY by whatever the final batch window held:
      // a jump keeps versions growing (every NOTIFY is full state, so a gap costs nothing)
      sub.version = r.version + VERSION_JUMP_AFTER_RESTART;
      this.subs.set(sub.key, sub);
      let set = this.byConference.get(sub.conferenceId);
      if (set === undefined) this.byConference.set(sub.conferenceId, (set = new Set()));
      set.add(sub);
      this.arm(sub, left);
      this.stats.restored++;
      n++;
      this.notify(sub);
    }
    if (n > 0) this.deps.log.info({ subscriptions: n }, 'conference state subscriptions restored after a restart');
    return n;
  }
}
