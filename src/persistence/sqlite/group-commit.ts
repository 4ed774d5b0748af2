/**
 * Group commit for SQLite: write operations submitted during one turn of the event loop run in ONE
 * transaction (one WAL append, and with a WalSync one fdatasync shared with the commits made while
 * the previous one ran; see wal-sync.ts), each inside its own SAVEPOINT (an operation alone in its
 * batch needs none: its failure rolls the whole transaction back).
 *  - An operation keeps its own checks (shard range_id fence, db_record_version condition, ...),
 *    evaluated inside the shared transaction, so they hold exactly as in a transaction of its own.
 *  - An operation that throws is rolled back to its savepoint and gets its error; the others of the
 *    batch still commit.
 *  - Every caller is answered only after COMMIT returned and, with a WalSync, after the commit is on
 *    disk; if COMMIT (or the sync) fails, every operation of the batch gets that error.
 * better-sqlite3 is synchronous, so while a batch commits no other statement can run on the
 * connection; operations that arrive meanwhile form the next batch.
 */
import type Database from 'better-sqlite3';
import { countStatement, countTransaction } from '../sql/statement-stats';
import type { WalSync } from './wal-sync';

interface Op {
  run: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export interface GroupCommitStats {
  /** transactions committed (or attempted) */
  batches: number;
  /** operations carried by them */
  operations: number;
  largestBatch: number;
}

export class GroupCommitter {
  private queue: Op[] = [];
  private scheduled = false;
  readonly stats: GroupCommitStats = { batches: 0, operations: 0, largestBatch: 0 };
  /** counts the group transactions begun: what an operation learned inside one holds only until it ends */
  transactionSeq = 0;
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;
  private readonly savepoint: Database.Statement;
  private readonly release: Database.Statement;
  private readonly rollbackTo: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    /** makes commits durable off the event loop (absent: COMMIT's own synchronous setting decides) */
    private readonly walSync?: WalSync,
    private readonly maxBatch = 2000,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT op');
    this.release = db.prepare('RELEASE op');
    this.rollbackTo = db.prepare('ROLLBACK TO op');
  }

  /** Run `fn` (synchronous statements only) in the next group transaction; resolves after COMMIT. */
  submit<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      try {
        this.walSync?.assertHealthy();
      } catch (err) {
        reject(err);
        return;
      }
      this.queue.push({ run: fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commit everything queued now (normally called from the scheduled tick). */
  flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
      this.queue = this.queue.length <= this.maxBatch ? [] : this.queue.slice(this.maxBatch);
      this.runBatch(batch);
    }
  }

  private runBatch(batch: Op[]): void {
    this.stats.batches++;
    this.stats.operations += batch.length;
    if (batch.length > this.stats.largestBatch) this.stats.largestBatch = batch.length;
    const results: { ok: boolean; value: unknown }[] = new Array(batch.length);
    try {
      this.transactionSeq++;
      this.begin.run();
      countStatement('BEGIN IMMEDIATE', false);
      countTransaction();
    } catch (err) {
      for (const op of batch) op.reject(err);
      return;
    }
    try {
      if (batch.length === 1) {
        // alone in its transaction, an operation needs no savepoint: if it throws, the transaction is
        // rolled back whole (2 statements fewer per commit, the common case at low load)
        try {
          results[0] = { ok: true, value: batch[0]!.run() };
        } catch (err) {
          this.rollbackAlone(batch[0]!, err);
          return;
        }
      }
      for (let i = 0; i < batch.length && batch.length > 1; i++) {
        this.savepoint.run();
        try {
          results[i] = { ok: true, value: batch[i]!.run() };
          this.release.run();
          countStatement('SAVEPOINT/RELEASE', false);
        } catch (err) {
          this.rollbackTo.run();
          this.release.run();
          results[i] = { ok: false, value: err };
        }
      }
      this.commit.run();
      countStatement('COMMIT', false);
    } catch (err) {
      // COMMIT (or a savepoint statement) failed: nothing of the batch is durable
      if (this.db.inTransaction) {
        try {
          this.rollback.run();
        } catch {
          // the transaction is gone already
        }
      }
      for (const op of batch) op.reject(err);
      return;
    }
    const answer = (): void => {
      for (let i = 0; i < batch.length; i++) {
        const r = results[i]!;
        if (r.ok) batch[i]!.resolve(r.value);
        else batch[i]!.reject(r.value);
      }
    };
    if (!this.walSync) {
      answer();
      return;
    }
    this.walSync.whenDurable(this.walSync.committedNow()).then(answer, (err: unknown) => {
      for (const op of batch) op.reject(err);
    });
  }

  /**
   * The failure of an operation that ran alone: its transaction is rolled back, and it hears its
   * error once every earlier commit is on disk, as it would have in a batch (the error may tell of
   * what an earlier commit wrote, an id already taken say, which must not be told before it is durable).
   */
  private rollbackAlone(op: Op, err: unknown): void {
    try {
      // some errors (a full disk, say) have rolled the transaction back already
      if (this.db.inTransaction) this.rollback.run();
    } catch {
      // the transaction is gone already
    }
    if (!this.walSync) op.reject(err);
    else this.walSync.whenDurable().then(() => op.reject(err), op.reject);
  }

  /** Resolves once every commit so far is on disk (at once without a WalSync). */
  whenDurable(): Promise<void> {
    return this.walSync ? this.walSync.whenDurable() : Promise.resolve();
  }
}
