/**
 * The pg.Pool the stores run on, and its adapter to the shared pooled executor
 * (../sql/pooled-executor.ts). Connection settings (TLS, sslmode, connect attributes) come from
 * pgClientConfig; one probe connection through connectPg first, so an unreachable or misconfigured
 * server fails here with connectPg's explanatory message. BYTEA arrives as a Buffer, BIGINT as a
 * string (read by ../sql/rows.ts).
 */
import { Pool, type PoolClient } from 'pg';
import { type SqlConnectConfig } from '../sql-config';
import type { PoolDriver } from '../sql/pooled-executor';
import type { Row } from '../sql/statement';
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

export const pgPoolDriver = (pool: Pool): PoolDriver<PoolClient> => ({
  connect: () => pool.connect(),
  query: async (client, sql, params) => {
    const r = await client.query(sql, params);
    return { rows: r.rows as Row[], count: r.rowCount ?? 0 };
  },
  release: (client, broken) => client.release(broken),
  end: () => pool.end(),
});
