/**
 * PostgreSQL side of the schema engine: bookkeeping tables in Temporal's format, one transaction per
 * version (PostgreSQL's DDL is transactional), and a session advisory lock keyed by database name.
 */
import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import { type DatabaseAdmin, type HistoryRow, SCHEMA_LOCK_NAME, type SchemaAdminDB, type StoredVersion, nextUpdateTime } from '../../schema/admin-db';
import { type SqlConnectConfig } from '../sql-config';
import { connectPg } from './connect';

const DB_NAME_RE = /^[A-Za-z0-9_$-]{1,63}$/;

function lockKey(db: string): string {
  // A signed 64-bit key from the database name: the same for every run against this database.
  return BigInt.asIntN(64, BigInt('0x' + createHash('md5').update(`${SCHEMA_LOCK_NAME}:${db}`).digest('hex').slice(0, 16))).toString();
}

export class PostgresAdminDB implements SchemaAdminDB {
  readonly plugin = 'postgres12' as const;
  readonly transactionalDdl = true;
  readonly label: string;
  private locked = false;

  private constructor(
    private readonly client: Client,
    readonly dbName: string,
    cfg: SqlConnectConfig,
  ) {
    this.label = `postgres12 database "${dbName}" at ${cfg.host}:${cfg.port}`;
  }

  static async open(cfg: SqlConnectConfig): Promise<PostgresAdminDB> {
    return new PostgresAdminDB(await connectPg(cfg), cfg.databaseName, cfg);
  }

  async exec(sql: string): Promise<void> {
    await this.client.query(sql);
  }

  async inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.client.query('BEGIN');
    try {
      const r = await fn();
      await this.client.query('COMMIT');
      return r;
    } catch (err) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async listTables(): Promise<string[]> {
    const r = await this.client.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`);
    return r.rows.map((x) => x.t);
  }

  async createVersionTables(): Promise<void> {
    await this.client.query(
      `CREATE TABLE IF NOT EXISTS schema_version (version_partition INT NOT NULL, db_name VARCHAR(255) NOT NULL, creation_time TIMESTAMP, curr_version VARCHAR(64), min_compatible_version VARCHAR(64), PRIMARY KEY (version_partition, db_name))`,
    );
    await this.client.query(
      `CREATE TABLE IF NOT EXISTS schema_update_history (version_partition INT NOT NULL, year INT NOT NULL, month INT NOT NULL, update_time TIMESTAMP NOT NULL, description VARCHAR(255), manifest_md5 VARCHAR(64), new_version VARCHAR(64), old_version VARCHAR(64), PRIMARY KEY (version_partition, year, month, update_time))`,
    );
  }

  private async hasTable(name: string): Promise<boolean> {
    const r = await this.client.query(`SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = $1`, [name]);
    return (r.rowCount ?? 0) > 0;
  }

  async readVersion(): Promise<StoredVersion | undefined> {
    if (!(await this.hasTable('schema_version'))) return undefined;
    const r = await this.client.query<{ c: string; m: string }>(
      `SELECT curr_version AS c, min_compatible_version AS m FROM schema_version WHERE version_partition = 0 AND db_name = $1`,
      [this.dbName],
    );
    const row = r.rows[0];
    return row ? { currVersion: row.c, minCompatibleVersion: row.m } : undefined;
  }

  async listVersionDbNames(): Promise<string[]> {
    if (!(await this.hasTable('schema_version'))) return [];
    const r = await this.client.query<{ d: string }>(`SELECT db_name AS d FROM schema_version ORDER BY 1`);
    return r.rows.map((x) => x.d);
  }

  async writeVersion(curr: string, minCompat: string): Promise<void> {
    await this.client.query(
      `INSERT INTO schema_version (version_partition, db_name, creation_time, curr_version, min_compatible_version) VALUES (0, $1, (now() AT TIME ZONE 'UTC'), $2, $3)
       ON CONFLICT (version_partition, db_name) DO UPDATE SET creation_time = excluded.creation_time, curr_version = excluded.curr_version, min_compatible_version = excluded.min_compatible_version`,
      [this.dbName, curr, minCompat],
    );
  }

  async readHistory(): Promise<HistoryRow[]> {
    if (!(await this.hasTable('schema_update_history'))) return [];
    const r = await this.client.query<{ t: Date; o: string; n: string; m: string; d: string }>(
      `SELECT update_time AS t, old_version AS o, new_version AS n, manifest_md5 AS m, description AS d FROM schema_update_history WHERE version_partition = 0 ORDER BY update_time`,
    );
    return r.rows.map((x) => ({ updateTime: String(x.t), oldVersion: x.o, newVersion: x.n, manifestMd5: x.m ?? '', description: x.d ?? '' }));
  }

  async writeHistory(oldVersion: string, newVersion: string, md5: string, description: string): Promise<void> {
    const t = nextUpdateTime();
    await this.client.query(
      `INSERT INTO schema_update_history (version_partition, year, month, update_time, old_version, new_version, manifest_md5, description) VALUES (0, $1, $2, $3, $4, $5, $6, $7)`,
      [t.year, t.month, t.text, oldVersion, newVersion, md5, description.slice(0, 255)],
    );
  }

  requiresAutocommit(sql: string): boolean {
    return /^\s*((CREATE|DROP)\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY|REINDEX\b.*\bCONCURRENTLY|VACUUM\b)/is.test(sql);
  }

  async createCheckpointTable(): Promise<void> {
    await this.client.query(
      `CREATE TABLE IF NOT EXISTS schema_update_checkpoint (version_partition INT NOT NULL, db_name VARCHAR(255) NOT NULL, new_version VARCHAR(64) NOT NULL, statement_index INT NOT NULL, statement_md5 VARCHAR(64) NOT NULL, applied_time TIMESTAMP NOT NULL, PRIMARY KEY (version_partition, db_name, new_version, statement_index))`,
    );
  }

  async readCheckpoints(version: string): Promise<Map<number, string>> {
    if (!(await this.hasTable('schema_update_checkpoint'))) return new Map();
    const r = await this.client.query<{ i: number; m: string }>(
      `SELECT statement_index AS i, statement_md5 AS m FROM schema_update_checkpoint WHERE version_partition = 0 AND db_name = $1 AND new_version = $2`,
      [this.dbName, version],
    );
    return new Map(r.rows.map((x) => [Number(x.i), x.m]));
  }

  async writeCheckpoint(version: string, index: number, md5: string): Promise<void> {
    await this.client.query(
      `INSERT INTO schema_update_checkpoint (version_partition, db_name, new_version, statement_index, statement_md5, applied_time) VALUES (0, $1, $2, $3, $4, (now() AT TIME ZONE 'UTC'))`,
      [this.dbName, version, index, md5],
    );
  }

  async clearCheckpoints(version: string): Promise<void> {
    if (!(await this.hasTable('schema_update_checkpoint'))) return;
    await this.client.query(`DELETE FROM schema_update_checkpoint WHERE version_partition = 0 AND db_name = $1 AND new_version = $2`, [this.dbName, version]);
  }

  async invalidIndexes(): Promise<string[]> {
    const r = await this.client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid AND n.nspname = current_schema() ORDER BY 1`,
    );
    return r.rows.map((x) => x.name);
  }

  isAlreadyAppliedError(err: unknown): boolean {
    const code = (err as { code?: string }).code;
    return code === '42P07' || code === '42701' || code === '42710' || code === '42P06';
  }

  async lock(onWait: (holder: string) => void): Promise<void> {
    const key = lockKey(this.dbName);
    const got = await this.client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock($1::bigint) AS ok`, [key]);
    if (!got.rows[0]?.ok) {
      const h = await this.client
        .query<{ pid: number; app: string; addr: string | null; since: Date | null }>(
          `SELECT a.pid, a.application_name AS app, a.client_addr::text AS addr, a.backend_start AS since
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint`,
          [key],
        )
        .catch(() => ({ rows: [] as { pid: number; app: string; addr: string | null; since: Date | null }[] }));
      const r = h.rows[0];
      onWait(
        r
          ? `PostgreSQL backend pid ${r.pid} (${r.app || 'unknown application'}${r.addr ? ` from ${r.addr}` : ''}${r.since ? `, connected since ${r.since.toISOString()}` : ''})`
          : 'another session',
      );
      await this.client.query(`SELECT pg_advisory_lock($1::bigint)`, [key]);
    }
    this.locked = true;
  }

  async unlock(): Promise<void> {
    if (!this.locked) return;
    await this.client.query(`SELECT pg_advisory_unlock($1::bigint)`, [lockKey(this.dbName)]);
    this.locked = false;
  }

  async dropAllTables(): Promise<void> {
    for (const t of await this.listTables()) await this.client.query(`DROP TABLE IF EXISTS "${t.replace(/"/g, '""')}" CASCADE`);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

export function checkDbName(name: string): void {
  if (!DB_NAME_RE.test(name)) {
    throw new Error(`database name "${name}" is not allowed: use letters, digits, "_", "$" or "-" (at most 63 characters)`);
  }
}

export class PostgresDatabaseAdmin implements DatabaseAdmin {
  constructor(
    private readonly cfg: SqlConnectConfig,
    private readonly defaultDb: string | undefined,
  ) {}

  private async maintenance(): Promise<Client> {
    const candidates = this.defaultDb ? [this.defaultDb] : ['postgres', 'defaultdb'];
    let last: unknown;
    for (const db of candidates) {
      try {
        return await connectPg(this.cfg, db);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }

  async createDatabase(name: string): Promise<'created' | 'exists'> {
    checkDbName(name);
    const c = await this.maintenance();
    try {
      await c.query(`CREATE DATABASE "${name}"`);
      return 'created';
    } catch (err) {
      if ((err as { code?: string }).code === '42P04') return 'exists';
      throw err;
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  async dropDatabase(name: string): Promise<'dropped' | 'absent'> {
    checkDbName(name);
    const c = await this.maintenance();
    try {
      const exists = await c.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name]);
      if ((exists.rowCount ?? 0) === 0) return 'absent';
      await c.query(`DROP DATABASE IF EXISTS "${name}"`);
      return 'dropped';
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}
