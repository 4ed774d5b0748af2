/** SQLite visibility store (better-sqlite3, synchronous driver behind the async contract). */
import Database from 'better-sqlite3';
import { sqliteDialect } from './query/compiler';
import { ALL_COLUMNS, notOlderThanStored, fromRow, recordValues, typeCode, type Row, type VisibilityRecord, type VisibilityStore } from './store';
import type { CustomAttribute } from './search-attributes';

export class SqliteVisibilityStore implements VisibilityStore {
  readonly dialect = sqliteDialect;
  private readonly upsert: Database.Statement;

  constructor(private readonly db: Database.Database) {
    const cols = ALL_COLUMNS.join(', ');
    const set = ALL_COLUMNS.slice(2)
      .map((c) => `${c} = excluded.${c}`)
      .join(', ');
    this.upsert = db.prepare(
      `INSERT INTO executions_visibility (${cols}) VALUES (${ALL_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (namespace_id, run_id) DO UPDATE SET ${set} WHERE ${notOlderThanStored('excluded', 'executions_visibility')}`,
    );
  }

  static open(path: string): SqliteVisibilityStore {
    const db = new Database(path);
    if (path !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    return new SqliteVisibilityStore(db);
  }

  /** For tests and the bench: insert many rows in one transaction. */
  upsertMany(records: VisibilityRecord[]): void {
    this.db.transaction(() => {
      for (const r of records) this.upsert.run(...recordValues(r, sqliteDialect.bool));
    })();
  }

  async upsertExecution(r: VisibilityRecord): Promise<void> {
    this.upsert.run(...recordValues(r, sqliteDialect.bool));
  }

  async deleteExecution(namespaceId: string, runId: string): Promise<void> {
    this.db.prepare('DELETE FROM executions_visibility WHERE namespace_id = ? AND run_id = ?').run(namespaceId, runId);
  }

  async select(sql: string, params: unknown[]): Promise<Row[]> {
    return this.db.prepare(sql).all(...params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p))) as Row[];
  }

  async listCustomAttributes(namespaceId: string): Promise<CustomAttribute[]> {
    const rows = this.db.prepare('SELECT name, type, column_name FROM custom_search_attributes WHERE namespace_id = ? ORDER BY name').all(namespaceId) as Row[];
    return rows.map((r) => fromRow({ name: String(r.name), type: String(r.type), column: String(r.column_name) }));
  }

  async addCustomAttributes(namespaceId: string, attrs: CustomAttribute[]): Promise<void> {
    const ins = this.db.prepare('INSERT INTO custom_search_attributes (namespace_id, name, type, column_name) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const a of attrs) ins.run(namespaceId, a.name, typeCode(a.type), a.column);
    })();
  }

  async removeCustomAttributes(namespaceId: string, attrs: CustomAttribute[]): Promise<void> {
    this.db.transaction(() => {
      for (const a of attrs) {
        this.db.prepare('DELETE FROM custom_search_attributes WHERE namespace_id = ? AND name = ?').run(namespaceId, a.name);
        // a.column comes from our own mapping row (validated against the known column names)
        this.db.prepare(`UPDATE executions_visibility SET ${a.column} = NULL WHERE namespace_id = ?`).run(namespaceId);
      }
    })();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
