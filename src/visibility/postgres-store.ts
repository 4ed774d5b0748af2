/** PostgreSQL 12+ visibility store (pg Pool). */
import { Pool } from 'pg';
import { pgClientConfig } from '../persistence/postgres/connect';
import type { SqlConnectConfig } from '../persistence/sql-config';
import { postgresDialect } from './query/compiler';
import type { CustomAttribute } from './search-attributes';
import { ALL_COLUMNS, notOlderThanStored, fromRow, recordValues, typeCode, type Row, type VisibilityRecord, type VisibilityStore } from './store';

const UPSERT = `INSERT INTO executions_visibility (${ALL_COLUMNS.join(', ')}) VALUES (${ALL_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
  ON CONFLICT (namespace_id, run_id) DO UPDATE SET ${ALL_COLUMNS.slice(2)
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}
  WHERE ${notOlderThanStored('excluded', 'executions_visibility')}`;

export class PostgresVisibilityStore implements VisibilityStore {
  readonly dialect = postgresDialect;

  constructor(readonly pool: Pool) {}

  static open(cfg: SqlConnectConfig): PostgresVisibilityStore {
    const pool = new Pool({ ...pgClientConfig(cfg, cfg.databaseName), max: 10 });
    pool.on('error', () => {
      /* an idle client died; the next query reconnects */
    });
    return new PostgresVisibilityStore(pool);
  }

  async upsertExecution(r: VisibilityRecord): Promise<void> {
    await this.pool.query(UPSERT, recordValues(r, postgresDialect.bool));
  }

  /** For the bench: many rows in one statement batch (one transaction). */
  async upsertMany(records: VisibilityRecord[]): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      for (const r of records) await c.query({ name: 'vis_upsert', text: UPSERT, values: recordValues(r, postgresDialect.bool) });
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  async deleteExecution(namespaceId: string, runId: string): Promise<void> {
    await this.pool.query('DELETE FROM executions_visibility WHERE namespace_id = $1 AND run_id = $2', [namespaceId, runId]);
  }

  async select(sql: string, params: unknown[]): Promise<Row[]> {
    return (await this.pool.query(postgresDialect.finish(sql), params)).rows as Row[];
  }

  async listCustomAttributes(namespaceId: string): Promise<CustomAttribute[]> {
    const r = await this.pool.query('SELECT name, type, column_name FROM custom_search_attributes WHERE namespace_id = $1 ORDER BY name', [namespaceId]);
    return (r.rows as Row[]).map((x) => fromRow({ name: String(x.name), type: String(x.type), column: String(x.column_name) }));
  }

  async addCustomAttributes(namespaceId: string, attrs: CustomAttribute[]): Promise<void> {
    await this.tx(async (q) => {
      for (const a of attrs) {
        await q('INSERT INTO custom_search_attributes (namespace_id, name, type, column_name) VALUES ($1, $2, $3, $4)', [
          namespaceId,
          a.name,
          typeCode(a.type),
          a.column,
        ]);
      }
    });
  }

  async removeCustomAttributes(namespaceId: string, attrs: CustomAttribute[]): Promise<void> {
    await this.tx(async (q) => {
      for (const a of attrs) {
        await q('DELETE FROM custom_search_attributes WHERE namespace_id = $1 AND name = $2', [namespaceId, a.name]);
        await q(`UPDATE executions_visibility SET ${a.column} = NULL WHERE namespace_id = $1`, [namespaceId]);
      }
    });
  }

  private async tx(fn: (q: (sql: string, params: unknown[]) => Promise<unknown>) => Promise<void>): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      await fn((sql, params) => c.query(sql, params));
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
