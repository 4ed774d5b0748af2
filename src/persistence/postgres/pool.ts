/**
 * The pg.Pool the stores run on, and its adapter to the shared pooled executor
 * (../sql/pooled-executor.ts). Connection settings (TLS, sslmode, connect attributes) come from
 * pgClientConfig; one probe connection through connectPg first, so an unreachable or misconfigured
 * server fails here with connectPg's explanatory message. BYTEA arrives as a Buffer, BIGINT as a
 * string (read by ../sql/rows.ts).
 */
import { Pool, type QueryResult } from 'pg';
import { type SqlConnectConfig } from '../sql-config';
import type { PoolDriver } from '../sql/pooled-executor';
import type { Result, Row } from '../sql/statement';
import { connectPg, pgClientConfig } from './connect';

export interface PgPoolOptions {
  /** maximum open connections (default 10) */
  max?: number;
  /** close connections idle this long (default 30 s) */
  idleTimeoutMillis?: number;
}

export async function createPgPool(cfg: SqlConnectConfig, options: PgPoolOptions = {}, database = cfg.databaseName): Promise<Pool> {
  const probe = await connectPg(cfg, database);
  await probe.end().catch(() => undefined);
  const pool = new Pool({ ...pgClientConfig(cfg, database), max: options.max ?? 10, idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000 });
  pool.on('error', () => {
    /* an idle client died; the pool drops it and the next query reports any lasting problem */
  });
  return pool;
}

const result = (r: QueryResult): Result => ({ rows: r.rows as Row[], count: r.rowCount ?? 0 });
const params = (values: readonly unknown[]): unknown[] => values.map((v) => (v === undefined ? null : v));

export function pgPoolDriver(pool: Pool): PoolDriver {
  return {
    query: async (sql, values) => result(await pool.query(sql, params(values))),
    async connect() {
      const client = await pool.connect();
      return {
        query: async (sql, values) => result(await client.query(sql, params(values))),
        release: (broken) => client.release(broken),
      };
    },
    end: () => pool.end(),
  };
}
