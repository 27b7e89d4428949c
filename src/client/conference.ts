// The client side of the conference event package (RFC 4575 over RFC 6665; OMA IM 7.1.1.11):
// a subscription to a group session's IM Session Identity. It sends SUBSCRIBE (Event:
// conference), refreshes it before it expires, answers every NOTIFY of its dialog, keeps the
// conference state as RFC 4575 4.6 builds it, and tells who is in, who joined and who left.
// A NOTIFY never throws out of here: a body it cannot read is answered 200, counted and logged.
import { EventEmitter } from 'node:events';
import type { Logger } from '../log';
import { acceptRemoteSeq, dialogAsUac, inDialogRequest, mediaType, refreshTarget, type DialogState } from '../sip/message/dialog';
import { headerText, type Flow, type SipRequest, type SipResponse } from '../sip/message/types';
import type { IncomingRequest } from '../sip/stack';
import { CONFERENCE_INFO_CONTENT_TYPE, parseConferenceInfo, type ConferenceInfo } from '../xml';
import {
  applyInfo,
  diffRoster,
  mayResubscribe,
  parseSubscriptionState,
  refreshDelayMs,
  rosterOf,
  type RosterEntry,
  type SubscriptionState,
} from './conference-state';
import { statusError, type SipUa } from './sip-ua';

/** RFC 4575 3.1 */
export const CONFERENCE_EVENT = 'conference';

/** Expires a SUBSCRIBE asks for when nobody says otherwise, s. */
export const DEFAULT_CONFERENCE_EXPIRES_S = 600;

/** Fresh SUBSCRIBEs after a lost dialog (RFC 6665 4.1.3 timeout, a failed refresh) before giving up, with no state applied in between. */
const MAX_RESUBSCRIBES = 3;
/** The longest Min-Expires (RFC 6665 4.1.2.1, 423) we follow, s. */
const MAX_MIN_EXPIRES_S = 86_400;
/** The longest retry-after (RFC 6665 4.1.3) we wait before subscribing again, s. */
const MAX_RETRY_AFTER_S = 60;

export type WatchState = 'subscribing' | 'active' | 'closing' | 'terminated';

export interface ConferenceWatchOptions {
  /** Expires the SUBSCRIBE asks for (RFC 6665 4.1.2.1), s. Default: the client's conferenceExpiresS (600). */
  readonly expiresS?: number;
}

export interface ConferenceEnded {
  /**
   * The Subscription-State reason of the final NOTIFY (RFC 6665 4.1.3: noresource when the
   * session was released, rejected when we may no longer watch it), or 'refresh-failed'.
   */
  readonly reason: string;
  /** The status of the SUBSCRIBE that failed, with 'refresh-failed'. */
  readonly status?: number;
}

export interface ConferenceWatchEvents {
  /** Every state applied: the whole list, ourselves included, in the focus's order. */
  roster: [readonly RosterEntry[]];
  joined: [RosterEntry];
  left: [RosterEntry];
  /** The subscription ended from the other side and will not come back. */
  'conference-ended': [ConferenceEnded];
}

export interface ConferenceWatchStats {
  /** NOTIFYs answered 200 */
  notifies: number;
  /** documents that changed the local state */
  applied: number;
  /** documents not newer than the local version, discarded (RFC 4575 4.6) */
  stale: number;
  /** bodies that were not a conference-info document we could read, ignored */
  malformed: number;
  /** refreshes sent to get full state after a gap (RFC 4575 4.6) */
  resyncs: number;
  /** refreshes sent before expiry (RFC 6665 4.1.2.2) */
  refreshes: number;
  /** new SUBSCRIBEs after a lost dialog */
  resubscribes: number;
}

/** What a watch needs from its client: passed in, never reached for. */
export interface WatchDeps {
  readonly ua: SipUa;
  readonly log: Logger;
  /** How long an unsubscribed watch waits for the final NOTIFY before forgetting its dialog. */
  readonly lingerMs: number;
  /** NOTIFYs of this Call-ID and local tag come to `w` from now on (or no longer). */
  bind(key: string, w: ConferenceWatch): void;
  unbind(key: string, w: ConferenceWatch): void;
}

/** One SUBSCRIBE dialog (a lost one is replaced by a fresh SUBSCRIBE, RFC 6665 4.1.3). */
interface Leg {
  readonly key: string;
  readonly callId: string;
  readonly localTag: string;
  /** The SUBSCRIBE that opened it (its last retry). */
  opening: SipRequest;
  /** From the 2xx, or from a NOTIFY that came first (RFC 6665 4.1.2.4). */
  dialog?: DialogState;
  expiresAt: number;
}

export const watchKey = (callId: string, localTag: string): string => `${callId}\n${localTag}`;

export class ConferenceWatch extends EventEmitter<ConferenceWatchEvents> {
  readonly stats: ConferenceWatchStats = { notifies: 0, applied: 0, stale: 0, malformed: 0, resyncs: 0, refreshes: 0, resubscribes: 0 };
  private st: WatchState = 'subscribing';
  private endReason: string | undefined;
  private leg: Leg | undefined;
  /** The local copy of the state of the current dialog (versions count per dialog). */
  private info: ConferenceInfo | undefined;
  private list: RosterEntry[] = [];
  private seen = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private refreshing = false;
  private failures = 0;
  private readonly readyPromise: Promise<void>;
  private settleReady: (err?: Error) => void = () => undefined;
  private readonly finishedPromise: Promise<void>;
  private settleFinished: () => void = () => undefined;

  constructor(
    /** The IM Session Identity subscribed to (the Request-URI of the SUBSCRIBE). */
    readonly identity: string,
    private readonly deps: WatchDeps,
    private readonly expiresS: number,
  ) {
    super();
    this.readyPromise = new Promise<void>((resolve, reject) => {
      this.settleReady = (err) => {
        this.settleReady = () => undefined;
        if (err === undefined) resolve();
        else reject(err);
      };
    });
    // nobody has to ask: a refusal is also in state and endedBy
    this.readyPromise.catch(() => undefined);
    this.finishedPromise = new Promise<void>((resolve) => (this.settleFinished = resolve));
  }

  /** Sends the first SUBSCRIBE (the client calls it once, after construction). */
  start(): void {
    this.subscribe();
  }

  /** Resolves on the 2xx to the first SUBSCRIBE; rejects with SipStatusError on a refusal. */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  /** Resolves once the watch is over (its final NOTIFY came, or it was given up). */
  finished(): Promise<void> {
    return this.finishedPromise;
  }

  get state(): WatchState {
    return this.st;
  }

  /** Why it ended: a Subscription-State reason, 'refresh-failed', 'refused' or 'unsubscribed'. */
  get endedBy(): string | undefined {
    return this.endReason;
  }

  /** The latest roster ([] until the first NOTIFY with a body). */
  get roster(): readonly RosterEntry[] {
    return this.list;
  }

  /** Whether a first roster has arrived. */
  get known(): boolean {
    return this.seen;
  }

  // ---- SUBSCRIBE ----------------------------------------------------------------------------

  private headers(expiresS: number): Record<string, unknown> {
    return { event: CONFERENCE_EVENT, accept: CONFERENCE_INFO_CONTENT_TYPE, expires: String(expiresS) };
  }

  /** RFC 6665 4.1.2.1: a new subscription (a new dialog). */
  private subscribe(): void {
    const target = { uri: this.identity, params: {} };
    const req = this.deps.ua.newRequest('SUBSCRIBE', this.identity, target, { headers: this.headers(this.expiresS) });
    const callId = req.headers['call-id'] ?? '';
    const localTag = String(req.headers.from?.params.tag ?? '');
    const leg: Leg = { key: watchKey(callId, localTag), callId, localTag, opening: req, expiresAt: 0 };
    this.leg = leg;
    this.info = undefined;
    // bound before sending: the first NOTIFY may overtake the 200 (RFC 6665 4.1.2.4)
    this.deps.bind(leg.key, this);
    this.openLeg(leg, req, true).catch((err: unknown) => this.deps.log.error({ err, identity: this.identity }, 'conference SUBSCRIBE failed'));
  }

  private async openLeg(leg: Leg, first: SipRequest, mayRetry: boolean): Promise<void> {
    let sent: SipRequest;
    let rs: SipResponse;
    try {
      ({ req: sent, rs } = await this.deps.ua.send(first));
    } catch (err) {
      return this.legFailed(leg, { status: 0, reason: (err as Error).message, headers: {}, body: Buffer.alloc(0) } as SipResponse, 'SUBSCRIBE');
    }
    leg.opening = sent;
    if (leg.dialog !== undefined) leg.dialog.localSeq = Math.max(leg.dialog.localSeq, sent.headers.cseq?.seq ?? 0);
    // RFC 6665 4.1.2.1 / RFC 3261 21.4.17: too brief; ask again with the notifier's Min-Expires
    const min = Number(headerText(rs, 'min-expires'));
    if (rs.status === 423 && mayRetry && Number.isInteger(min) && min > 0 && min <= MAX_MIN_EXPIRES_S && this.leg === leg && this.st !== 'closing') {
      const seq = (sent.headers.cseq?.seq ?? 1) + 1;
      const retry: SipRequest = { ...sent, headers: { ...sent.headers, via: [], cseq: { seq, method: 'SUBSCRIBE' }, expires: String(min) } };
      return this.openLeg(leg, retry, false);
    }
    if (rs.status < 200 || rs.status >= 300) return this.legFailed(leg, rs, 'SUBSCRIBE');
    leg.dialog ??= dialogAsUac(sent, rs, this.deps.ua.serverFlow());
    this.settleReady();
    if (this.leg !== leg) return;
    if (this.st === 'subscribing') this.st = 'active';
    const granted = grantedExpires(rs, this.expiresS);
    // 0 granted: a fetch (RFC 6665 4.4.3); the final NOTIFY follows, nothing to refresh
    if (this.st === 'active' && granted > 0) this.arm(leg, granted);
  }

  private legFailed(leg: Leg, rs: SipResponse, method: string): void {
    const err = statusError(method, rs);
    this.settleReady(err);
    if (this.leg !== leg) return;
    this.dropLeg(leg);
    if (this.st === 'closing') return this.finish('unsubscribed');
    // the first SUBSCRIBE refused: nothing to watch; a later one: the watch has run out of tries
    if (!this.seen && this.stats.resubscribes === 0) return this.finish('refused');
    this.lost({ reason: 'refresh-failed', status: rs.status }, 0);
  }

  /** RFC 6665 4.1.2.2: refresh before the subscription expires. */
  private arm(leg: Leg, expiresS: number): void {
    this.clearRefresh();
    leg.expiresAt = Date.now() + expiresS * 1000;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.refresh('timer');
    }, refreshDelayMs(expiresS));
    this.refreshTimer.unref();
  }

  /**
   * An in-dialog SUBSCRIBE: before expiry, or (RFC 4575 4.6) to get full state after a gap
   * (RFC 6665 4.2.1.2: the notifier answers every refresh with a NOTIFY). One at a time: the
   * NOTIFY of the one in flight brings full state anyway.
   */
  private refresh(why: 'timer' | 'resync'): void {
    const leg = this.leg;
    if (this.st !== 'active' || this.refreshing || leg?.dialog === undefined) return;
    this.refreshing = true;
    if (why === 'timer') this.stats.refreshes++;
    else this.stats.resyncs++;
    const req = inDialogRequest(leg.dialog, 'SUBSCRIBE', { headers: { ...this.headers(this.expiresS), contact: [this.deps.ua.contact()] } });
    this.deps.ua
      .send(req)
      .then(({ req: sent, rs }) => {
        this.refreshing = false;
        if (leg.dialog !== undefined) leg.dialog.localSeq = Math.max(leg.dialog.localSeq, sent.headers.cseq?.seq ?? 0);
        if (this.leg !== leg || this.st !== 'active') return;
        const granted = grantedExpires(rs, this.expiresS);
        if (rs.status >= 200 && rs.status < 300) {
          if (granted > 0) this.arm(leg, granted);
        }
        else this.legFailed(leg, rs, 'SUBSCRIBE refresh');
      })
      .catch((err: unknown) => {
        this.refreshing = false;
        if (this.leg !== leg || this.st !== 'active') return;
        this.legFailed(leg, { status: 0, reason: (err as Error).message, headers: {}, body: Buffer.alloc(0) } as SipResponse, 'SUBSCRIBE refresh');
      });
  }

  /**
   * RFC 6665 4.1.2.3: unsubscribe (SUBSCRIBE with Expires: 0 in the dialog); the notifier's
   * final NOTIFY then ends it. Resolves with the SUBSCRIBE's status (0 when none was sent).
   * No 'conference-ended' follows: we ended it.
   */
  async unsubscribe(): Promise<number> {
    if (this.st === 'closing' || this.st === 'terminated') return 0;
    const wasSubscribing = this.st === 'subscribing';
    this.st = 'closing';
    this.clearRefresh();
    this.clearRetry();
    if (wasSubscribing) {
      try {
        await this.readyPromise;
      } catch {
        return 0;
      }
    }
    const leg = this.leg;
    if (leg?.dialog === undefined || this.st !== 'closing') {
      this.finish('unsubscribed');
      return 0;
    }
    // bounded: should the final NOTIFY never come, the dialog is forgotten anyway
    this.lingerTimer = setTimeout(() => this.finish('unsubscribed'), this.deps.lingerMs);
    this.lingerTimer.unref();
    const req = inDialogRequest(leg.dialog, 'SUBSCRIBE', { headers: { ...this.headers(0), contact: [this.deps.ua.contact()] } });
    let status = 0;
    try {
      status = (await this.deps.ua.send(req)).rs.status;
    } catch {
      status = 0;
    }
    // refused (481: the focus already ended it): no final NOTIFY will come
    if (status < 200 || status >= 300) this.finish('unsubscribed');
    return status;
  }

  /** Client shutdown: timers off, the dialog forgotten, nothing sent. */
  dispose(): void {
    this.finish(this.endReason ?? 'unsubscribed');
  }

  // ---- NOTIFY ---------------------------------------------------------------------------------

  /** A NOTIFY whose Call-ID and To tag the client matched to this watch. */
  handleNotify(req: IncomingRequest): void {
    const leg = this.leg;
    const m = req.msg;
    if (leg === undefined || watchKey(m.headers['call-id'] ?? '', String(m.headers.to?.params.tag ?? '')) !== leg.key) {
      req.reply(481, 'Subscription Does Not Exist');
      return;
    }
    const fromTag = String(m.headers.from?.params.tag ?? '');
    if (leg.dialog === undefined) leg.dialog = dialogFromNotify(leg, m, req.flow);
    else if (leg.dialog.remoteTag !== fromTag) {
      // a second notifier for one SUBSCRIBE (a fork): we keep the first (RFC 6665 4.5.2 allows refusing)
      req.reply(481, 'Subscription Does Not Exist');
      return;
    }
    // RFC 3261 12.2.2
    if (!acceptRemoteSeq(leg.dialog, m)) {
      req.reply(500, 'CSeq out of order');
      return;
    }
    // RFC 6665 8.2.1 / 4.1.3: Event must be the package subscribed to, Subscription-State present
    const event = headerText(m, 'event')?.split(';', 1)[0]?.trim().toLowerCase();
    if (event !== CONFERENCE_EVENT) {
      req.reply(489, 'Bad Event', { headers: { 'allow-events': CONFERENCE_EVENT } });
      return;
    }
    const ss = parseSubscriptionState(headerText(m, 'subscription-state'));
    if (ss === undefined) {
      req.reply(400, 'Missing or bad Subscription-State');
      return;
    }
    // RFC 6665 4.1.3 / RFC 3261 12.2: NOTIFY refreshes the remote target
    refreshTarget(leg.dialog, m);
    req.reply(200);
    this.stats.notifies++;
    if (ss.state === 'terminated') return this.terminated(leg, ss);
    // once we are leaving, the state of the session is no longer ours to tell
    if (this.st === 'closing') return;
    if (ss.expires !== undefined && this.st === 'active') this.shorten(leg, ss.expires);
    this.takeBody(m);
  }

  /** The notifier may grant less time than the 200 said (RFC 6665 4.1.3, expires of an active NOTIFY). */
  private shorten(leg: Leg, expiresS: number): void {
    if (Date.now() + expiresS * 1000 < leg.expiresAt - 1000) this.arm(leg, expiresS);
  }

  private takeBody(m: SipRequest): void {
    // RFC 6665 4.1.3: a NOTIFY may carry no body (a pending subscription, say)
    if (m.body.length === 0) return;
    let doc: ConferenceInfo;
    try {
      const type = mediaType(m);
      if (type !== CONFERENCE_INFO_CONTENT_TYPE) throw new Error(`Content-Type is ${type === undefined ? 'missing' : JSON.stringify(type.slice(0, 60))}, not ${CONFERENCE_INFO_CONTENT_TYPE}`);
      doc = parseConferenceInfo(m.body);
    } catch (err) {
      this.stats.malformed++;
      this.deps.log.warn({ identity: this.identity, reason: (err as Error).message, malformed: this.stats.malformed }, 'conference NOTIFY body ignored');
      return;
    }
    const r = applyInfo(this.info, doc);
    if (r.kind === 'stale') {
      this.stats.stale++;
      return;
    }
    if (r.kind === 'resync') return this.refresh('resync');
    this.info = r.state;
    this.stats.applied++;
    this.failures = 0;
    const next = rosterOf(r.state, this.deps.ua.aor);
    const { joined, left } = this.seen ? diffRoster(this.list, next) : { joined: [], left: [] };
    this.list = next;
    this.seen = true;
    for (const e of left) this.tell('left', e);
    for (const e of joined) this.tell('joined', e);
    this.tell('roster', next);
  }

  /** RFC 6665 4.1.3: the subscription is over; some reasons allow subscribing again. */
  private terminated(leg: Leg, ss: SubscriptionState): void {
    this.dropLeg(leg);
    if (this.st === 'closing' || this.st === 'terminated') {
      // we were leaving anyway; the session's release is still worth telling
      if (ss.reason === 'noresource' && this.st === 'closing') this.tell('conference-ended', { reason: 'noresource' });
      return this.finish('unsubscribed');
    }
    this.lost({ reason: ss.reason ?? 'terminated' }, mayResubscribe(ss.reason) ? ss.retryAfter ?? 0 : 'never');
  }

  /** The dialog is gone: subscribe again (bounded) when allowed, else the watch ends. */
  private lost(ended: ConferenceEnded, retryAfterS: number | 'never'): void {
    if (retryAfterS === 'never' || this.failures >= MAX_RESUBSCRIBES) return this.end(ended);
    this.failures++;
    this.stats.resubscribes++;
    this.st = 'subscribing';
    this.clearRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.st === 'subscribing') this.subscribe();
    }, Math.min(retryAfterS, MAX_RETRY_AFTER_S) * 1000);
    this.retryTimer.unref();
  }

  private end(ended: ConferenceEnded): void {
    if (this.st === 'terminated') return;
    this.finish(ended.reason);
    this.tell('conference-ended', ended);
  }

  private finish(reason: string): void {
    if (this.st === 'terminated') return;
    this.st = 'terminated';
    this.endReason = reason;
    this.clearRefresh();
    this.clearRetry();
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.leg !== undefined) this.dropLeg(this.leg);
    this.settleReady(new Error(`conference subscription ended: ${reason}`));
    this.settleFinished();
  }

  private dropLeg(leg: Leg): void {
    this.deps.unbind(leg.key, this);
    if (this.leg === leg) {
      this.leg = undefined;
      this.clearRefresh();
    }
  }

  private clearRefresh(): void {
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  private clearRetry(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** A listener's throw stays with the listener: the NOTIFY is answered and the watch goes on. */
  private tell<K extends keyof ConferenceWatchEvents>(event: K, ...args: ConferenceWatchEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: ConferenceWatchEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.deps.log.error({ err, identity: this.identity, event }, 'conference listener threw');
    }
  }
}

/** RFC 6665 4.1.2.4: a NOTIFY that overtakes the 2xx makes the dialog (its From tag is the notifier's). */
function dialogFromNotify(leg: Leg, notify: SipRequest, flow: Flow): DialogState {
  const h = leg.opening.headers;
  const contact = notify.headers.contact;
  return {
    callId: leg.callId,
    localTag: leg.localTag,
    remoteTag: String(notify.headers.from?.params.tag ?? ''),
    local: h.from!,
    remote: { uri: h.to?.uri ?? '', params: {} },
    localSeq: h.cseq?.seq ?? 1,
    remoteSeq: undefined,
    remoteTarget: Array.isArray(contact) && contact.length > 0 ? contact[0]!.uri : leg.opening.uri,
    routeSet: [...(notify.headers['record-route'] ?? [])],
    flow,
  };
}

/** RFC 6665 4.1.2.1: the 2xx says how long the subscription lasts (Expires); else what we asked. */
function grantedExpires(rs: SipResponse, asked: number): number {
  const raw = headerText(rs, 'expires')?.trim();
  return raw !== undefined && /^\d{1,10}$/.test(raw) ? Number(raw) : asked;
}
