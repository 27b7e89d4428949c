/**
 * Group sessions aggregate: the sessions the controlling function hosts and their members, so
 * a session outlives a power cut (DESIGN "Persistence"). The store keeps what the focus hands
 * it; member legs are opaque JSON it never reads.
 */
import type { Database, Statement } from 'better-sqlite3';
import { StoreValidationError } from './errors';

export interface GroupSessionRecord {
  readonly id: string;
  readonly kind: 'adhoc' | 'predefined';
  /** the IM Session Identity */
  readonly identity: string;
  readonly initiator: string;
  readonly groupId: string | null;
  /** ad-hoc: the URIs invited (7.2.1.5 step 1 lets them join) */
  readonly invited: readonly string[];
  readonly createdAt: number;
  /** when a restart left its members disconnected (epoch ms), or null */
  readonly disconnectedSince?: number | null;
}

export interface GroupMemberRecord {
  readonly sessionId: string;
  readonly memberId: string;
  readonly uri: string;
  readonly anonymous: boolean;
  /** opaque JSON of the member's dialog */
  readonly leg: string;
}

/** A conference state subscription (RFC 4575) to a group session. */
export interface GroupSubscriptionRecord {
  readonly id: string;
  readonly sessionId: string;
  readonly identity: string;
  readonly subscriber: string;
  /** opaque JSON of the subscription's dialog */
  readonly leg: string;
  readonly expiresAt: number;
  readonly version: number;
}

interface SubscriptionRow {
  id: string;
  session_id: string;
  identity: string;
  subscriber: string;
  leg: string;
  expires_at: number;
  version: number;
}

const MAX_JSON = 64 * 1024;

interface SessionRow {
  id: string;
  kind: string;
  identity: string;
  initiator: string;
  group_id: string | null;
  invited: string;
  created_at: number;
  disconnected_since: number | null;
}

interface MemberRow {
  session_id: string;
  member_id: string;
  uri: string;
  anonymous: number;
  leg: string;
}

export class GroupSessionRepository {
  private readonly insertSession: Statement<[Omit<SessionRow, 'disconnected_since'>]>;
  private readonly setDisconnected: Statement<[number | null, string]>;
  private readonly insertMember: Statement<[MemberRow]>;
  private readonly deleteMember: Statement<[string, string]>;
  private readonly deleteSession: Statement<[string]>;
  private readonly deleteMembers: Statement<[string]>;
  private readonly allSessions: Statement<[], SessionRow>;
  private readonly membersOf: Statement<[string], MemberRow>;
  private readonly insertSub: Statement<[SubscriptionRow]>;
  private readonly updateSub: Statement<[number, number, string]>;
  private readonly deleteSub: Statement<[string]>;
  private readonly allSubs: Statement<[], SubscriptionRow>;
  private readonly deleteSubsOf: Statement<[string]>;

  constructor(db: Database) {
    this.insertSession = db.prepare(
      'INSERT OR REPLACE INTO group_sessions (id, kind, identity, initiator, group_id, invited, created_at) VALUES (@id, @kind, @identity, @initiator, @group_id, @invited, @created_at)',
    );
    this.insertMember = db.prepare('INSERT OR REPLACE INTO group_members (session_id, member_id, uri, anonymous, leg) VALUES (@session_id, @member_id, @uri, @anonymous, @leg)');
    this.deleteMember = db.prepare('DELETE FROM group_members WHERE session_id = ? AND member_id = ?');
    this.deleteSession = db.prepare('DELETE FROM group_sessions WHERE id = ?');
    this.deleteMembers = db.prepare('DELETE FROM group_members WHERE session_id = ?');
    this.allSessions = db.prepare('SELECT * FROM group_sessions ORDER BY created_at');
    this.membersOf = db.prepare('SELECT * FROM group_members WHERE session_id = ? ORDER BY rowid');
    this.setDisconnected = db.prepare('UPDATE group_sessions SET disconnected_since = ? WHERE id = ?');
    this.insertSub = db.prepare(
      'INSERT OR REPLACE INTO group_subscriptions (id, session_id, identity, subscriber, leg, expires_at, version) VALUES (@id, @session_id, @identity, @subscriber, @leg, @expires_at, @version)',
    );
    this.updateSub = db.prepare('UPDATE group_subscriptions SET expires_at = ?, version = ? WHERE id = ?');
    this.deleteSub = db.prepare('DELETE FROM group_subscriptions WHERE id = ?');
    this.allSubs = db.prepare('SELECT * FROM group_subscriptions ORDER BY rowid');
    this.deleteSubsOf = db.prepare('DELETE FROM group_subscriptions WHERE session_id = ?');
  }

  saveSubscription(r: GroupSubscriptionRecord): void {
    if (r.leg.length > MAX_JSON) throw new StoreValidationError('leg', `subscription ${r.id}: dialog state larger than ${MAX_JSON} bytes`);
    this.insertSub.run({ id: r.id, session_id: r.sessionId, identity: r.identity, subscriber: r.subscriber, leg: r.leg, expires_at: r.expiresAt, version: r.version });
  }

  /** A refresh or a NOTIFY: the new expiry and the last version sent. */
  touchSubscription(id: string, expiresAt: number, version: number): void {
    this.updateSub.run(expiresAt, version, id);
  }

  removeSubscription(id: string): void {
    this.deleteSub.run(id);
  }

  subscriptions(): GroupSubscriptionRecord[] {
    return this.allSubs.all().map((r) => ({ id: r.id, sessionId: r.session_id, identity: r.identity, subscriber: r.subscriber, leg: r.leg, expiresAt: r.expires_at, version: r.version }));
  }

  saveSession(s: GroupSessionRecord): void {
    const invited = JSON.stringify(s.invited);
    if (invited.length > MAX_JSON) throw new StoreValidationError('invited', `group session ${s.id}: invited list larger than ${MAX_JSON} bytes`);
    this.insertSession.run({ id: s.id, kind: s.kind, identity: s.identity, initiator: s.initiator, group_id: s.groupId, invited, created_at: s.createdAt });
  }

  /** The start of the rejoin window after a restart (null once nobody is left disconnected). */
  setDisconnectedSince(id: string, at: number | null): void {
    this.setDisconnected.run(at, id);
  }

  saveMember(m: GroupMemberRecord): void {
    if (m.leg.length > MAX_JSON) throw new StoreValidationError('leg', `group member ${m.memberId}: dialog state larger than ${MAX_JSON} bytes`);
    this.insertMember.run({ session_id: m.sessionId, member_id: m.memberId, uri: m.uri, anonymous: m.anonymous ? 1 : 0, leg: m.leg });
  }

  removeMember(sessionId: string, memberId: string): void {
    this.deleteMember.run(sessionId, memberId);
  }

  /** The session and its members. */
  remove(id: string): void {
    this.deleteMembers.run(id);
    this.deleteSubsOf.run(id);
    this.deleteSession.run(id);
  }

  /** Every stored session with its members, oldest first (restart recovery). */
  all(): { session: GroupSessionRecord; members: GroupMemberRecord[] }[] {
    return this.allSessions.all().map((r) => {
      let invited: string[] = [];
      try {
        const parsed: unknown = JSON.parse(r.invited);
        if (Array.isArray(parsed)) invited = parsed.filter((x): x is string => typeof x === 'string');
      } catch {
        invited = [];
      }
      return {
        session: { id: r.id, kind: r.kind === 'predefined' ? 'predefined' : 'adhoc', identity: r.identity, initiator: r.initiator, groupId: r.group_id, invited, createdAt: r.created_at, disconnectedSince: r.disconnected_since },
        members: this.membersOf.all(r.id).map((m) => ({ sessionId: m.session_id, memberId: m.member_id, uri: m.uri, anonymous: m.anonymous === 1, leg: m.leg })),
      };
    });
  }
}
