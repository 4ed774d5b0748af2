/**
 * The background data-format rewrite: converts the rows that no workflow activity has rewritten yet
 * (every write of a run already stores the current format) into this release's format, so that the
 * next minor, which no longer reads the old one, may start. It is rate-limited (rows per second, so
 * it never competes with workflow traffic for the database), resumable (the cursor is saved in
 * data_format_rewrite after every batch, so a kill loses at most one batch of work, which is then
 * found already converted), and its completion is recorded for the next release's start-up check.
 *
 * Progress is counted against a total that holds: the rows in an older format when the rewrite
 * began. Rows written since are in the current format already and are not counted, so the done
 * count (data_format_rewrite.rows_scanned) never passes the total, and the log, the metrics and
 * `admin upgrade status` all read the same two numbers.
 *
 * One rewriter runs at a time, on whichever process owns the rewrite's shard (DATA_REWRITE_SHARD; the
 * history handler starts and stops it with that shard). In a cluster every member would otherwise
 * scan every row and overwrite each other's saved cursor. A shard, not a lease row of its own: a
 * shard already has exactly one owner (the ring), is handed over on a graceful stop (the rewriter
 * stops with its batch saved before the shard is released, so the next owner resumes from there),
 * is taken over when its owner dies (member expiry) and is fenced by range_id; a second mechanism
 * with its own expiry, renewal and schema would only be a place for the two to disagree. The owner
 * checks before every batch that it still holds the shard. One that lost it without knowing yet (a
 * joining member took it before this one's next refresh, at most a second; a partition) may run a
 * batch or two beside the new owner and save its progress last: that costs those batches again,
 * never completion's correctness (the end is confirmed by counting what is left).
 */
import type { Logger } from '../common/logger';
import { dataRewriteDone, dataRewriteRowsScanned, dataRewriteRowsTotal } from '../common/metrics';
import { encodingOf, type DataBlob, type DataRewriteRecord, type DataRewriteStore, type ExecutionScanKey, type PersistenceBundle } from '../persistence';
import { REWRITTEN_FORMATS, findRewrite, type RewrittenFormat } from '../upgrade/data-formats';
import { decodeMutableState, encodeMutableState } from './mutable-state';

export interface DataRewriteOptions {
  /** the most rows looked at per second */
  rowsPerSecond: number;
  /** rows per scan and per saved cursor (default: a tenth of a second's worth, 10..500) */
  batchSize?: number;
  /** after an error, wait this long before trying again */
  retryDelayMs?: number;
}

/** How each rewritten store's rows are converted: decode in any readable format, encode in the current. */
const CONVERTERS: Record<string, (blob: DataBlob) => DataBlob> = {
  mutable_state: (blob) => encodeMutableState(decodeMutableState(blob)),
};

/** Waits `ms`, or less if `signal` aborts (the listener goes away either way). */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** The history shard whose owner runs the rewrite (shard ids start at 1: every cluster has this one). */
export const DATA_REWRITE_SHARD = 1;

export class DataFormatRewriter {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private readonly batchSize: number;
  /** set when the rewriter stopped because this process no longer owns the rewrite (not when done or stopped) */
  private handedOverFlag = false;

  constructor(
    private readonly store: PersistenceBundle,
    private readonly opts: DataRewriteOptions,
    private readonly log: Logger,
    private readonly formats: readonly RewrittenFormat[] = REWRITTEN_FORMATS,
    /** whether this process still owns the rewrite (checked before every batch) */
    private readonly isOwner: () => boolean = () => true,
  ) {
    this.batchSize = opts.batchSize ?? Math.min(500, Math.max(10, Math.floor(opts.rowsPerSecond / 10)));
  }

  /**
   * Opens (or resumes) the record of every rewrite before the server serves, so that the status is
   * right from the first request (an empty database is recorded complete at once), then converts
   * rows in the background; `finished` resolves when all are done or the rewriter stopped.
   */
  async start(): Promise<void> {
    if (this.running) return;
    const pending: RewrittenFormat[] = [];
    for (const f of this.formats) if (await this.open(f)) pending.push(f);
    this.running = this.runAll(pending);
  }

  get finished(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /** True once it stopped because ownership moved away: a new rewriter starts when it comes back. */
  get handedOver(): boolean {
    return this.handedOverFlag;
  }

  /** Whether to go on with the next batch: not stopped, and still the owner. */
  private goOn(): boolean {
    if (this.abort.signal.aborted) return false;
    if (this.isOwner()) return true;
    this.handedOverFlag = true;
    return false;
  }

  private async runAll(pending: readonly RewrittenFormat[]): Promise<void> {
    for (const f of pending) {
      while (this.goOn()) {
        try {
          await this.rewrite(f);
          break;
        } catch (err) {
          // The server keeps serving; the rewrite tries again (a row it cannot read stops it here,
          // loudly and repeatedly, and it is never recorded complete).
          this.log.error(
            { err, store: f.store },
            `data format rewrite of ${f.label} failed; retrying in ${Math.round((this.opts.retryDelayMs ?? 5000) / 1000)} s`,
          );
          await sleep(this.opts.retryDelayMs ?? 5000, this.abort.signal);
        }
      }
    }
  }

  /** The record of f's rewrite, created if new; undefined when it is complete. */
  private async open(f: RewrittenFormat): Promise<DataRewriteRecord | undefined> {
    const db = this.store.dataRewrite;
    const target = encodingOf('json', f.target);
    const rec = findRewrite(await db.listDataRewrites(), f.store, f.target);
    if (rec?.completedMs !== undefined) {
      dataRewriteDone.labels(f.store).set(1);
      return undefined;
    }
    if (rec) return rec;
    const now = Date.now();
    const total = await countOld(db, target);
    const created: DataRewriteRecord = {
      store: f.store,
      targetFormat: f.target,
      cursor: undefined,
      rowsRewritten: 0,
      rowsTotal: total,
      rowsScanned: 0,
      startedMs: now,
      updatedMs: now,
      completedMs: total === 0 ? now : undefined,
    };
    await db.saveDataRewrite(created);
    if (total === 0) {
      // Nothing was ever written in an older format (a new database): done before serving.
      dataRewriteDone.labels(f.store).set(1);
      this.log.debug({ store: f.store }, `data format rewrite done: no rows of ${f.label} to bring to ${target}`);
      return undefined;
    }
    this.log.info(
      { store: f.store, total, rowsPerSecond: this.opts.rowsPerSecond },
      `data format rewrite started: ${total} rows of ${f.label} to bring to ${target}, at most ${this.opts.rowsPerSecond} rows/s`,
    );
    return created;
  }

  private async rewrite(f: RewrittenFormat): Promise<void> {
    const convert = CONVERTERS[f.store];
    if (!convert) throw new Error(`no converter for data format store ${f.store}`);
    const target = encodingOf('json', f.target);
    const db = this.store.dataRewrite;
    // Read again: after an error the saved record is where to go on from.
    let rec = findRewrite(await db.listDataRewrites(), f.store, f.target);
    if (!rec) throw new Error(`the data_format_rewrite row of ${f.store} -> ${target} disappeared`);
    if (rec.completedMs !== undefined) return;
    // A record of 0.2.0, which counted every row it passed, can hold more than its total.
    let total = rec.rowsTotal ?? (await countOld(db, target)) + rec.rowsScanned;
    let done = Math.min(rec.rowsScanned, total);
    if (rec.rowsScanned > 0) {
      this.log.info(
        { store: f.store, done, total },
        `data format rewrite resumed: ${done} of ${total} rows of ${f.label} done so far (${percent(done, total)}%)`,
      );
    }
    dataRewriteRowsTotal.labels(f.store).set(total);
    dataRewriteRowsScanned.labels(f.store).set(done);
    let cursor: ExecutionScanKey | undefined = rec.cursor ? (JSON.parse(rec.cursor.toString('utf8')) as ExecutionScanKey) : undefined;
    let lastReport = done;
    const step = Math.max(1, Math.floor(total / 10));

    while (this.goOn()) {
      const began = Date.now();
      const rows = await db.scanExecutions(cursor, this.batchSize);
      // The same test as the completion check below: anything not exactly in the target encoding.
      const old = rows.filter((row) => row.info.encoding !== target);
      // false: the run was written meanwhile, and so is in the current format already
      const rewritten = (await db.replaceExecutionInfos(old.map((row) => ({ row, info: convert(row.info) })))).filter(Boolean).length;
      if (rows.length > 0) cursor = rows[rows.length - 1]!.key;
      // Only rows found in an older format count: a row in the current format was written since the
      // rewrite began (a new run, or a run that changed), and is either outside the total or counted
      // by the reconciliation below.
      done = Math.min(total, done + old.length);

      if (rows.length < this.batchSize) {
        // The end: every row behind the cursor was looked at. Confirm nothing old is left (a row
        // can only be older if it was written by an older binary meanwhile) before recording it.
        const left = await countOld(db, target);
        if (left > 0) {
          // Rows an older binary wrote since: they join what there is to do.
          total = Math.max(total, done + left);
          this.log.warn({ store: f.store, left }, `data format rewrite: ${left} rows of ${f.label} are still not in ${target}; looking at all rows again`);
          rec = { ...rec, cursor: undefined, rowsRewritten: rec.rowsRewritten + rewritten, rowsTotal: total, rowsScanned: done, updatedMs: Date.now() };
          cursor = undefined;
          await db.saveDataRewrite(rec);
          dataRewriteRowsTotal.labels(f.store).set(total);
          dataRewriteRowsScanned.labels(f.store).set(done);
          await sleep(this.opts.retryDelayMs ?? 5000, this.abort.signal);
          continue;
        }
        const now = Date.now();
        // Nothing old is left: every row of the total is in the target format, whoever wrote it.
        rec = {
          ...rec,
          cursor: cursor ? Buffer.from(JSON.stringify(cursor)) : undefined,
          rowsRewritten: rec.rowsRewritten + rewritten,
          rowsTotal: total,
          rowsScanned: total,
          updatedMs: now,
          completedMs: now,
        };
        await db.saveDataRewrite(rec);
        dataRewriteRowsScanned.labels(f.store).set(total);
        dataRewriteDone.labels(f.store).set(1);
        this.log.info(
          { store: f.store, done: total, total, rewritten: rec.rowsRewritten, ms: now - rec.startedMs },
          `data format rewrite done: ${total}/${total} rows of ${f.label} are in ${target} (${rec.rowsRewritten} rewritten by the background rewrite, ${total - rec.rowsRewritten} found rewritten already) in ${now - rec.startedMs} ms`,
        );
        return;
      }
      if (done - lastReport >= step) {
        // Rows that workflow activity rewrote ahead of the cursor are done too: count them by what
        // is left, so the progress does not stall behind the truth (and never passes it).
        done = Math.min(total, Math.max(done, total - (await countOld(db, target))));
      }
      rec = {
        ...rec,
        cursor: cursor ? Buffer.from(JSON.stringify(cursor)) : undefined,
        rowsRewritten: rec.rowsRewritten + rewritten,
        rowsTotal: total,
        rowsScanned: done,
        updatedMs: Date.now(),
      };
      await db.saveDataRewrite(rec);
      dataRewriteRowsScanned.labels(f.store).set(done);
      if (done - lastReport >= step) {
        lastReport = done;
        this.log.info({ store: f.store, done, total }, `data format rewrite: ${done}/${total} rows of ${f.label} (${percent(done, total)}%)`);
      }
      // Rate limit: a batch of n rows takes at least n / rowsPerSecond seconds.
      const minMs = (1000 * rows.length) / this.opts.rowsPerSecond;
      await sleep(Math.max(0, minMs - (Date.now() - began)), this.abort.signal);
    }
  }
}

/** Rows of executions not in `target` (the ones the rewrite must still bring to it). */
async function countOld(db: DataRewriteStore, target: string): Promise<number> {
  let n = 0;
  for (const [enc, c] of await db.countExecutionsByEncoding()) if (enc !== target) n += c;
  return n;
}

/** Whole percent, never above 100. */
function percent(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 100;
}
