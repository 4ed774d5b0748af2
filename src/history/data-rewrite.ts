/**
 * The background data-format rewrite: converts the rows that no workflow activity has rewritten yet
 * (every write of a run already stores the current format) into this release's format, so that the
 * next minor, which no longer reads the old one, may start. It is rate-limited (rows per second, so
 * it never competes with workflow traffic for the database), resumable (the cursor is saved in
 * data_format_rewrite after every batch, so a kill loses at most one batch of work, which is then
 * found already converted), and its completion is recorded for the next release's start-up check.
 */
import type { Logger } from '../common/logger';
import { dataRewriteDone, dataRewriteRowsScanned, dataRewriteRowsTotal } from '../common/metrics';
import { encodingOf, formatVersionOf, type DataBlob, type ExecutionScanKey, type PersistenceBundle } from '../persistence/engine';
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

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

export class DataFormatRewriter {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private readonly batchSize: number;

  constructor(
    private readonly store: PersistenceBundle,
    private readonly opts: DataRewriteOptions,
    private readonly log: Logger,
    private readonly formats: readonly RewrittenFormat[] = REWRITTEN_FORMATS,
  ) {
    this.batchSize = opts.batchSize ?? Math.min(500, Math.max(10, Math.floor(opts.rowsPerSecond / 10)));
  }

  /** Starts in the background; `finished` resolves when every store is done or the rewriter stopped. */
  start(): void {
    this.running ??= this.runAll();
  }

  get finished(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async runAll(): Promise<void> {
    for (const f of this.formats) {
      while (!this.abort.signal.aborted) {
        try {
          await this.rewrite(f);
          break;
        } catch (err) {
          // The server keeps serving; the rewrite tries again (a row it cannot read stops it here,
          // loudly and repeatedly, and it is never recorded complete).
          this.log.error({ err, store: f.store }, `data format rewrite of ${f.label} failed; retrying in ${Math.round((this.opts.retryDelayMs ?? 5000) / 1000)} s`);
          await sleep(this.opts.retryDelayMs ?? 5000, this.abort.signal);
        }
      }
    }
  }

  private async rewrite(f: RewrittenFormat): Promise<void> {
    const convert = CONVERTERS[f.store];
    if (!convert) throw new Error(`no converter for data format store ${f.store}`);
    const target = encodingOf('json', f.target);
    const db = this.store.dataRewrite;
    let rec = findRewrite(await db.listDataRewrites(), f.store, f.target);
    if (rec?.completedMs !== undefined) {
      dataRewriteDone.labels(f.store).set(1);
      return;
    }
    const now = Date.now();
    if (!rec) {
      rec = { store: f.store, targetFormat: f.target, cursor: undefined, rowsRewritten: 0, rowsTotal: await db.countExecutions(), rowsScanned: 0, startedMs: now, updatedMs: now, completedMs: undefined };
      await db.saveDataRewrite(rec);
      this.log.info({ store: f.store, total: rec.rowsTotal, rowsPerSecond: this.opts.rowsPerSecond }, `data format rewrite started: ${rec.rowsTotal} rows of ${f.label} to bring to ${target}, at most ${this.opts.rowsPerSecond} rows/s`);
    } else {
      this.log.info({ store: f.store, scanned: rec.rowsScanned, total: rec.rowsTotal }, `data format rewrite resumed: ${rec.rowsScanned} of ${rec.rowsTotal ?? '?'} rows of ${f.label} looked at so far`);
    }
    dataRewriteRowsTotal.labels(f.store).set(rec.rowsTotal ?? 0);
    dataRewriteRowsScanned.labels(f.store).set(rec.rowsScanned);
    let cursor: ExecutionScanKey | undefined = rec.cursor ? (JSON.parse(rec.cursor.toString('utf8')) as ExecutionScanKey) : undefined;
    let lastReport = rec.rowsScanned;
    const step = Math.max(1, Math.floor((rec.rowsTotal ?? 0) / 10));

    while (!this.abort.signal.aborted) {
      const began = Date.now();
      const rows = await db.scanExecutions(cursor, this.batchSize);
      let rewritten = 0;
      for (const row of rows) {
        if (formatVersionOf(row.info) === f.target) continue;
        // false: the run was written meanwhile, and so is in the current format already
        if (await db.replaceExecutionInfo(row, convert(row.info))) rewritten++;
      }
      if (rows.length > 0) cursor = rows[rows.length - 1]!.key;
      rec = { ...rec, cursor: cursor ? Buffer.from(JSON.stringify(cursor)) : undefined, rowsRewritten: rec.rowsRewritten + rewritten, rowsScanned: rec.rowsScanned + rows.length, updatedMs: Date.now() };

      if (rows.length < this.batchSize) {
        // The end: every row behind the cursor was looked at. Confirm nothing old is left (a row
        // can only be older if it was written by an older binary meanwhile) before recording it.
        const left = [...(await db.countExecutionsByEncoding()).entries()].filter(([enc]) => enc !== target).reduce((n, [, c]) => n + c, 0);
        if (left > 0) {
          this.log.warn({ store: f.store, left }, `data format rewrite: ${left} rows of ${f.label} are still not in ${target}; looking at all rows again`);
          rec = { ...rec, cursor: undefined };
          cursor = undefined;
          await db.saveDataRewrite(rec);
          continue;
        }
        rec = { ...rec, completedMs: Date.now() };
        await db.saveDataRewrite(rec);
        dataRewriteRowsScanned.labels(f.store).set(rec.rowsScanned);
        dataRewriteDone.labels(f.store).set(1);
        this.log.info(
          { store: f.store, rewritten: rec.rowsRewritten, scanned: rec.rowsScanned, ms: rec.completedMs! - rec.startedMs },
          `data format rewrite done: ${rec.rowsRewritten} rows of ${f.label} rewritten to ${target} (${rec.rowsScanned} looked at) in ${rec.completedMs! - rec.startedMs} ms`,
        );
        return;
      }
      await db.saveDataRewrite(rec);
      dataRewriteRowsScanned.labels(f.store).set(rec.rowsScanned);
      if (rec.rowsScanned - lastReport >= step) {
        lastReport = rec.rowsScanned;
        const pct = rec.rowsTotal ? Math.min(100, Math.round((100 * rec.rowsScanned) / rec.rowsTotal)) : 0;
        this.log.info({ store: f.store, scanned: rec.rowsScanned, total: rec.rowsTotal }, `data format rewrite: ${rec.rowsScanned}/${rec.rowsTotal ?? '?'} rows of ${f.label} (${pct}%)`);
      }
      // Rate limit: a batch of n rows takes at least n / rowsPerSecond seconds.
      const minMs = (1000 * rows.length) / this.opts.rowsPerSecond;
      await sleep(Math.max(0, minMs - (Date.now() - began)), this.abort.signal);
    }
  }
}

