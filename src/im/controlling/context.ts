// What the pieces of the focus share (focus.ts builds it once; join, invite and release use it).
import type { NameAddr } from '../../sip/message/types';
import type { ReleaseEvent } from '../policies';
import type { Conference, Member } from './conference';
import type { ControllingDeps, ControllingOptions, ControllingStats } from './options';
import type { GroupRows } from './persistence';

export interface FocusContext {
  readonly opts: ControllingOptions;
  readonly deps: ControllingDeps;
  readonly stats: ControllingStats;
  readonly now: () => number;
  readonly rows: GroupRows;
  /** The focus's Contact for a conference (IM Session Identity with ;isfocus, RFC 4579). */
  contact(conf: Conference, protocol: 'UDP' | 'TCP'): NameAddr;
  /** Dialog index: requests whose To tag is ours find their member. */
  indexDialog(conf: Conference, m: Member): void;
  forgetDialog(m: Member): void;
  /** A promise nobody awaits: a rejection is logged and counted. */
  fireAndForget(p: Promise<unknown>, what: string, conf: string): void;
  /** 7.2.2.8 after something happened to the session. */
  applyRelease(conf: Conference, event: ReleaseEvent): void;
  /** 7.2.1.9: the focus removes a participant (BYE unless it already ended its dialog). */
  removeMember(conf: Conference, m: Member, reason: string): void;
  /** The member's MSRP leg is up: it is a Participant now. */
  memberJoined(conf: Conference, m: Member): void;
}
