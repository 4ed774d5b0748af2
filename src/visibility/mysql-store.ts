/** MySQL 8 visibility store (mysql2 pool; MariaDB 10.11 stands in for MySQL 8 in tests). */
import mysql from 'mysql2/promise';
import type { SqlConnectConfig } from '../persistence/sql-config';
import { tlsOptions } from '../persistence/tls';
import { mysqlDialect } from './query/compiler';
import type { CustomAttribute } from './search-attributes';
import { ALL_COLUMNS, fromRow, recordValues, typeCode, type Row, type VisibilityRecord, type VisibilityStore } from './store';

// MySQL's ON DUPLICATE KEY UPDATE has no WHERE: each column keeps its value unless the row is not
// older than the stored one. Assignments run left to right, so history_length (the test) goes last.
const FORWARD = `COALESCE(VALUES(history_length), 0) >= COALESCE(history_length, 0)`;
const UPDATED = [...ALL_COLUMNS.slice(2).filter((c) => c !== 'history_length'), 'history_length'];
const UPSERT = `INSERT INTO executions_visibility (${ALL_COLUMNS.join(', ')}) VALUES (${ALL_COLUMNS.map(() => '?').join(', ')})
  ON DUPLICATE KEY UPDATE ${UPDATED.map((c) => `${c} = IF(${FORWARD}, VALUES(${c}), ${c})`).join(', ')}`;

type Param = string | number | Buffer | null;
const param = (p: unknown): Param => (typeof p === 'boolean' ? (p ? 1 : 0) : ((p as Param) ?? null));

export class MysqlVisibilityStore implements VisibilityStore {
  readonly dialect = mysqlDialect;

  constructor(readonly pool: mysql.Pool) {}

  static open(cfg: SqlConnectConfig): MysqlVisibilityStore {
    const tls = tlsOptions(cfg.tls, cfg.host);
    const pool = mysql.createPool({
      host: cfg.host,
      port: cfg.port,
      user: cfg.user,
      password: cfg.password,
      database: cfg.databaseName,
      ssl: tls
        ? {
            ca: tls.ca as Buffer | undefined,
            cert: tls.cert as Buffer | undefined,
            key: tls.key as Buffer | undefined,
            rejectUnauthorized: tls.rejectUnauthorized,
          }
        : undefined,
      connectionLimit: 10,
      supportBigNumbers: true,
      bigNumberStrings: true,
      charset: 'utf8mb4',
    });
    return new MysqlVisibilityStore(pool);
  }

  async upsertExecution(r: VisibilityRecord): Promise<void> {
    await this.pool.execute(UPSERT, recordValues(r, mysqlDialect.bool).map(param));
  }

  async upsertMany(records: VisibilityRecord[]): Promise<void> {
    const c = await this.pool.getConnection();
    try {
      await c.beginTransaction();
      for (const r of records) await c.execute(UPSERT, recordValues(r, mysqlDialect.bool).map(param));
      await c.commit();
    } catch (err) {
      await c.rollback().catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  async deleteExecution(namespaceId: string, runId: string): Promise<void> {
    await this.pool.execute('DELETE FROM executions_visibility WHERE namespace_id = ? AND run_id = ?', [namespaceId, runId]);
  }

  async select(sql: string, params: unknown[]): Promise<Row[]> {
    const [rows] = await this.pool.execute(sql, params.map(param));
    return rows as Row[];
  }

  async listCustomAttributes(namespaceId: string): Promise<CustomAttribute[]> {
    const [rows] = await this.pool.execute('SELECT name, type, column_name FROM custom_search_attributes WHERE namespace_id = ? ORDER BY name', [namespaceId]);
    return (rows as Row[]).map((x) => fromRow({ name: String(x.name), type: String(x.type), column: String(x.column_name) }));
  }

  async addCustomAttributes(namespaceId: string, attrs: CustomAttribute[]): Promise<void> {
    const c = await this.pool.getConnection();
    try {
      await c.beginTransaction();
      for (const a of attrs) {
        await c.execute('INSERT INTO custom_search_attributes (namespace_id, name, type, column_name) VALUES (?, ?, ?, ?)', [
          namespaceId,
          a.name,
          typeCode(a.type),
          a.column,
        ]);
      }
      await c.commit();
    } catch (err) {
      await c.rollback().catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  async removeCustomAttributes(namespaceId: string, attrs: CustomAttribute[]): Promise<void> {
    const c = await this.pool.getConnection();
    try {
      await c.beginTransaction();
      for (const a of attrs) {
        await c.execute('DELETE FROM custom_search_attributes WHERE namespace_id = ? AND name = ?', [namespaceId, a.name]);
        await c.execute(`UPDATE executions_visibility SET ${a.column} = NULL WHERE namespace_id = ?`, [namespaceId]);
      }
      await c.commit();
    } catch (err) {
      await c.rollback().catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
