// The live sessions of the participating function and the indexes that find them: by id, by
// MSRP pair, by dialog (Call-ID + tags) and by the top Via branch of a pending caller INVITE.
import type { SipRequest } from '../../sip/message/types';
import { matchesDialog, type DialogState } from '../../sip/message/dialog';
import type { B2bSession, LegName } from './session';

export class SessionTable {
  private readonly sessions = new Map<string, B2bSession>();
  /** Call-ID -> sessions with a leg in that dialog (caller Call-IDs are not ours to choose). */
  private readonly byCallId = new Map<string, Set<B2bSession>>();
  private readonly byPair = new Map<string, B2bSession>();
  /** Top Via branch of a pending caller INVITE -> its session, for CANCEL (RFC 3261 9.2). */
  private readonly byBranch = new Map<string, B2bSession>();
  /**
   * User -> its sessions (either side), and caller source address -> sessions not yet
   * answered: the admission checks of every INVITE read these instead of scanning every live
   * session (issue 8: a set-up's cost grew with the sessions held open).
   */
  private readonly byUser = new Map<string, Set<B2bSession>>();
  private readonly pendingBySource = new Map<string, Set<B2bSession>>();

  get size(): number {
    return this.sessions.size;
  }

  all(): B2bSession[] {
    return [...this.sessions.values()];
  }

  /** Live sessions by kind, for metrics and tests. */
  counts(): Record<string, number> {
    const out: Record<string, number> = { '1-1': 0, 'large-message': 0 };
    for (const s of this.sessions.values()) out[s.kind]++;
    return out;
  }

  /** Sessions the user is in, either side (sessions.maxPerUser). */
  /**
   * Sessions that count against a user's limit: everything it takes part in, except sessions
   * still ringing toward it from others. Otherwise anyone could lock a user out (of calling
   * and of being called) with a few INVITEs it never answers. An inbound ringing session counts
   * only against the caller that placed it (`from`), so a flooder fills its own slots.
   */
  userSessions(user: string, from?: string): number {
    let n = 0;
    for (const s of this.byUser.get(user) ?? []) {
      if (s.caller.user === user) n++;
      else if (s.callee.user === user && (s.state !== 'early' || s.caller.user === from)) n++;
    }
    return n;
  }

  /** Sessions not yet answered whose caller's INVITE came from this address (sessions.maxPendingPerSource). */
  pendingFromSource(address: string): number {
    let n = 0;
    for (const s of this.pendingBySource.get(address) ?? []) if (s.state === 'early' && s.caller.flows[0]?.address === address) n++;
    return n;
  }

  /** The caller was answered: the session no longer counts as pending from its source. */
  confirmed(s: B2bSession): void {
    unindex(this.pendingBySource, sourceOf(s), s);
  }

  add(s: B2bSession, branch: string | undefined): void {
    this.sessions.set(s.id, s);
    this.byPair.set(s.pairId, s);
    if (s.caller.dialog) this.indexDialog(s, s.caller.dialog);
    if (branch) this.byBranch.set(branch, s);
    index(this.byUser, s.caller.user, s);
    if (s.callee.user !== s.caller.user) index(this.byUser, s.callee.user, s);
    if (s.state === 'early') index(this.pendingBySource, sourceOf(s), s);
  }

  indexDialog(s: B2bSession, d: DialogState): void {
    let set = this.byCallId.get(d.callId);
    if (!set) this.byCallId.set(d.callId, (set = new Set()));
    set.add(s);
  }

  /** The caller's INVITE got its final answer: a CANCEL can no longer find it. */
  forgetBranch(branch: string): void {
    this.byBranch.delete(branch);
  }

  remove(s: B2bSession): void {
    this.sessions.delete(s.id);
    this.byPair.delete(s.pairId);
    for (const leg of [s.caller, s.callee]) {
      const set = leg.dialog ? this.byCallId.get(leg.dialog.callId) : undefined;
      set?.delete(s);
      if (set && set.size === 0 && leg.dialog) this.byCallId.delete(leg.dialog.callId);
    }
    for (const [b, x] of this.byBranch) if (x === s) this.byBranch.delete(b);
    unindex(this.byUser, s.caller.user, s);
    unindex(this.byUser, s.callee.user, s);
    unindex(this.pendingBySource, sourceOf(s), s);
  }

  byPairId(pairId: string): B2bSession | undefined {
    return this.byPair.get(pairId);
  }

  byBranchId(branch: string): B2bSession | undefined {
    return this.byBranch.get(branch);
  }

  /** The session and leg whose dialog this request belongs to (RFC 3261 12.2.2). */
  findDialog(m: SipRequest): [B2bSession, LegName] | undefined {
    const set = this.byCallId.get(m.headers['call-id'] ?? '');
    if (!set) return undefined;
    for (const s of set) {
      for (const name of ['caller', 'callee'] as const) {
        const d = s.leg(name).dialog;
        if (d && matchesDialog(d, m)) return [s, name];
      }
    }
    return undefined;
  }
}

/** The caller's source address (a leg's user and flows are fixed when the session is created). */
const sourceOf = (s: B2bSession): string => s.caller.flows[0]?.address ?? '';

function index(map: Map<string, Set<B2bSession>>, key: string, s: B2bSession): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(s);
}

function unindex(map: Map<string, Set<B2bSession>>, key: string, s: B2bSession): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(s);
  if (set.size === 0) map.delete(key);
}
