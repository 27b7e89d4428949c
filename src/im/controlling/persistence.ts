// Group sessions in the store (DESIGN "Persistence"): a session and its members are written
// before the 200 that acknowledges them (one group commit, shared with other writes of the
// batch window); leaving members and released sessions are removed without waiting. After a
// restart every stored member gets a BYE (its MSRP leg died with the process) and may rejoin
// with the IM Session Identity (OMA IM 7.1.1.9, 7.2.1.5).
import type { DialogState } from '../../sip/message/dialog';
import type { Flow } from '../../sip/message/types';
import type { GroupMemberRecord, GroupSessionRecord, GroupSessionRepository } from '../../store';
import type { Conference, Member } from './conference';

export type Grouped = (fn: () => void) => Promise<void>;

/** What a member row keeps of its dialog: enough to send a BYE after a restart. */
export interface StoredLeg {
  readonly dialog: DialogState;
  readonly flows: Flow[];
}

export class GroupRows {
  constructor(
    private readonly repo: GroupSessionRepository | undefined,
    private readonly grouped: Grouped = async (fn) => fn(),
  ) {}

  /** The session row (first time) and this member's, committed before the member is answered. */
  admitted(conf: Conference, m: Member, first: boolean): Promise<void> {
    const repo = this.repo;
    if (repo === undefined) return Promise.resolve();
    return this.grouped(() => {
      if (first) repo.saveSession(sessionRecord(conf));
      repo.saveMember(memberRecord(conf, m));
    });
  }

  /** An invitee that accepted: kept for the BYE after a restart; nobody waits for it. */
  accepted(conf: Conference, m: Member): Promise<void> {
    const repo = this.repo;
    if (repo === undefined) return Promise.resolve();
    return this.grouped(() => repo.saveMember(memberRecord(conf, m)));
  }

  left(conf: Conference, m: Member): Promise<void> {
    const repo = this.repo;
    if (repo === undefined) return Promise.resolve();
    return this.grouped(() => repo.removeMember(conf.id, m.pid));
  }

  released(conf: Conference): Promise<void> {
    const repo = this.repo;
    if (repo === undefined) return Promise.resolve();
    return this.grouped(() => repo.remove(conf.id));
  }

  /** After a restart: the rejoin window's start kept, the dead dialogs forgotten (one BYE each, ever). */
  restored(conf: Conference, since: number | null): Promise<void> {
    const repo = this.repo;
    if (repo === undefined) return Promise.resolve();
    return this.grouped(() => {
      repo.setDisconnectedSince(conf.id, since);
      for (const m of conf.members.values()) if (m.state === 'disconnected') repo.saveMember(memberRecord(conf, m));
    });
  }

  stored(): { session: GroupSessionRecord; members: GroupMemberRecord[] }[] {
    return this.repo?.all() ?? [];
  }
}

function sessionRecord(conf: Conference): GroupSessionRecord {
  return { id: conf.id, kind: conf.kind, identity: conf.identity, initiator: conf.initiator, groupId: conf.groupId ?? null, invited: conf.invited, createdAt: conf.createdAt };
}

function memberRecord(conf: Conference, m: Member): GroupMemberRecord {
  const leg: StoredLeg | null = m.dialog === undefined ? null : { dialog: m.dialog, flows: m.flows };
  return { sessionId: conf.id, memberId: m.pid, uri: m.uri, anonymous: m.anonymous, leg: JSON.stringify(leg) };
}

/** The stored leg of a member row, or undefined when unreadable. */
export function storedLeg(json: string): StoredLeg | undefined {
  try {
    const v = JSON.parse(json) as StoredLeg | null;
    if (v === null || typeof v !== 'object' || typeof v.dialog?.callId !== 'string' || !Array.isArray(v.flows)) return undefined;
    return v;
  } catch {
    return undefined;
  }
}
