/**
 * PostgreSQL side of the schema engine: one transaction per version (PostgreSQL's DDL is
 * transactional), a session advisory lock keyed by database name, and the engine's error codes and
 * catalog queries. The bookkeeping tables are written by SqlSchemaAdmin.
 */
import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import { type DatabaseAdmin, SCHEMA_LOCK_NAME } from '../schema-admin';
import { type Row, SqlSchemaAdmin, bookkeepingDialect, serverLabel } from '../sql-schema-admin';
import { type SqlConnectConfig } from '../sql-config';
import { connectPg } from './connect';

const DB_NAME_RE = /^[A-Za-z0-9_$-]{1,63}$/;
// duplicate_table, duplicate_column, duplicate_object, duplicate_schema
const ALREADY_APPLIED = new Set(['42P07', '42701', '42710', '42P06']);

function lockKey(db: string): string {
  // A signed 64-bit key from the database name: the same for every run against this database.
  return BigInt.asIntN(64, BigInt('0x' + createHash('md5').update(`${SCHEMA_LOCK_NAME}:${db}`).digest('hex').slice(0, 16))).toString();
}

export class PostgresAdminDB extends SqlSchemaAdmin {
  readonly plugin = 'postgres12' as const;
  readonly transactionalDdl = true;
  protected readonly dialect = bookkeepingDialect({ utcNow: "(now() AT TIME ZONE 'UTC')" });
  private locked = false;

  private constructor(
    private readonly client: Client,
    cfg: SqlConnectConfig,
  ) {
    super(cfg.databaseName, serverLabel(cfg));
  }

  static async open(cfg: SqlConnectConfig): Promise<PostgresAdminDB> {
    return new PostgresAdminDB(await connectPg(cfg), cfg);
  }

  protected async rows(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    let n = 0;
    return (
      await this.client.query<Row>(
        sql.replace(/\?/g, () => `$${++n}`),
        params as unknown[],
      )
    ).rows;
  }

  async exec(sql: string): Promise<void> {
    await this.client.query(sql);
  }

  async listTables(): Promise<string[]> {
    return (await this.rows(`SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`)).map((x) => String(x.t));
  }

  async listColumns(): Promise<Map<string, string[]>> {
    const r = await this.rows(
      `SELECT c.relname AS t, a.attname AS c FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum`,
    );
    const out = new Map<string, string[]>((await this.listTables()).map((t) => [t, []]));
    for (const x of r) out.get(String(x.t))?.push(String(x.c));
    return out;
  }

  requiresAutocommit(sql: string): boolean {
    return /^\s*((CREATE|DROP)\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY|REINDEX\b.*\bCONCURRENTLY|VACUUM\b)/is.test(sql);
  }

  commitsWithCheckpoint(sql: string): boolean {
    return !this.requiresAutocommit(sql);
  }

  async invalidIndexes(): Promise<string[]> {
    const r = await this.rows(
      `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid AND n.nspname = current_schema() ORDER BY 1`,
    );
    return r.map((x) => String(x.name));
  }

  isAlreadyAppliedError(err: unknown): boolean {
    return ALREADY_APPLIED.has(String((err as { code?: string }).code));
  }

  async lock(onWait: (holder: string) => void): Promise<void> {
    const key = lockKey(this.dbName);
    const got = await this.rows(`SELECT pg_try_advisory_lock(?::bigint) AS ok`, [key]);
    if (got[0]?.ok !== true) {
      const h = await this.rows(
        `SELECT a.pid, a.application_name AS app, a.client_addr::text AS addr, a.backend_start AS since
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND ((l.classid::bigint << 32) | l.objid::bigint) = ?::bigint`,
        [key],
      ).catch(() => [] as Row[]);
      const r = h[0] as { pid: number; app: string; addr: string | null; since: Date | null } | undefined;
      onWait(
        r
          ? `PostgreSQL backend pid ${r.pid} (${r.app || 'unknown application'}${r.addr ? ` from ${r.addr}` : ''}${r.since ? `, connected since ${r.since.toISOString()}` : ''})`
          : 'another session',
      );
      await this.rows(`SELECT pg_advisory_lock(?::bigint)`, [key]);
    }
    this.locked = true;
  }

  async unlock(): Promise<void> {
    if (!this.locked) return;
    await this.rows(`SELECT pg_advisory_unlock(?::bigint)`, [lockKey(this.dbName)]);
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
