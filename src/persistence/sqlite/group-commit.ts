/**
 * Group commit for SQLite: write operations submitted during one turn of the event loop run in ONE
 * transaction (one WAL append, and with a WalSync one fdatasync shared with the commits made while
 * the previous one ran; see wal-sync.ts).
 *  - An operation keeps its own checks (shard range_id fence, db_record_version condition, ...),
 *    evaluated inside the shared transaction, so they hold exactly as in a transaction of its own.
 *  - Optimistic first: the operations run one after the other without savepoints (a SAVEPOINT and
 *    a RELEASE per operation were a third of the statements SQLite ran under load, for failures
 *    that almost never happen). When one throws, the whole transaction is rolled back; that
 *    operation gets its error (it met it on the state the operations before it had written, as it
 *    would have in any serial order), and the others run again in a new transaction, each inside its
 *    own SAVEPOINT, so that a second failure takes back only its own writes. The operations are
 *    pure functions of the database (statements, or programs built anew on each run), so running
 *    them again changes nothing but the work done.
 *  - Every caller is answered only after COMMIT returned and, with a WalSync, after the commit is on
 *    disk; if COMMIT (or the sync) fails, every operation of the batch gets that error.
 * better-sqlite3 is synchronous, so while a batch commits no other statement can run on the
 * connection; operations that arrive meanwhile form the next batch.
 */
import type Database from 'better-sqlite3';
import { countStatement, countTransaction } from '../sql/statement-stats';
import type { WalSync } from './wal-sync';

type Outcome = { ok: true; value: unknown } | { ok: false; value: unknown };
type Attempt = { kind: 'committed'; results: Outcome[] } | { kind: 'failed'; at: number; err: unknown } | { kind: 'fatal'; err: unknown };

interface Op {
  run: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export interface GroupCommitStats {
  /** batches run (a batch run again after a failure counts once: see `rerun`) */
  batches: number;
  /** operations carried by them */
  operations: number;
  largestBatch: number;
  /** batches in which an operation failed: rolled back and run again without it, with savepoints */
  rerun: number;
}

export class GroupCommitter {
  private queue: Op[] = [];
  private scheduled = false;
  readonly stats: GroupCommitStats = { batches: 0, operations: 0, largestBatch: 0, rerun: 0 };
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
    // optimistic: the operations one after the other, no savepoints (most batches have no failure)
    const first = this.inTransaction(batch, false);
    if (first.kind === 'fatal') {
      for (const op of batch) op.reject(first.err);
      return;
    }
    if (first.kind === 'committed') {
      this.answerWhenDurable(batch, first.results);
      return;
    }
    // operation `at` failed: everything is rolled back; it keeps the error it met on the state the ones
    // before it had written, and the others run again, each in its own savepoint (as a serial execution)
    const failed = batch[first.at]!;
    if (batch.length === 1) {
      this.rejectWhenDurable(failed, first.err);
      return;
    }
    this.stats.rerun++;
    const rest = batch.filter((op) => op !== failed);
    const again = this.inTransaction(rest, true);
    if (again.kind !== 'committed') {
      // only a BEGIN or COMMIT failure ends here (with savepoints each failure stays the operation's own)
      for (const op of rest) op.reject(again.err);
      this.rejectWhenDurable(failed, first.err);
      return;
    }
    this.answerWhenDurable([...rest, failed], [...again.results, { ok: false, value: first.err }]);
  }

  /**
   * One transaction of `ops`. Without savepoints the first operation that throws rolls everything
   * back ('failed'); with them a throwing operation is rolled back to its savepoint, gets its error
   * as its result, and the rest go on. 'fatal': BEGIN, COMMIT or a savepoint statement failed, and
   * nothing is written.
   */
  private inTransaction(ops: readonly Op[], savepoints: boolean): Attempt {
    try {
      this.transactionSeq++;
      this.begin.run();
      countStatement('BEGIN IMMEDIATE', false);
      countTransaction();
    } catch (err) {
      return { kind: 'fatal', err };
    }
    const results: Outcome[] = new Array(ops.length);
    try {
      for (let i = 0; i < ops.length; i++) {
        if (!savepoints) {
          try {
            results[i] = { ok: true, value: ops[i]!.run() };
          } catch (err) {
            this.rollbackQuietly();
            return { kind: 'failed', at: i, err };
          }
          continue;
        }
        this.savepoint.run();
        try {
          results[i] = { ok: true, value: ops[i]!.run() };
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
      return { kind: 'committed', results };
    } catch (err) {
      this.rollbackQuietly();
      return { kind: 'fatal', err };
    }
  }

  private rollbackQuietly(): void {
    try {
      // some errors (a full disk, say) have rolled the transaction back already
      if (this.db.inTransaction) this.rollback.run();
    } catch {
      // the transaction is gone already
    }
  }

  /** Each operation hears its outcome once its commit is on disk (at once without a WalSync). */
  private answerWhenDurable(ops: readonly Op[], results: readonly Outcome[]): void {
    const answer = (): void => {
      for (let i = 0; i < ops.length; i++) {
        const r = results[i]!;
        if (r.ok) ops[i]!.resolve(r.value);
        else ops[i]!.reject(r.value);
      }
    };
    if (!this.walSync) {
      answer();
      return;
    }
    this.walSync.whenDurable(this.walSync.committedNow()).then(answer, (err: unknown) => {
      for (const op of ops) op.reject(err);
    });
  }

  /**
   * The failure of an operation whose writes were rolled back with their transaction: it hears its
   * error once every earlier commit is on disk, as it would have in a committed batch (the error may
   * tell of what an earlier commit wrote, an id already taken say, which must not be told before it
   * is durable).
   */
  private rejectWhenDurable(op: Op, err: unknown): void {
    if (!this.walSync) op.reject(err);
    else this.walSync.whenDurable().then(() => op.reject(err), op.reject);
  }

  /** Resolves once every commit so far is on disk (at once without a WalSync). */
  whenDurable(): Promise<void> {
    return this.walSync ? this.walSync.whenDurable() : Promise.resolve();
  }
}
