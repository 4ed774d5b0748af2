/**
 * MySQL side of the schema engine. MySQL commits every DDL statement on its own, so a version cannot
 * be applied atomically: instead each statement that took effect is checkpointed in
 * schema_update_checkpoint, and a re-run after a crash resumes after the last checkpoint (the one
 * statement that may have run without its checkpoint is retried, and "already exists" from it is
 * accepted). Two runs are kept apart by GET_LOCK.
 */
import { createHash } from 'node:crypto';
import type mysql from 'mysql2/promise';
import { type DatabaseAdmin, type HistoryRow, SCHEMA_LOCK_NAME, type SchemaAdminDB, type StoredVersion, nextUpdateTime } from '../../schema/admin-db';
import { type SqlConnectConfig } from '../sql-config';
import { connectMysql } from './connect';

const DB_NAME_RE = /^[A-Za-z0-9_$-]{1,64}$/;
// ER_TABLE_EXISTS_ERROR, ER_DUP_FIELDNAME, ER_DUP_KEYNAME, ER_CANT_DROP_FIELD_OR_KEY, ER_DB_CREATE_EXISTS, ER_BAD_TABLE_ERROR
const ALREADY_APPLIED = new Set([1050, 1060, 1061, 1091, 1007, 1051]);

function lockName(db: string): string {
  // GET_LOCK names are limited to 64 characters.
  return `${SCHEMA_LOCK_NAME}:${createHash('md5').update(db).digest('hex')}`;
}

type Row = Record<string, unknown>;

export class MysqlAdminDB implements SchemaAdminDB {
  readonly plugin = 'mysql8' as const;
  readonly transactionalDdl = false;
  readonly label: string;
  private locked = false;

  private constructor(
    private readonly conn: mysql.Connection,
    readonly dbName: string,
    cfg: SqlConnectConfig,
  ) {
    this.label = `mysql8 database "${dbName}" at ${cfg.host}:${cfg.port}`;
  }

  static async open(cfg: SqlConnectConfig): Promise<MysqlAdminDB> {
    return new MysqlAdminDB(await connectMysql(cfg), cfg.databaseName, cfg);
  }

  private async rows(sql: string, params: unknown[] = []): Promise<Row[]> {
    const [r] = await this.conn.query(sql, params);
    return r as Row[];
  }

  async exec(sql: string): Promise<void> {
    await this.conn.query(sql);
  }

  async inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async listTables(): Promise<string[]> {
    const r = await this.rows(`SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1`);
    return r.map((x) => String(x.t));
  }

  async createVersionTables(): Promise<void> {
    await this.exec(
      `CREATE TABLE IF NOT EXISTS schema_version (version_partition INT NOT NULL, db_name VARCHAR(255) NOT NULL, creation_time DATETIME(6), curr_version VARCHAR(64), min_compatible_version VARCHAR(64), PRIMARY KEY (version_partition, db_name)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    );
    await this.exec(
      `CREATE TABLE IF NOT EXISTS schema_update_history (version_partition INT NOT NULL, year INT NOT NULL, month INT NOT NULL, update_time DATETIME(6) NOT NULL, description VARCHAR(255), manifest_md5 VARCHAR(64), new_version VARCHAR(64), old_version VARCHAR(64), PRIMARY KEY (version_partition, year, month, update_time)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    );
  }

  private async hasTable(name: string): Promise<boolean> {
    return (await this.rows(`SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`, [name])).length > 0;
  }

  async readVersion(): Promise<StoredVersion | undefined> {
    if (!(await this.hasTable('schema_version'))) return undefined;
    const r = await this.rows(`SELECT curr_version AS c, min_compatible_version AS m FROM schema_version WHERE version_partition = 0 AND db_name = ?`, [
      this.dbName,
    ]);
    const row = r[0];
    return row ? { currVersion: String(row.c), minCompatibleVersion: String(row.m) } : undefined;
  }

  async listVersionDbNames(): Promise<string[]> {
    if (!(await this.hasTable('schema_version'))) return [];
    return (await this.rows(`SELECT db_name AS d FROM schema_version ORDER BY 1`)).map((x) => String(x.d));
  }

  async writeVersion(curr: string, minCompat: string): Promise<void> {
    await this.conn.query(
      `INSERT INTO schema_version (version_partition, db_name, creation_time, curr_version, min_compatible_version) VALUES (0, ?, UTC_TIMESTAMP(6), ?, ?)
       ON DUPLICATE KEY UPDATE creation_time = VALUES(creation_time), curr_version = VALUES(curr_version), min_compatible_version = VALUES(min_compatible_version)`,
      [this.dbName, curr, minCompat],
    );
  }

  async readHistory(): Promise<HistoryRow[]> {
    if (!(await this.hasTable('schema_update_history'))) return [];
    const r = await this.rows(
      `SELECT update_time AS t, old_version AS o, new_version AS n, manifest_md5 AS m, description AS d FROM schema_update_history WHERE version_partition = 0 ORDER BY update_time`,
    );
    return r.map((x) => ({
      updateTime: String(x.t),
      oldVersion: String(x.o),
      newVersion: String(x.n),
      manifestMd5: String(x.m ?? ''),
      description: String(x.d ?? ''),
    }));
  }

  async writeHistory(oldVersion: string, newVersion: string, md5: string, description: string): Promise<void> {
    const t = nextUpdateTime();
    await this.conn.query(
      `INSERT INTO schema_update_history (version_partition, year, month, update_time, old_version, new_version, manifest_md5, description) VALUES (0, ?, ?, ?, ?, ?, ?, ?)`,
      [t.year, t.month, t.text, oldVersion, newVersion, md5, description.slice(0, 255)],
    );
  }

  async createCheckpointTable(): Promise<void> {
    await this.exec(
      `CREATE TABLE IF NOT EXISTS schema_update_checkpoint (version_partition INT NOT NULL, db_name VARCHAR(255) NOT NULL, new_version VARCHAR(64) NOT NULL, statement_index INT NOT NULL, statement_md5 VARCHAR(64) NOT NULL, applied_time DATETIME(6) NOT NULL, PRIMARY KEY (version_partition, db_name, new_version, statement_index)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    );
  }

  requiresAutocommit(): boolean {
    return false; // every statement auto-commits here anyway
  }

  async readCheckpoints(version: string): Promise<Map<number, string>> {
    if (!(await this.hasTable('schema_update_checkpoint'))) return new Map();
    const r = await this.rows(
      `SELECT statement_index AS i, statement_md5 AS m FROM schema_update_checkpoint WHERE version_partition = 0 AND db_name = ? AND new_version = ?`,
      [this.dbName, version],
    );
    return new Map(r.map((x) => [Number(x.i), String(x.m)]));
  }

  async writeCheckpoint(version: string, index: number, md5: string): Promise<void> {
    await this.conn.query(
      `INSERT INTO schema_update_checkpoint (version_partition, db_name, new_version, statement_index, statement_md5, applied_time) VALUES (0, ?, ?, ?, ?, UTC_TIMESTAMP(6))`,
      [this.dbName, version, index, md5],
    );
  }

  async clearCheckpoints(version: string): Promise<void> {
    await this.conn.query(`DELETE FROM schema_update_checkpoint WHERE version_partition = 0 AND db_name = ? AND new_version = ?`, [this.dbName, version]);
  }

  async invalidIndexes(): Promise<string[]> {
    return []; // indexes are built or not: no half-built state survives a failure
  }

  isAlreadyAppliedError(err: unknown): boolean {
    return ALREADY_APPLIED.has(Number((err as { errno?: number }).errno));
  }

  async lock(onWait: (holder: string) => void): Promise<void> {
    const name = lockName(this.dbName);
    const got = await this.rows(`SELECT GET_LOCK(?, 0) AS ok`, [name]);
    if (Number(got[0]?.ok) !== 1) {
      const holder = await this.rows(
        `SELECT p.ID AS id, p.USER AS user, p.HOST AS host, p.TIME AS secs FROM information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK(?)`,
        [name],
      ).catch(() => [] as Row[]);
      const h = holder[0];
      onWait(h ? `MySQL connection ${String(h.id)} (user ${String(h.user)} from ${String(h.host)}, for ${String(h.secs)} s)` : 'another session');
      // Wait up to a day; a lock held longer than that is a stuck job someone must look at.
      const waited = await this.rows(`SELECT GET_LOCK(?, 86400) AS ok`, [name]);
      if (Number(waited[0]?.ok) !== 1) throw new Error(`gave up waiting for the schema lock of ${this.label} after 24 h`);
    }
    this.locked = true;
  }

  async unlock(): Promise<void> {
    if (!this.locked) return;
    await this.rows(`SELECT RELEASE_LOCK(?)`, [lockName(this.dbName)]);
    this.locked = false;
  }

  async dropAllTables(): Promise<void> {
    await this.exec('SET FOREIGN_KEY_CHECKS = 0');
    for (const t of await this.listTables()) await this.exec(`DROP TABLE IF EXISTS \`${t.replace(/`/g, '``')}\``);
    await this.exec('SET FOREIGN_KEY_CHECKS = 1');
  }

  async close(): Promise<void> {
    await this.conn.end().catch(() => undefined);
  }
}

export class MysqlDatabaseAdmin implements DatabaseAdmin {
  constructor(
    private readonly cfg: SqlConnectConfig,
    private readonly defaultDb: string | undefined,
  ) {}

  private checkName(name: string): void {
    if (!DB_NAME_RE.test(name)) throw new Error(`database name "${name}" is not allowed: use letters, digits, "_", "$" or "-" (at most 64 characters)`);
  }

  async createDatabase(name: string): Promise<'created' | 'exists'> {
    this.checkName(name);
    const c = await connectMysql(this.cfg, this.defaultDb ?? null);
    try {
      const [rows] = await c.query(`SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, [name]);
      if ((rows as unknown[]).length > 0) return 'exists';
      await c.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4`);
      return 'created';
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  async dropDatabase(name: string): Promise<'dropped' | 'absent'> {
    this.checkName(name);
    const c = await connectMysql(this.cfg, this.defaultDb ?? null);
    try {
      const [rows] = await c.query(`SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, [name]);
      if ((rows as unknown[]).length === 0) return 'absent';
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      return 'dropped';
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}
