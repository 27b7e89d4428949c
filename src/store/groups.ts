/**
 * Groups aggregate: pre-defined group documents (OMA shared group XML), one per group id
 * (the user part of sip:<group-id>@<domain>). The store keeps the XML text as given and never
 * parses it: reading it is the XML codec's job, above this layer.
 */
import type { Database, Statement, Transaction } from 'better-sqlite3';
import { StoreLimitError, StoreValidationError } from './errors';
import { isValidSipUser } from './username';

export interface GroupRecord {
  readonly id: string;
  /** the group document, XML text */
  readonly document: string;
  /** epoch ms of the last put */
  readonly updatedAt: number;
}

export type GroupPutResult = 'created' | 'updated';

/** Last line against a runaway document; the XML codec's own cap is lower. */
export const MAX_GROUP_DOCUMENT_BYTES = 1024 * 1024;

interface Row {
  id: string;
  document: string;
  updated_at: number;
}

const toRecord = (r: Row): GroupRecord => ({ id: r.id, document: r.document, updatedAt: r.updated_at });

export class GroupRepository {
  private readonly insert: Statement<[Row]>;
  private readonly update: Statement<[Row]>;
  private readonly selectOne: Statement<[string], Row>;
  private readonly selectAll: Statement<[], Row>;
  private readonly remove: Statement<[string]>;
  private readonly countAll: Statement<[], { n: number }>;
  private readonly insertOrUpdate: Transaction<(row: Row, maxGroups: number) => GroupPutResult>;

  constructor(db: Database) {
    this.insert = db.prepare('INSERT INTO group_documents (id, document, updated_at) VALUES (@id, @document, @updated_at) ON CONFLICT (id) DO NOTHING');
    this.update = db.prepare('UPDATE group_documents SET document = @document, updated_at = @updated_at WHERE id = @id');
    this.selectOne = db.prepare('SELECT id, document, updated_at FROM group_documents WHERE id = ?');
    this.selectAll = db.prepare('SELECT id, document, updated_at FROM group_documents ORDER BY id');
    this.remove = db.prepare('DELETE FROM group_documents WHERE id = ?');
    this.countAll = db.prepare('SELECT count(*) AS n FROM group_documents');
    this.insertOrUpdate = db.transaction((row: Row, maxGroups: number): GroupPutResult => {
      // the count and the insert in one IMMEDIATE transaction: a CLI import beside the server cannot slip past the cap
      if (this.selectOne.get(row.id) === undefined && this.count() >= maxGroups) throw new StoreLimitError('stored groups', maxGroups);
      if (this.insert.run(row).changes === 1) return 'created';
      this.update.run(row);
      return 'updated';
    });
  }

  /**
   * Stores the document under id, replacing any previous one. A new id when maxGroups are
   * stored already throws StoreLimitError (an update of a stored one always goes through).
   */
  put(id: string, document: string, updatedAt: number, maxGroups = Number.POSITIVE_INFINITY): GroupPutResult {
    if (!isValidSipUser(id)) throw new StoreValidationError('id', `invalid group id: ${JSON.stringify(id.slice(0, 64))}`);
    if (document.length === 0) throw new StoreValidationError('document', `group ${id}: empty document`);
    const bytes = Buffer.byteLength(document, 'utf8');
    if (bytes > MAX_GROUP_DOCUMENT_BYTES) throw new StoreValidationError('document', `group ${id}: document of ${bytes} bytes exceeds ${MAX_GROUP_DOCUMENT_BYTES}`);
    if (!Number.isSafeInteger(updatedAt) || updatedAt < 0) throw new StoreValidationError('updatedAt', `group ${id}: updatedAt must be epoch milliseconds`);
    return this.insertOrUpdate.immediate({ id, document, updated_at: updatedAt }, maxGroups);
  }

  /** Undefined when absent; an invalid id (e.g. from a request) is simply absent. */
  get(id: string): GroupRecord | undefined {
    if (!isValidSipUser(id)) return undefined;
    const row = this.selectOne.get(id);
    return row === undefined ? undefined : toRecord(row);
  }

  /** All groups ordered by id. */
  list(): GroupRecord[] {
    return this.selectAll.all().map(toRecord);
  }

  /** Returns whether the group existed. */
  delete(id: string): boolean {
    if (!isValidSipUser(id)) return false;
    return this.remove.run(id).changes > 0;
  }

  count(): number {
    return this.countAll.get()?.n ?? 0;
  }
}
