/**
 * The data-format rewrite's rows (data_format_rewrite, and executions scanned in key order), written
 * once for every SQL plugin. The rewrite itself (what to convert, how fast) is src/history/data-rewrite.ts.
 */
import type { DataBlob } from '../blob';
import type { DataRewriteRecord, DataRewriteStore, ExecutionBlobRow, ExecutionScanKey } from '../interfaces';
import type { SqlExecutor } from './executor';
import { blob, bytes, num, optNum } from './rows';
import { stmt } from './statement';

const SCAN_KEY = ['shard_id', 'namespace_id', 'workflow_id', 'run_id'] as const;

export class SqlDataRewriteStore implements DataRewriteStore {
  constructor(private readonly db: SqlExecutor) {}

  async listDataRewrites(): Promise<DataRewriteRecord[]> {
    const rows = await this.db.read(
      stmt(
        'SELECT store, target_format, cursor_data, rows_rewritten, rows_total, rows_scanned, started_time, updated_time, completed_time FROM data_format_rewrite ORDER BY store, target_format',
      ),
    );
    return rows.map((r) => ({
      store: String(r.store),
      targetFormat: num(r.target_format),
      cursor: r.cursor_data === null || r.cursor_data === undefined ? undefined : bytes(r.cursor_data),
      rowsRewritten: num(r.rows_rewritten),
      rowsTotal: optNum(r.rows_total),
      rowsScanned: num(r.rows_scanned ?? 0),
      startedMs: num(r.started_time),
      updatedMs: optNum(r.updated_time),
      completedMs: optNum(r.completed_time),
    }));
  }

  async saveDataRewrite(r: DataRewriteRecord): Promise<void> {
    const values = [r.cursor ?? null, r.rowsRewritten, r.rowsTotal ?? null, r.rowsScanned, r.startedMs, r.updatedMs ?? null, r.completedMs ?? null];
    // Update, else insert: portable, and the rewrite of a store has a single writer.
    const matched = await this.db.write(
      stmt(
        'UPDATE data_format_rewrite SET cursor_data = ?, rows_rewritten = ?, rows_total = ?, rows_scanned = ?, started_time = ?, updated_time = ?, completed_time = ? WHERE store = ? AND target_format = ?',
        [...values, r.store, r.targetFormat],
      ),
    );
    if (matched === 0) {
      await this.db.write(
        stmt(
          'INSERT INTO data_format_rewrite (cursor_data, rows_rewritten, rows_total, rows_scanned, started_time, updated_time, completed_time, store, target_format) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [...values, r.store, r.targetFormat],
        ),
      );
    }
  }

  async countExecutions(): Promise<number> {
    const [row] = await this.db.read(stmt('SELECT COUNT(*) AS n FROM executions'));
    return num(row?.n ?? 0);
  }

  async countExecutionsByEncoding(): Promise<Map<string, number>> {
    const rows = await this.db.read(stmt('SELECT data_encoding, COUNT(*) AS n FROM executions GROUP BY data_encoding'));
    return new Map(rows.map((r) => [String(r.data_encoding), num(r.n)]));
  }

  async scanExecutions(after: ExecutionScanKey | undefined, limit: number): Promise<ExecutionBlobRow[]> {
    const where = after ? this.db.dialect.after(SCAN_KEY, [after.shardId, after.namespaceId, after.workflowId, after.runId]) : stmt('1=1');
    const rows = await this.db.read(
      stmt(
        `SELECT shard_id, namespace_id, workflow_id, run_id, db_record_version, data, data_encoding FROM executions WHERE ${where.sql} ORDER BY ${SCAN_KEY.join(', ')} LIMIT ${Math.max(1, Math.floor(limit))}`,
        where.params,
      ),
    );
    return rows.map((r) => ({
      key: { shardId: num(r.shard_id), namespaceId: String(r.namespace_id), workflowId: String(r.workflow_id), runId: String(r.run_id) },
      dbRecordVersion: num(r.db_record_version),
      info: blob(r.data, r.data_encoding),
    }));
  }

  async replaceExecutionInfos(items: readonly { row: ExecutionBlobRow; info: DataBlob }[]): Promise<boolean[]> {
    const matched = await this.db.writeEach(
      items.map(({ row, info }) =>
        stmt(
          'UPDATE executions SET data = ?, data_encoding = ? WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ? AND db_record_version = ? AND data_encoding = ?',
          [info.data, info.encoding, row.key.shardId, row.key.namespaceId, row.key.workflowId, row.key.runId, row.dbRecordVersion, row.info.encoding],
        ),
      ),
    );
    return matched.map((n) => n > 0);
  }
}
