/**
 * The visibility store, written once for every SQL plugin over its executor and dialect
 * (src/persistence): executions_visibility rows (an upsert that never moves a row backwards, see
 * notOlderThanStored) and the custom_search_attributes mappings. What a query means is decided
 * above (manager.ts, query/); this store only runs the compiled SELECT.
 */
import { stmt, type Program, type SqlDialect, type SqlExecutor, type Statement } from '../persistence';
import type { CustomAttribute } from './search-attributes';
import { ALL_COLUMNS, fromRow, notOlderThanStored, recordValues, typeCode, type Row, type VisibilityRecord, type VisibilityStore } from './store';

export class SqlVisibilityStore implements VisibilityStore {
  readonly dialect: SqlDialect;
  private readonly upsertSql: string;

  constructor(private readonly db: SqlExecutor) {
    const d = db.dialect;
    this.dialect = d;
    const key = ALL_COLUMNS.slice(0, 2);
    const set = ALL_COLUMNS.slice(2).map((c) => [c, d.incoming(c)] as const);
    this.upsertSql = `INSERT INTO executions_visibility (${ALL_COLUMNS.join(', ')}) VALUES (${ALL_COLUMNS.map(() => '?').join(', ')}) ${d.upsert('executions_visibility', key, set, notOlderThanStored)}`;
  }

  private upsert(r: VisibilityRecord): Statement {
    const d = this.dialect;
    return stmt(
      this.upsertSql,
      recordValues(r, (b) => d.bool(b)),
    );
  }

  async upsertExecution(r: VisibilityRecord): Promise<void> {
    await this.db.write(this.upsert(r));
  }

  /** For tests and the bench: many rows in one transaction. */
  async upsertMany(records: readonly VisibilityRecord[]): Promise<void> {
    const statements = records.map((r) => this.upsert(r));
    await this.db.transact(function* (): Program<void> {
      yield* statements;
    });
  }

  async deleteExecution(namespaceId: string, runId: string): Promise<void> {
    await this.db.write(stmt('DELETE FROM executions_visibility WHERE namespace_id = ? AND run_id = ?', [namespaceId, runId]));
  }

  async select(sql: string, params: unknown[]): Promise<Row[]> {
    return this.db.read(stmt(sql, params));
  }

  async listCustomAttributes(namespaceId: string): Promise<CustomAttribute[]> {
    const rows = await this.db.read(stmt('SELECT name, type, column_name FROM custom_search_attributes WHERE namespace_id = ? ORDER BY name', [namespaceId]));
    return rows.map((r) => fromRow({ name: String(r.name), type: String(r.type), column: String(r.column_name) }));
  }

  async addCustomAttributes(namespaceId: string, attrs: CustomAttribute[]): Promise<void> {
    await this.db.transact(function* (): Program<void> {
      for (const a of attrs) {
        yield stmt('INSERT INTO custom_search_attributes (namespace_id, name, type, column_name) VALUES (?, ?, ?, ?)', [
          namespaceId,
          a.name,
          typeCode(a.type),
          a.column,
        ]);
      }
    });
  }

  async removeCustomAttributes(namespaceId: string, attrs: CustomAttribute[]): Promise<void> {
    await this.db.transact(function* (): Program<void> {
      for (const a of attrs) {
        yield stmt('DELETE FROM custom_search_attributes WHERE namespace_id = ? AND name = ?', [namespaceId, a.name]);
        // a.column comes from our own mapping row (validated against the known column names)
        yield stmt(`UPDATE executions_visibility SET ${a.column} = NULL WHERE namespace_id = ?`, [namespaceId]);
      }
    });
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
