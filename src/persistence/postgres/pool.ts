/**
 * The pg.Pool the stores run on, and its adapter to the shared pooled executor
 * (../sql/pooled-executor.ts). Connection settings (TLS, sslmode, connect attributes) come from
 * pgClientConfig; one probe connection through connectPg first, so an unreachable or misconfigured
 * server fails here with connectPg's explanatory message. BYTEA arrives as a Buffer, BIGINT as a
 * string (read by ../sql/rows.ts).
 */
import { Pool, type PoolClient } from 'pg';
import { DEFAULT_MAX_CONNS, type SqlConnectConfig } from '../sql-config';
import type { PoolDriver } from '../sql/pooled-executor';
import type { Row } from '../sql/statement';
import { connectPg, pgClientConfig } from './connect';

export interface PgPoolOptions {
  /** maximum open connections (default: the config's maxConns, else DEFAULT_MAX_CONNS) */
  max?: number;
  /** close connections idle this long (default 30 s) */
  idleTimeoutMillis?: number;
}

export async function createPgPool(cfg: SqlConnectConfig, options: PgPoolOptions = {}, database = cfg.databaseName): Promise<Pool> {
  const probe = await connectPg(cfg, database);
  await probe.end().catch(() => undefined);
  const pool = new Pool({
    ...pgClientConfig(cfg, database),
    max: options.max ?? cfg.maxConns ?? DEFAULT_MAX_CONNS,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000,
  });
  pool.on('error', () => {
    /* an idle client died; the pool drops it and the next query reports any lasting problem */
  });
  return pool;
}

/** Statement texts prepared under a name (the stores' texts are a fixed set; beyond this they run unnamed). */
const MAX_PREPARED = 512;

/**
 * Statements with parameters run as named prepared statements: each connection parses and plans a
 * text once and then only binds and executes it. Texts without parameters (BEGIN, COMMIT) run as
 * they are, and so does SELECT * (see below).
 */
export const pgPoolDriver = (pool: Pool): PoolDriver<PoolClient> => {
  const names = new Map<string, string>();
  const nameOf = (sql: string): string | undefined => {
    let n = names.get(sql);
    if (n === undefined && names.size < MAX_PREPARED) names.set(sql, (n = `tts_${names.size + 1}`));
    return n;
  };
  return {
    connect: () => pool.connect(),
    query: async (client, sql, params) => {
      // SELECT * stays unnamed: a column added by a schema update while the server runs would make PostgreSQL refuse the cached plan
      const name = params.length > 0 && !sql.includes('SELECT *') ? nameOf(sql) : undefined;
      const r = name ? await client.query({ name, text: sql, values: params }) : await client.query(sql, params);
      return { rows: r.rows as Row[], count: r.rowCount ?? 0 };
    },
    release: (client, broken) => client.release(broken),
    end: () => pool.end(),
  };
};
