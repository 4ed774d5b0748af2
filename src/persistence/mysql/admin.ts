/**
 * MySQL side of the schema engine. MySQL commits every DDL statement on its own, so a version cannot
 * be applied atomically: instead each statement that took effect is checkpointed in
 * schema_update_checkpoint, and a re-run after a crash resumes after the last checkpoint (the one DDL
 * statement that may have run without its checkpoint is retried, and "already exists" from it is
 * accepted). A data change (INSERT, UPDATE, DELETE, REPLACE) is transactional in InnoDB, so it
 * commits together with its checkpoint and can never be applied twice. Two runs are kept apart by
 * GET_LOCK. The bookkeeping tables are written by SqlSchemaAdmin.
 */
import { createHash } from 'node:crypto';
import type mysql from 'mysql2/promise';
import { type DatabaseAdmin, SCHEMA_LOCK_NAME } from '../schema-admin';
import { type Row, SqlSchemaAdmin, bookkeepingDialect, serverLabel } from '../sql-schema-admin';
import { type SqlConnectConfig } from '../sql-config';
import { connectMysql } from './connect';

const DB_NAME_RE = /^[A-Za-z0-9_$-]{1,64}$/;
// ER_TABLE_EXISTS_ERROR, ER_DUP_FIELDNAME, ER_DUP_KEYNAME, ER_CANT_DROP_FIELD_OR_KEY, ER_DB_CREATE_EXISTS, ER_BAD_TABLE_ERROR
const ALREADY_APPLIED = new Set([1050, 1060, 1061, 1091, 1007, 1051]);
// Statements InnoDB runs inside a transaction; everything else (DDL) commits implicitly.
const DML_RE = /^\s*(INSERT|UPDATE|DELETE|REPLACE)\b/i;

function lockName(db: string): string {
  // GET_LOCK names are limited to 64 characters.
  return `${SCHEMA_LOCK_NAME}:${createHash('md5').update(db).digest('hex')}`;
}

export class MysqlAdminDB extends SqlSchemaAdmin {
  readonly plugin = 'mysql8' as const;
  readonly transactionalDdl = false;
  protected readonly dialect = bookkeepingDialect({
    begin: 'START TRANSACTION',
    timeType: 'DATETIME(6)',
    tableOptions: ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
    utcNow: 'UTC_TIMESTAMP(6)',
    upsertVersion:
      'ON DUPLICATE KEY UPDATE creation_time = VALUES(creation_time), curr_version = VALUES(curr_version), min_compatible_version = VALUES(min_compatible_version)',
  });
  private locked = false;

  private constructor(
    private readonly conn: mysql.Connection,
    cfg: SqlConnectConfig,
  ) {
    super(cfg.databaseName, serverLabel(cfg));
  }

  static async open(cfg: SqlConnectConfig): Promise<MysqlAdminDB> {
    return new MysqlAdminDB(await connectMysql(cfg), cfg);
  }

  protected async rows(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    const [r] = await this.conn.query(sql, [...params]);
    return Array.isArray(r) ? (r as Row[]) : [];
  }

  async exec(sql: string): Promise<void> {
    await this.conn.query(sql);
  }

  async listTables(): Promise<string[]> {
    const r = await this.rows(`SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1`);
    return r.map((x) => String(x.t));
  }

  async listColumns(): Promise<Map<string, string[]>> {
    const r = await this.rows(
      `SELECT c.TABLE_NAME AS t, c.COLUMN_NAME AS c FROM information_schema.COLUMNS c JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
        WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
    );
    const out = new Map<string, string[]>();
    for (const x of r) {
      const t = String(x.t);
      out.set(t, [...(out.get(t) ?? []), String(x.c)]);
    }
    return out;
  }

  requiresAutocommit(): boolean {
    return false; // every DDL statement auto-commits here anyway
  }

  commitsWithCheckpoint(sql: string): boolean {
    return DML_RE.test(sql);
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
