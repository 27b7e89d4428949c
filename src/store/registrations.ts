/** Registrations aggregate: the location service's bindings (RFC 3261 §10.3), keyed by AOR user + contact URI. */
import type { Database, Statement, Transaction } from 'better-sqlite3';
import { StoreValidationError } from './errors';
import { isValidSipUser } from './username';

export type TransportProtocol = 'UDP' | 'TCP';

/** Where the REGISTER actually came from, so requests can be sent back through NATs and on the same connection. */
export interface ReceivedFrom {
  readonly protocol: TransportProtocol;
  readonly address: string;
  readonly port: number;
}

export interface Binding {
  /** user part of the address-of-record */
  readonly user: string;
  /** Contact URI as registered */
  readonly contact: string;
  /** epoch milliseconds */
  readonly expiresAt: number;
  readonly callId: string;
  readonly cseq: number;
  /** RFC 3261 §20.10 q-value, null when the Contact had none */
  readonly q: number | null;
  readonly received: ReceivedFrom;
  /** RFC 5626 +sip.instance and reg-id, when the client sent them */
  readonly instanceId?: string;
  readonly regId?: number;
  /**
   * How requests reach this binding, decided at registration: absent = its Contact URI
   * (RFC 3261 16.5); 'outbound' = the flow it registered on (RFC 5626 5.3); 'nat' = the
   * address it registered from, because the registrar's NAT test said the Contact is unreachable.
   */
  readonly reach?: BindingReach;
}

export type BindingReach = 'outbound' | 'nat';

/** Default batch for expire(): keeps one timer tick's transaction and result array small. */
export const DEFAULT_EXPIRE_BATCH = 1000;

/** Longest contact URI / Call-ID / instance id stored; longer values are refused, not truncated. */
export const MAX_BINDING_TEXT = 2048;
const MAX_TEXT_LENGTH = MAX_BINDING_TEXT;
// RFC 3261 §8.1.1.5: the CSeq sequence number MUST be less than 2^31.
const MAX_CSEQ = 2 ** 31 - 1;

interface BindingRow {
  user: string;
  contact: string;
  expires_at: number;
  call_id: string;
  cseq: number;
  q: number | null;
  protocol: string;
  address: string;
  port: number;
  instance_id: string | null;
  reg_id: number | null;
  reach: string;
}

const COLUMNS = 'user, contact, expires_at, call_id, cseq, q, protocol, address, port, instance_id, reg_id, reach';

function toBinding(row: BindingRow): Binding {
  const binding: Binding = {
    user: row.user,
    contact: row.contact,
    expiresAt: row.expires_at,
    callId: row.call_id,
    cseq: row.cseq,
    q: row.q,
    received: { protocol: row.protocol as TransportProtocol, address: row.address, port: row.port },
    ...(row.instance_id === null ? {} : { instanceId: row.instance_id }),
    ...(row.reg_id === null ? {} : { regId: row.reg_id }),
    ...(row.reach === 'outbound' || row.reach === 'nat' ? { reach: row.reach } : {}),
  };
  return binding;
}

function byExpiry(a: Binding, b: Binding): number {
  if (a.expiresAt !== b.expiresAt) return a.expiresAt - b.expiresAt;
  if (a.user !== b.user) return a.user < b.user ? -1 : 1;
  return a.contact < b.contact ? -1 : a.contact > b.contact ? 1 : 0;
}

function checkText(field: string, value: string): void {
  if (value.length === 0 || value.length > MAX_TEXT_LENGTH) {
    throw new StoreValidationError(field, `${field} must be 1..${MAX_TEXT_LENGTH} characters`);
  }
}

function toRow(b: Binding): BindingRow {
  if (!isValidSipUser(b.user)) throw new StoreValidationError('user', `invalid user name: ${JSON.stringify(b.user)}`);
  checkText('contact', b.contact);
  checkText('callId', b.callId);
  checkText('received.address', b.received.address);
  if (!Number.isSafeInteger(b.expiresAt) || b.expiresAt < 0) throw new StoreValidationError('expiresAt', 'expiresAt must be epoch milliseconds');
  if (!Number.isInteger(b.cseq) || b.cseq < 0 || b.cseq > MAX_CSEQ) throw new StoreValidationError('cseq', 'cseq must be an integer in 0..2^31-1');
  if (b.q !== null && !(b.q >= 0 && b.q <= 1)) throw new StoreValidationError('q', 'q must be null or in 0..1');
  if (b.received.protocol !== 'UDP' && b.received.protocol !== 'TCP') {
    throw new StoreValidationError('received.protocol', 'protocol must be UDP or TCP');
  }
  if (!Number.isInteger(b.received.port) || b.received.port < 1 || b.received.port > 65535) {
    throw new StoreValidationError('received.port', 'port must be in 1..65535');
  }
  if (b.instanceId !== undefined) checkText('instanceId', b.instanceId);
  if (b.regId !== undefined && (!Number.isInteger(b.regId) || b.regId < 1 || b.regId > MAX_CSEQ)) {
    throw new StoreValidationError('regId', 'regId must be a positive integer');
  }
  if (b.reach !== undefined && b.reach !== 'outbound' && b.reach !== 'nat') {
    throw new StoreValidationError('reach', 'reach must be absent, outbound or nat');
  }
  return {
    user: b.user,
    contact: b.contact,
    expires_at: b.expiresAt,
    call_id: b.callId,
    cseq: b.cseq,
    q: b.q,
    protocol: b.received.protocol,
    address: b.received.address,
    port: b.received.port,
    instance_id: b.instanceId ?? null,
    reg_id: b.regId ?? null,
    reach: b.reach ?? 'contact',
  };
}

export class RegistrationRepository {
  private readonly selectOne: Statement<[string, string], BindingRow>;
  private readonly selectFor: Statement<[string, number], BindingRow>;
  private readonly selectAll: Statement<[], BindingRow>;
  private readonly countAll: Statement<[], { n: number }>;
  private readonly countLive: Statement<[string, number], { n: number }>;
  private readonly selectSoonest: Statement<[string, number], BindingRow>;
  private readonly selectNextExpiry: Statement<[], { t: number | null }>;
  private readonly insert: Statement<[BindingRow]>;
  private readonly update: Statement<[BindingRow]>;
  private readonly deleteOne: Statement<[string, string]>;
  private readonly deleteUser: Statement<[string]>;
  private readonly deleteExpired: Statement<[number, number], BindingRow>;
  private readonly upsertTx: Transaction<(row: BindingRow) => boolean>;

  constructor(db: Database) {
    this.selectOne = db.prepare(`SELECT ${COLUMNS} FROM registrations WHERE user = ? AND contact = ?`);
    // A missing q sorts as 1.0, the highest preference, as most registrars do (RFC 3261 leaves it open).
    this.selectFor = db.prepare(
      `SELECT ${COLUMNS} FROM registrations WHERE user = ? AND expires_at > ? ORDER BY coalesce(q, 1.0) DESC, expires_at DESC, contact`,
    );
    this.selectAll = db.prepare(`SELECT ${COLUMNS} FROM registrations ORDER BY user, contact`);
    this.countAll = db.prepare('SELECT count(*) AS n FROM registrations');
    this.countLive = db.prepare('SELECT count(*) AS n FROM registrations WHERE user = ? AND expires_at > ?');
    this.selectSoonest = db.prepare(`SELECT ${COLUMNS} FROM registrations WHERE user = ? AND expires_at > ? ORDER BY expires_at, contact LIMIT 1`);
    this.selectNextExpiry = db.prepare('SELECT min(expires_at) AS t FROM registrations');
    this.insert = db.prepare(
      `INSERT INTO registrations (${COLUMNS}) VALUES (@user, @contact, @expires_at, @call_id, @cseq, @q, @protocol, @address, @port, @instance_id, @reg_id, @reach)
       ON CONFLICT (user, contact) DO NOTHING`,
    );
    this.update = db.prepare(
      `UPDATE registrations SET expires_at = @expires_at, call_id = @call_id, cseq = @cseq, q = @q, protocol = @protocol,
         address = @address, port = @port, instance_id = @instance_id, reg_id = @reg_id, reach = @reach
       WHERE user = @user AND contact = @contact`,
    );
    this.deleteOne = db.prepare('DELETE FROM registrations WHERE user = ? AND contact = ?');
    this.deleteUser = db.prepare('DELETE FROM registrations WHERE user = ?');
    this.deleteExpired = db.prepare(
      `DELETE FROM registrations WHERE rowid IN
         (SELECT rowid FROM registrations WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)
       RETURNING ${COLUMNS}`,
    );
    this.upsertTx = db.transaction((row: BindingRow): boolean => {
      if (this.insert.run(row).changes === 1) return true;
      this.update.run(row);
      return false;
    });
  }

  /** Creates or refreshes the binding for (user, contact). Returns true when it is new. */
  upsert(binding: Binding): boolean {
    return this.upsertTx.immediate(toRow(binding));
  }

  /** The stored binding whatever its expiry (the registrar compares Call-ID/CSeq, RFC 3261 §10.3 step 7). */
  get(user: string, contact: string): Binding | undefined {
    const row = this.selectOne.get(user, contact);
    return row === undefined ? undefined : toBinding(row);
  }

  /** Returns whether the binding existed. */
  remove(user: string, contact: string): boolean {
    return this.deleteOne.run(user, contact).changes > 0;
  }

  /** Removes every binding of the user (Contact: * with Expires: 0, RFC 3261 §10.2.2); returns how many. */
  removeAll(user: string): number {
    return this.deleteUser.run(user).changes;
  }

  /** Bindings still valid at `now`, most preferred first. */
  listFor(user: string, now: number): Binding[] {
    return this.selectFor.all(user, now).map(toBinding);
  }

  /** Bindings of the user still valid at `now` (for a per-AOR limit). */
  countFor(user: string, now: number): number {
    return this.countLive.get(user, now)!.n;
  }

  /** The live binding of the user that expires first (ties: the lowest contact), for replacement at a per-AOR limit. */
  soonestExpiring(user: string, now: number): Binding | undefined {
    const row = this.selectSoonest.get(user, now);
    return row === undefined ? undefined : toBinding(row);
  }

  /** Every stored binding, expired or not. */
  count(): number {
    return this.countAll.get()!.n;
  }

  /** Earliest expiresAt stored, for arming the registrar's timer; undefined when empty. */
  nextExpiry(): number | undefined {
    return this.selectNextExpiry.get()!.t ?? undefined;
  }

  /**
   * Deletes bindings with expiresAt <= now, at most `limit` of them (oldest first),
   * and returns them. Call again while the result is `limit` long.
   */
  expire(now: number, limit: number = DEFAULT_EXPIRE_BATCH): Binding[] {
    if (!Number.isInteger(limit) || limit < 1) throw new StoreValidationError('limit', 'limit must be a positive integer');
    // RETURNING rows come in no defined order (SQLite docs), so sort the bounded batch here.
    return this.deleteExpired
      .all(now, limit)
      .map(toBinding)
      .sort(byExpiry);
  }

  /** Every stored binding (start-up recovery, admin). */
  all(): Binding[] {
    return this.selectAll.all().map(toBinding);
  }
}
