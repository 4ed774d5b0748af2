/**
 * The data-format rewrite's rows (data_format_rewrite, and executions scanned in key order), written
 * once for the three plugins: the statements are portable SQL, and each plugin hands over a runner
 * that executes "?"-placeholder SQL on its own connection or pool. Only the keyset condition differs:
 * MySQL gets it spelled out, because row-value comparisons do not always use its primary key.
 */
import type { DataBlob } from './blob';
import type { DataRewriteRecord, DataRewriteStore, ExecutionBlobRow, ExecutionScanKey } from './interfaces';

type Row = Record<string, unknown>;

export interface SqlRunner {
  readonly dialect: 'sqlite' | 'postgres' | 'mysql';
  /** rows of a SELECT with "?" placeholders */
  select(sql: string, params: unknown[]): Promise<Row[]>;
  /** the number of rows a write matched */
  execute(sql: string, params: unknown[]): Promise<number>;
  /**
   * The same write for each parameter list, in one transaction where that is cheap: SQLite runs the
   * batch as one synchronous transaction (one commit instead of one fsync per row, and one short
   * pause of the event loop); the pooled engines may run them one by one.
   */
  executeMany(sql: string, paramLists: unknown[][]): Promise<number[]>;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const opt = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : num(v));

export class SqlDataRewriteStore implements DataRewriteStore {
  constructor(private readonly db: SqlRunner) {}

  async listDataRewrites(): Promise<DataRewriteRecord[]> {
    const rows = await this.db.select(
      'SELECT store, target_format, cursor_data, rows_rewritten, rows_total, rows_scanned, started_time, updated_time, completed_time FROM data_format_rewrite ORDER BY store, target_format',
      [],
    );
    return rows.map((r) => ({
      store: String(r.store),
      targetFormat: num(r.target_format),
      cursor: r.cursor_data === null || r.cursor_data === undefined ? undefined : Buffer.from(r.cursor_data as Uint8Array),
      rowsRewritten: num(r.rows_rewritten),
      rowsTotal: opt(r.rows_total),
      rowsScanned: num(r.rows_scanned ?? 0),
      startedMs: num(r.started_time),
      updatedMs: opt(r.updated_time),
      completedMs: opt(r.completed_time),
    }));
  }

  async saveDataRewrite(r: DataRewriteRecord): Promise<void> {
    const values = [r.cursor ?? null, r.rowsRewritten, r.rowsTotal ?? null, r.rowsScanned, r.startedMs, r.updatedMs ?? null, r.completedMs ?? null];
    // Update, else insert: portable, and the rewrite of a store has a single writer.
    const n = await this.db.execute(
      'UPDATE data_format_rewrite SET cursor_data = ?, rows_rewritten = ?, rows_total = ?, rows_scanned = ?, started_time = ?, updated_time = ?, completed_time = ? WHERE store = ? AND target_format = ?',
      [...values, r.store, r.targetFormat],
    );
    if (n === 0) {
      await this.db.execute(
        'INSERT INTO data_format_rewrite (cursor_data, rows_rewritten, rows_total, rows_scanned, started_time, updated_time, completed_time, store, target_format) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [...values, r.store, r.targetFormat],
      );
    }
  }

  async countExecutions(): Promise<number> {
    const rows = await this.db.select('SELECT COUNT(*) AS n FROM executions', []);
    return num(rows[0]?.n ?? 0);
  }

  async countExecutionsByEncoding(): Promise<Map<string, number>> {
    const rows = await this.db.select('SELECT data_encoding, COUNT(*) AS n FROM executions GROUP BY data_encoding', []);
    return new Map(rows.map((r) => [String(r.data_encoding), num(r.n)]));
  }

  async scanExecutions(after: ExecutionScanKey | undefined, limit: number): Promise<ExecutionBlobRow[]> {
    const base = 'SELECT shard_id, namespace_id, workflow_id, run_id, db_record_version, data, data_encoding FROM executions';
    const order = `ORDER BY shard_id, namespace_id, workflow_id, run_id LIMIT ${Math.max(1, Math.floor(limit))}`;
    let rows: Row[];
    if (!after) rows = await this.db.select(`${base} ${order}`, []);
    else if (this.db.dialect === 'mysql') {
      const k = after;
      rows = await this.db.select(
        `${base} WHERE shard_id > ? OR (shard_id = ? AND (namespace_id > ? OR (namespace_id = ? AND (workflow_id > ? OR (workflow_id = ? AND run_id > ?))))) ${order}`,
        [k.shardId, k.shardId, k.namespaceId, k.namespaceId, k.workflowId, k.workflowId, k.runId],
      );
    } else {
      rows = await this.db.select(`${base} WHERE (shard_id, namespace_id, workflow_id, run_id) > (?, ?, ?, ?) ${order}`, [
        after.shardId,
        after.namespaceId,
        after.workflowId,
        after.runId,
      ]);
    }
    return rows.map((r) => ({
      key: { shardId: num(r.shard_id), namespaceId: String(r.namespace_id), workflowId: String(r.workflow_id), runId: String(r.run_id) },
      dbRecordVersion: num(r.db_record_version),
      info: { data: Buffer.from(r.data as Uint8Array), encoding: String(r.data_encoding) } satisfies DataBlob,
    }));
  }

  async replaceExecutionInfos(items: readonly { row: ExecutionBlobRow; info: DataBlob }[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    const matched = await this.db.executeMany(
      'UPDATE executions SET data = ?, data_encoding = ? WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ? AND db_record_version = ? AND data_encoding = ?',
      items.map(({ row, info }) => [
        info.data,
        info.encoding,
        row.key.shardId,
        row.key.namespaceId,
        row.key.workflowId,
        row.key.runId,
        row.dbRecordVersion,
        row.info.encoding,
      ]),
    );
    return matched.map((n) => n > 0);
  }
}
