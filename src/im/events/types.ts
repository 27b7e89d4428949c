// What the conference event package (RFC 4575; OMA IM 7.2.2.10, 7.2.2.11) reads of a group
// session, and what it is built with. The focus (src/im/controlling) provides the view.
import type { Logger } from '../../log';
import type { IncomingRequest, SipStack } from '../../sip/stack';
import type { EndpointStatus } from '../../xml';
import type { GroupSessionRepository } from '../../store';

/** The user part of an IM Session Identity is conf-<id> (the focus's Contact, DESIGN fixed point). */
export const IDENTITY_PREFIX = 'conf-';

/** RFC 4579 3: the focus's Contact carries the isfocus feature parameter; transport as the flow. */
export function focusContact(identity: string, protocol: 'UDP' | 'TCP'): { uri: string; params: Record<string, string | null> } {
  return { uri: protocol === 'TCP' ? `${identity};transport=tcp` : identity, params: { isfocus: null } };
}

export interface StateUser {
  /** stable while the member is in the session (the focus's participant id) */
  readonly key: string;
  /** its IM Address; never shown when anonymous */
  readonly uri: string;
  readonly anonymous: boolean;
  readonly initiator: boolean;
  readonly status: EndpointStatus;
  /** RFC 4575 5.7.2: it called in, or the focus invited it */
  readonly joining: 'dialed-in' | 'dialed-out';
}

/** Who may watch a session (OMA IM 7.1.1.11 / 7.2.2.10): a participant, or a non-participant the group's allow-conference-state admits. */
export type WatcherRight = 'participant' | 'allowed' | 'refused';

export interface ConferenceView {
  readonly id: string;
  /** the IM Session Identity (conference URI) */
  readonly identity: string;
  readonly displayText?: string;
  readonly maxUserCount?: number;
  users(): StateUser[];
  watcher(uri: string): WatcherRight;
}

export interface EventsOptions {
  readonly domain: string;
  /** shortest subscription accepted, s (shorter: 423 with Min-Expires) */
  readonly minExpiresS: number;
  /** longest subscription granted, s */
  readonly maxExpiresS: number;
  /** when a SUBSCRIBE asks none, s */
  readonly defaultExpiresS: number;
  /** subscriptions at once, over all sessions (beyond: 503 + Retry-After) */
  readonly maxSubscriptions: number;
  /** subscriptions one user may hold at once (beyond: 403) */
  readonly maxPerUser: number;
  readonly retryAfterS: number;
}

export interface EventsDeps {
  readonly stack: () => SipStack;
  /**
   * The Authenticated Originator of a request (its user name on this box): undefined when a
   * challenge or refusal was already sent, null when it names nobody of this domain.
   */
  readonly originator: (req: IncomingRequest) => string | null | undefined;
  /** a live group session by the id in its IM Session Identity (conf-<id>) */
  readonly conference: (id: string) => ConferenceView | undefined;
  /** Where subscriptions outlive a restart (with their group session); memory only without it. */
  readonly store?: GroupSessionRepository;
  /** Group commit of the store (Store.grouped). */
  readonly grouped?: (fn: () => void) => Promise<void>;
  readonly log: Logger;
}

export interface EventsStats {
  subscriptions: number;
  refused: number;
  notifies: number;
  /** NOTIFYs folded into a later one because one was still unanswered (the newest full state wins) */
  coalesced: number;
  notifyFailures: number;
  terminated: number;
  /** subscriptions restored from the store after a restart */
  restored: number;
}

export const newEventsStats = (): EventsStats => ({ subscriptions: 0, refused: 0, notifies: 0, coalesced: 0, notifyFailures: 0, terminated: 0, restored: 0 });
