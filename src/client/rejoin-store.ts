// The IM Session Identities a client may rejoin (OMA IM 7.1.1.9, 7.1.1.12/13 notes): a small
// JSON file of {sessionId, peer, storedAt}, bounded in count and kept for a rejoin window.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface RejoinEntry {
  /** The IM Session Identity (the dialog's remote target, the focus Contact for groups). */
  readonly sessionId: string;
  /** Who the session was with (the remote URI of the dialog). */
  readonly peer: string;
  /** Milliseconds since the epoch. */
  readonly storedAt: number;
}

export interface RejoinStoreOptions {
  /** JSON file; undefined keeps the entries in memory only. */
  readonly file?: string;
  /** How long an identity stays usable (OMA IM 7.1.1.12 note: "a short period"). */
  readonly windowMs: number;
  /** Most entries kept; the oldest go first. */
  readonly maxEntries: number;
  readonly now?: () => number;
}

export class RejoinStore {
  private entries: RejoinEntry[] = [];
  private readonly now: () => number;

  constructor(private readonly opts: RejoinStoreOptions) {
    if (!(opts.windowMs > 0) || !(opts.maxEntries > 0)) throw new RangeError('rejoin store needs windowMs > 0 and maxEntries > 0');
    this.now = opts.now ?? Date.now;
    this.entries = this.load();
  }

  /** Stores (or refreshes) an identity; the oldest entries beyond maxEntries are dropped. */
  put(sessionId: string, peer: string): RejoinEntry {
    const entry: RejoinEntry = { sessionId, peer, storedAt: this.now() };
    this.entries = [...this.live().filter((e) => e.sessionId !== sessionId), entry];
    if (this.entries.length > this.opts.maxEntries) this.entries = this.entries.slice(-this.opts.maxEntries);
    this.save();
    return entry;
  }

  /** The identities still inside the rejoin window, oldest first. */
  list(): RejoinEntry[] {
    const live = this.live();
    if (live.length !== this.entries.length) {
      this.entries = live;
      this.save();
    }
    return [...live];
  }

  /** The stored identity, or undefined when none is stored or it expired (7.1.1.9 step 1). */
  get(sessionId: string): RejoinEntry | undefined {
    return this.list().find((e) => e.sessionId === sessionId);
  }

  remove(sessionId: string): void {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.sessionId !== sessionId);
    if (this.entries.length !== before) this.save();
  }

  private live(): RejoinEntry[] {
    const t = this.now();
    return this.entries.filter((e) => t - e.storedAt < this.opts.windowMs && e.storedAt <= t + this.opts.windowMs);
  }

  private load(): RejoinEntry[] {
    const file = this.opts.file;
    if (file === undefined) return [];
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      // a damaged store only loses rejoin hints; start afresh rather than refuse to run
      return [];
    }
    const list = Array.isArray((raw as { sessions?: unknown }).sessions) ? (raw as { sessions: unknown[] }).sessions : [];
    const valid = list.filter(
      (e): e is RejoinEntry =>
        typeof e === 'object' && e !== null &&
        typeof (e as RejoinEntry).sessionId === 'string' &&
        typeof (e as RejoinEntry).peer === 'string' &&
        typeof (e as RejoinEntry).storedAt === 'number',
    );
    return valid.slice(-this.opts.maxEntries);
  }

  private save(): void {
    const file = this.opts.file;
    if (file === undefined) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // write-then-rename: a crash mid-write leaves the previous store intact
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ sessions: this.entries }) + '\n', { mode: 0o600 });
    fs.renameSync(tmp, file);
  }
}
