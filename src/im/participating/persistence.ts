// The session rows of the participating function: written by group commit (one transaction,
// one fsync, for every write of the batch window; the caller's 200 goes out only after it)
// and read back after a restart, when every stored session is ended with BYE on both legs.
import type { Logger } from '../../log';
import type { SessionRecord, SessionRepository } from '../../store';
import type { DialogState } from '../../sip/message/dialog';
import type { Flow } from '../../sip/message/types';
import type { B2bSession, Leg } from './session';

/**
 * Queues a synchronous write for the next group commit; resolves once committed (Store.grouped).
 * `deferred`: nobody is acknowledged on it, so it waits for a commit that happens anyway.
 */
export type GroupedWrite = (fn: () => void, opts?: { readonly deferred?: boolean }) => Promise<void>;

/** What a stored leg holds: enough to send it a BYE after a restart. */
export interface StoredLeg {
  readonly dialog: DialogState;
  readonly flows: Flow[];
}

export class SessionRows {
  constructor(
    private readonly repo: SessionRepository,
    private readonly grouped: GroupedWrite,
  ) {}

  /**
   * Writes the session's row in the next group commit. The row is built when the batch runs:
   * a session released meanwhile writes nothing (release has queued or made its removal).
   */
  save(s: B2bSession, state: 'confirmed' = 'confirmed'): Promise<void> {
    s.persisted = true;
    return this.grouped(() => {
      if (s.state === 'terminated') return;
      this.repo.save(record(s, state));
    });
  }

  /**
   * Removes the row of a session that had one; queued behind its save, so it cannot come back.
   * Deferred: no answer waits on it, and a row that outlives a crash only costs each leg a BYE
   * at recovery (answered 481), so it rides in the next commit instead of paying an fsync of
   * its own: one fsync per set-up at most (issue 8).
   */
  remove(s: B2bSession): Promise<void> {
    if (!s.persisted) return Promise.resolve();
    return this.grouped(() => void this.repo.remove(s.id), { deferred: true });
  }

  /**
   * After a restart: every stored session lost its MSRP legs. Each stored leg is handed to
   * `bye` and the row removed; returns how many sessions there were.
   */
  recover(bye: (leg: StoredLeg, sessionId: string) => void, log: Logger): number {
    const live = this.repo.live();
    for (const row of live) {
      for (const legJson of [row.callerLeg, row.calleeLeg]) {
        if (!legJson) continue;
        try {
          const leg = JSON.parse(legJson) as Partial<StoredLeg>;
          if (leg.dialog && Array.isArray(leg.flows)) bye(leg as StoredLeg, row.id);
        } catch (err) {
          log.warn({ err, session: row.id }, 'stored session leg unreadable');
        }
      }
      this.repo.remove(row.id);
    }
    if (live.length) log.info({ sessions: live.length }, 'stale sessions from before the restart released');
    return live.length;
  }
}

function record(s: B2bSession, state: 'confirmed'): SessionRecord {
  const leg = (l: Leg) => (l.dialog ? JSON.stringify({ dialog: l.dialog, flows: l.flows }) : null);
  return {
    id: s.id,
    kind: s.kind,
    state,
    caller: s.caller.user,
    callee: s.callee.user,
    callerLeg: leg(s.caller) ?? '{}',
    calleeLeg: leg(s.callee),
    createdAt: s.createdAt,
    updatedAt: Date.now(),
  };
}

/** Without a store that batches (unit tests, tools): the write runs at once. */
export const immediateWrite: GroupedWrite = (fn) => {
  try {
    fn();
    return Promise.resolve();
  } catch (err) {
    return Promise.reject(err);
  }
};
