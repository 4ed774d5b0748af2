/**
 * The mysql2/promise pool the stores run on (MySQL 8; MariaDB 10.11 in tests), and its adapter to the
 * shared pooled executor (../sql/pooled-executor.ts). Same options as connectMysql (TLS, BIGINT as
 * strings), connect attributes as session variables applied to every new pooled connection. One
 * probe connection through connectMysql first, so a misconfiguration fails here with its
 * explanatory message. Writes report matched rows (mysql2 sets CLIENT_FOUND_ROWS). Pooled sessions run
 * at READ COMMITTED (see createMysqlPool).
 */
import mysql, { type PoolConnection, type ResultSetHeader } from 'mysql2/promise';
import { DEFAULT_MAX_CONNS, type SqlConnectConfig } from '../sql-config';
import type { PoolDriver } from '../sql/pooled-executor';
import type { Row } from '../sql/statement';
import { connectMysql, mysqlConnectionOptions, sessionVariables } from './connect';

export interface MysqlPoolOptions {
  /** maximum open connections (default: the config's maxConns, else DEFAULT_MAX_CONNS) */
  connectionLimit?: number;
  /** several statements in one query text (the store bundle's batches; see ExecutorOptions) */
  multipleStatements?: boolean;
}

export async function createMysqlPool(cfg: SqlConnectConfig, options: MysqlPoolOptions = {}, database: string = cfg.databaseName): Promise<mysql.Pool> {
  // validates connect attributes and reachability, with connectMysql's error messages
  const probe = await connectMysql(cfg, database);
  await probe.end().catch(() => undefined);
  const attrs = sessionVariables(cfg);
  const pool = mysql.createPool({
    ...mysqlConnectionOptions(cfg, database),
    // a program's independent writes go in one round trip (queryBatch); every value still travels
    // as an escaped parameter, never spliced text. Off unless asked for (ExecutorOptions).
    multipleStatements: options.multipleStatements === true,
    connectionLimit: options.connectionLimit ?? cfg.maxConns ?? DEFAULT_MAX_CONNS,
    waitForConnections: true,
  });
  // The core connection queues commands in order: these run before the first query of the borrower.
  pool.on('connection', (conn: { query(sql: string, values: unknown[], cb: (err: unknown) => void): void }) => {
    for (const [k, v] of attrs) conn.query(`SET SESSION ${k} = ?`, [v], () => undefined);
    // READ COMMITTED (as on PostgreSQL), last so no connection attribute overrides it: every
    // statement sees the latest committed rows, which group commit needs (a program later in a group
    // must not read the snapshot an earlier one began); the reads that decide a write lock anyway.
    conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', [], () => undefined);
  });
  return pool;
}

/** A SELECT's rows, or the matched row count of a write. */
export const mysqlPoolDriver = (pool: mysql.Pool, multipleStatements = false): PoolDriver<PoolConnection> => ({
  ...(multipleStatements ? { queryBatch } : {}),
  connect: () => pool.getConnection(),
  async query(conn, sql, params) {
    const [r] = await conn.query(sql, params);
    return Array.isArray(r) ? { rows: r as Row[], count: r.length } : { rows: [], count: (r as ResultSetHeader).affectedRows };
  },
  release: (conn, broken) => (broken ? conn.destroy() : conn.release()),
  end: () => pool.end(),
});

/** A batch as one multi-statement query: the matched rows of all its writes. */
async function queryBatch(conn: PoolConnection, statements: readonly { sql: string; params: unknown[] }[]): Promise<{ rows: Row[]; count: number }> {
  const [r] = await conn.query(
    statements.map((s) => s.sql).join('; '),
    statements.flatMap((s) => s.params),
  );
  const headers = (Array.isArray(r) ? r : [r]) as ResultSetHeader[];
  return { rows: [], count: headers.reduce((n, h) => n + (h.affectedRows ?? 0), 0) };
}
