/** Sessions aggregate: live IM sessions of the participating function and their dialog legs. */
import type { Database, Statement } from 'better-sqlite3';
import { StoreValidationError } from './errors';

export type SessionKind = '1-1' | 'large-message';
export type SessionState = 'early' | 'confirmed' | 'terminated';

export interface SessionRecord {
  readonly id: string;
  readonly kind: SessionKind;
  readonly state: SessionState;
  readonly caller: string;
  readonly callee: string;
  /** Opaque JSON of the caller-side dialog (the store does not read it). */
  readonly callerLeg: string;
  readonly calleeLeg: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

interface Row {
  id: string;
  kind: string;
  state: string;
  caller: string;
  callee: string;
  caller_leg: string;
  callee_leg: string | null;
  created_at: number;
  updated_at: number;
}

const MAX_LEG_JSON = 64 * 1024;

const toRecord = (r: Row): SessionRecord => ({
  id: r.id,
  kind: r.kind as SessionKind,
  state: r.state as SessionState,
  caller: r.caller,
  callee: r.callee,
  callerLeg: r.caller_leg,
  calleeLeg: r.callee_leg,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class SessionRepository {
  private readonly upsertStmt: Statement<[Row]>;
  private readonly getStmt: Statement<[string], Row>;
  private readonly liveStmt: Statement<[], Row>;
  private readonly removeStmt: Statement<[string]>;
  private readonly countStmt: Statement<[], { kind: string; n: number }>;

  constructor(db: Database) {
    this.upsertStmt = db.prepare(
      `INSERT INTO sessions (id, kind, state, caller, callee, caller_leg, callee_leg, created_at, updated_at)
       VALUES (@id, @kind, @state, @caller, @callee, @caller_leg, @callee_leg, @created_at, @updated_at)
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, caller_leg = excluded.caller_leg,
         callee_leg = excluded.callee_leg, updated_at = excluded.updated_at`,
    );
    this.getStmt = db.prepare('SELECT * FROM sessions WHERE id = ?');
    this.liveStmt = db.prepare("SELECT * FROM sessions WHERE state != 'terminated' ORDER BY created_at");
    this.removeStmt = db.prepare('DELETE FROM sessions WHERE id = ?');
    this.countStmt = db.prepare("SELECT kind, count(*) AS n FROM sessions WHERE state != 'terminated' GROUP BY kind");
  }

  save(s: SessionRecord): void {
    if (s.callerLeg.length > MAX_LEG_JSON || (s.calleeLeg?.length ?? 0) > MAX_LEG_JSON) {
      throw new StoreValidationError('callerLeg', `session ${s.id}: dialog state larger than ${MAX_LEG_JSON} bytes`);
    }
    this.upsertStmt.run({
      id: s.id,
      kind: s.kind,
      state: s.state,
      caller: s.caller,
      callee: s.callee,
      caller_leg: s.callerLeg,
      callee_leg: s.calleeLeg,
      created_at: s.createdAt,
      updated_at: s.updatedAt,
    });
  }

  get(id: string): SessionRecord | undefined {
    const r = this.getStmt.get(id);
    return r ? toRecord(r) : undefined;
  }

  /** Sessions not yet terminated, oldest first (restart recovery). */
  live(): SessionRecord[] {
    return this.liveStmt.all().map(toRecord);
  }

  remove(id: string): boolean {
    return this.removeStmt.run(id).changes > 0;
  }

  countByKind(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.countStmt.all()) out[r.kind] = r.n;
    return out;
  }
}
