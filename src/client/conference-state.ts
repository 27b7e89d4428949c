// What a subscriber makes of the conference event package (RFC 4575 over RFC 6665): the
// Subscription-State of a NOTIFY, the local copy of the conference state built from successive
// documents (RFC 4575 4.6, "Constructing Coherent State"), and the roster a person reads, with
// who joined and who left between two states. Pure: no sockets, no clock.
import type { ConferenceInfo, EndpointStatus, InfoEndpoint, InfoUser } from '../xml';
import { userKey } from './group';

export interface RosterEntry {
  /** The user's URI in the document (an anonymous participant's is a pseudonym, never its address). */
  readonly entity: string;
  /** What a person reads: the display text, 'anonymous' for an anonymous participant, else the URI. */
  readonly name: string;
  readonly anonymous: boolean;
  /** RFC 4575 5.7.1; undefined when the focus gave none. */
  readonly status: EndpointStatus | undefined;
  readonly roles: readonly string[];
  /** The entry is the subscriber itself (its entity is our AOR). */
  readonly self: boolean;
}

/** RFC 6665 8.2.3 / 4.1.3: the Subscription-State header. */
export interface SubscriptionState {
  readonly state: 'active' | 'pending' | 'terminated' | string;
  readonly expires?: number;
  readonly reason?: string;
  readonly retryAfter?: number;
}

/** Reads a Subscription-State value; undefined when it names no state. */
export function parseSubscriptionState(value: string | undefined): SubscriptionState | undefined {
  if (value === undefined) return undefined;
  const [head, ...params] = value.split(';');
  const state = head?.trim().toLowerCase();
  if (!state || !/^[a-z0-9.!%*_+`'~-]+$/.test(state)) return undefined;
  let expires: number | undefined;
  let reason: string | undefined;
  let retryAfter: number | undefined;
  for (const p of params) {
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    const v = eq < 0 ? '' : p.slice(eq + 1).trim();
    if (name === 'expires' && /^\d{1,10}$/.test(v)) expires = Number(v);
    else if (name === 'retry-after' && /^\d{1,10}$/.test(v)) retryAfter = Number(v);
    else if (name === 'reason' && /^[A-Za-z0-9.!%*_+`'~-]{1,32}$/.test(v)) reason = v.toLowerCase();
  }
  return { state, ...(expires !== undefined ? { expires } : {}), ...(reason !== undefined ? { reason } : {}), ...(retryAfter !== undefined ? { retryAfter } : {}) };
}

/**
 * RFC 6665 4.1.3: after a termination with one of these reasons the subscriber may subscribe
 * again (at once, or after retry-after); after any other (noresource, rejected, invariant, or
 * none given, which the RFC leaves to the subscriber) it does not.
 */
export function mayResubscribe(reason: string | undefined): boolean {
  return reason === 'deactivated' || reason === 'timeout' || reason === 'probation' || reason === 'giveup';
}

/**
 * RFC 6665 4.1.2.2: a subscription is refreshed before it expires: half-way for short ones,
 * 30 s ahead for long ones, so a retransmitted refresh still lands in time.
 */
export function refreshDelayMs(expiresS: number): number {
  return Math.max(expiresS / 2, expiresS - 30) * 1000;
}

/** What to do with one received document. */
export type Applied =
  | { readonly kind: 'applied'; readonly state: ConferenceInfo }
  /** its version is not newer than the local one: discarded */
  | { readonly kind: 'stale' }
  /** a partial document that does not follow the local version (or with no full state yet): ask for full state */
  | { readonly kind: 'resync' };

/**
 * RFC 4575 4.6: a document whose version is not above the local version is discarded; full
 * state replaces the local copy; partial state applies only to the version right before it,
 * and a gap (or partial state with nothing to apply it to) needs a refresh for full state.
 */
export function applyInfo(local: ConferenceInfo | undefined, doc: ConferenceInfo): Applied {
  if (local !== undefined && doc.version <= local.version) return { kind: 'stale' };
  if (doc.state === 'full') return { kind: 'applied', state: doc };
  if (local === undefined || doc.state !== 'partial' || doc.version !== local.version + 1) return { kind: 'resync' };
  return { kind: 'applied', state: mergePartial(local, doc) };
}

/** RFC 4575 4.6: partial state changes what it names and keeps the rest. */
function mergePartial(local: ConferenceInfo, doc: ConferenceInfo): ConferenceInfo {
  let users = local.users;
  if (doc.users !== undefined) {
    const byEntity = new Map((local.users ?? []).map((u) => [u.entity, u] as const));
    for (const u of doc.users) {
      const old = byEntity.get(u.entity);
      if (u.state === 'deleted') byEntity.delete(u.entity);
      else if (u.state === 'partial' && old !== undefined) byEntity.set(u.entity, mergeUser(old, u));
      else byEntity.set(u.entity, u);
    }
    users = [...byEntity.values()];
  }
  return {
    entity: doc.entity,
    state: 'full',
    version: doc.version,
    ...(doc.description ?? local.description ? { description: { ...local.description, ...doc.description } } : {}),
    ...(doc.conferenceState ?? local.conferenceState ? { conferenceState: { ...local.conferenceState, ...doc.conferenceState } } : {}),
    ...(users !== undefined ? { users } : {}),
  };
}

function mergeUser(old: InfoUser, u: InfoUser): InfoUser {
  let endpoint: InfoEndpoint | undefined = old.endpoint;
  if (u.endpoint !== undefined) {
    if (u.endpoint.state === 'deleted') endpoint = undefined;
    else endpoint = u.endpoint.state === 'partial' && old.endpoint !== undefined ? { ...old.endpoint, ...u.endpoint } : u.endpoint;
  }
  const displayText = u.displayText ?? old.displayText;
  const roles = u.roles ?? old.roles;
  return {
    entity: old.entity,
    state: 'full',
    ...(displayText !== undefined ? { displayText } : {}),
    ...(roles !== undefined ? { roles } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
  };
}

const ANONYMOUS_HOST = 'anonymous.invalid';

/**
 * RFC 3323 4.1.1.3 names nobody with the host anonymous.invalid; a focus shows an anonymous
 * participant (OMA IM 7.2.2.10) that way, or with the display text "Anonymous".
 */
function isAnonymous(u: InfoUser): boolean {
  const key = userKey(u.entity).toLowerCase();
  return key.endsWith(`@${ANONYMOUS_HOST}`) || key === `sip:${ANONYMOUS_HOST}` || u.displayText?.trim().toLowerCase() === 'anonymous';
}

/** The roster of a conference state, in document order; `self` is our AOR. */
export function rosterOf(info: ConferenceInfo, self: string): RosterEntry[] {
  const me = userKey(self);
  return (info.users ?? []).map((u): RosterEntry => {
    const anonymous = isAnonymous(u);
    const text = u.displayText?.trim();
    return {
      entity: u.entity,
      name: anonymous ? 'anonymous' : text ? text : u.entity,
      anonymous,
      status: u.endpoint?.status,
      roles: u.roles ?? [],
      self: !anonymous && userKey(u.entity) === me,
    };
  });
}

/**
 * In the session (RFC 4575 5.7.1): connected, on hold or muted by the focus, or with no status
 * given; pending, dialling, alerting and disconnect(ing) endpoints are not (yet, or any more).
 */
export function isPresent(e: RosterEntry): boolean {
  return e.status === undefined || e.status === 'connected' || e.status === 'on-hold' || e.status === 'muted-via-focus';
}

/** Who is in `next` and was not in `prev`, and the reverse (present users, by entity). */
export function diffRoster(prev: readonly RosterEntry[], next: readonly RosterEntry[]): { joined: RosterEntry[]; left: RosterEntry[] } {
  const before = new Map(prev.filter(isPresent).map((e) => [e.entity, e] as const));
  const after = new Map(next.filter(isPresent).map((e) => [e.entity, e] as const));
  return {
    joined: [...after.values()].filter((e) => !before.has(e.entity)),
    left: [...before.values()].filter((e) => !after.has(e.entity)),
  };
}
