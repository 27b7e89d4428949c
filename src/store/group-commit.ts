// Group commit (ECOSYSTEM "better-sqlite3"): writes queued within one batch window share one
// IMMEDIATE transaction, so one fsync covers them (synchronous=FULL in WAL mode syncs once
// per commit). A caller that acknowledges to a client waits for its write's promise, which
// settles only after COMMIT: what was acknowledged is durable, and an SD card sees one sync
// per window instead of one per write. With a DiskSync (store.ts, synchronous=FULL) the COMMIT
// does not wait for the disk and the sync runs off the event loop; promises settle after it.

export interface GroupCommitOptions {
  /** Writes queued within this many ms share a transaction; 0 = those of one event-loop turn. */
  readonly windowMs: number;
  /** A batch this large is committed at once, without waiting for the window. */
  readonly maxBatch: number;
  /**
   * Deferred writes (write(fn, { deferred: true })) wait at most this long for a batch that
   * commits anyway; default 1000 ms.
   */
  readonly deferredMs?: number;
}

export interface WriteOptions {
  /**
   * Nobody is told "done" on the strength of this write (a session row removed after the
   * session ended): it schedules no commit of its own and rides in the next batch, or commits
   * after deferredMs. Its promise still settles only after its COMMIT. Order with the other
   * writes is kept (one queue).
   */
  readonly deferred?: boolean;
}

export interface GroupCommitStats {
  /** Transactions committed for queued writes. */
  commits: number;
  /** Writes that were part of a committed batch. */
  writes: number;
  /** Writes that failed (their promise was rejected; the others of the batch still committed). */
  failed: number;
}

/**
 * Durability off the event loop: COMMIT without waiting for the disk, then one sync of the
 * journal in a thread of Node's pool; the batch's promises settle after that sync. The
 * event loop keeps serving while the card writes (an SD card's sync takes 5-30 ms).
 */
export interface DiskSync {
  /** Runs fn in one transaction whose COMMIT does not wait for the disk. */
  readonly transaction: (fn: () => void) => void;
  /** Makes every commit so far durable; calls back once it is, or with the error. */
  readonly sync: (done: (err: Error | null) => void) => void;
}

interface Pending {
  readonly fn: () => void;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class GroupCommit {
  private queue: Pending[] = [];
  private timer: NodeJS.Immediate | NodeJS.Timeout | undefined;
  /** The deferred writes' timer: set while the queue holds only deferred writes. */
  private deferredTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** A batch is committed and its sync is in flight: the next one waits for it (and grows). */
  private syncing = false;
  private flushWanted = false;
  readonly stats: GroupCommitStats = { commits: 0, writes: 0, failed: 0 };

  constructor(
    /** Runs fn in one transaction (Store.withTransaction). */
    private readonly transaction: (fn: () => void) => void,
    private readonly opts: GroupCommitOptions,
    /** When given, batches commit through it and settle after its sync (close() stays synchronous). */
    private readonly disk?: DiskSync,
  ) {}

  /** Queues a synchronous write; resolves once it is committed, rejects with its own error. */
  write(fn: () => void, opts: WriteOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ fn, resolve, reject });
      if (this.queue.length >= this.opts.maxBatch) this.flush();
      else if (opts.deferred === true) this.scheduleDeferred();
      else this.schedule();
    });
  }

  /** Writes waiting for their commit. */
  get pending(): number {
    return this.queue.length;
  }

  /** Commits what is queued now (also on close). */
  flush(): void {
    this.clearTimers();
    if (this.queue.length === 0) return;
    // one sync at a time: writes that come meanwhile commit together once it is done
    // (close() does not wait: its commit syncs by itself, covering the one in flight too)
    if (this.syncing && !this.closed) {
      this.flushWanted = true;
      return;
    }
    const batch = this.queue;
    this.queue = [];
    const disk = this.closed ? undefined : this.disk;
    const failed = new Map<Pending, unknown>();
    try {
      (disk !== undefined ? disk.transaction : this.transaction)(() => {
        for (const p of batch) {
          // one bad write must not undo the others: each runs under its own savepoint
          try {
            this.transaction(p.fn);
          } catch (err) {
            failed.set(p, err);
          }
        }
      });
    } catch (err) {
      // the commit itself failed (disk gone, database closed): nothing of the batch is durable
      this.rejectAll(batch, err);
      return;
    }
    if (disk === undefined) {
      this.settle(batch, failed);
      return;
    }
    this.syncing = true;
    disk.sync((err) => {
      this.syncing = false;
      // committed but not known to be on the disk: nobody may be told it is
      if (err !== null) this.rejectAll(batch, err);
      else this.settle(batch, failed);
      if (this.flushWanted) {
        this.flushWanted = false;
        this.flush();
      }
    });
  }

  private settle(batch: readonly Pending[], failed: ReadonlyMap<Pending, unknown>): void {
    this.stats.commits++;
    for (const p of batch) {
      const err = failed.get(p);
      if (err === undefined) {
        this.stats.writes++;
        p.resolve();
      } else {
        this.stats.failed++;
        p.reject(err);
      }
    }
  }

  private rejectAll(batch: readonly Pending[], err: unknown): void {
    this.stats.failed += batch.length;
    for (const p of batch) p.reject(err);
  }

  private clearTimers(): void {
    if (this.timer !== undefined) {
      if (this.opts.windowMs === 0) clearImmediate(this.timer as NodeJS.Immediate);
      else clearTimeout(this.timer as NodeJS.Timeout);
      this.timer = undefined;
    }
    if (this.deferredTimer !== undefined) {
      clearTimeout(this.deferredTimer);
      this.deferredTimer = undefined;
    }
  }

  /** Commits what is queued and refuses new writes. */
  close(): void {
    // closed first: the last batch commits synchronously (durable when close() returns)
    this.closed = true;
    this.flush();
  }

  private scheduleDeferred(): void {
    if (this.timer !== undefined || this.deferredTimer !== undefined) return;
    this.deferredTimer = setTimeout(() => this.flush(), this.opts.deferredMs ?? 1000);
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = this.opts.windowMs === 0 ? setImmediate(() => this.flush()) : setTimeout(() => this.flush(), this.opts.windowMs);
  }
}
