// What the pieces of the participating function share: built once by ParticipatingFunction and
// handed to the set-up, re-INVITE and release steps, so each lives in its own file.
import type { Flow, NameAddr } from '../../sip/message/types';
import type { SipTimers } from '../../sip/stack';
import type { ParticipatingDeps, ParticipatingOptions, ParticipatingStats } from './options';
import type { SessionRows } from './persistence';
import type { B2bSession, LegName } from './session';
import type { SessionTable } from './table';
import type { LegTimeouts } from './legs';

export interface B2bContext {
  readonly opts: ParticipatingOptions;
  readonly deps: ParticipatingDeps;
  readonly stats: ParticipatingStats;
  readonly table: SessionTable;
  readonly rows: SessionRows;
  readonly timers: SipTimers;
  readonly legTimeouts: LegTimeouts;
  /** Our Contact for a session's dialogs (routes back to this box, over TLS for a secure flow). */
  contact(s: B2bSession, flow: Pick<Flow, 'protocol' | 'secure'>): NameAddr;
  /** A promise nobody awaits: a rejection is logged and counted, never unhandled. */
  fireAndForget(p: Promise<unknown>, what: string, session: string | undefined): void;
  /** Ends a session (release.ts); idempotent. */
  release(s: B2bSession, reason: string, skip?: LegName, callerStatus?: number): void;
  /** The set-up boundary: a throw while setting up releases all it built (caller 500). */
  setupFailed(s: B2bSession, err: unknown): void;
}
