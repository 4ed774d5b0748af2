/** The postgres12 plugin as the registry (../plugins.ts) sees it. */
import { DEFAULT_MAX_CONNS } from '../sql-config';
import type { SqlPlugin } from '../sql/plugin';
import { PooledExecutor } from '../sql/pooled-executor';
import { PostgresAdminDB, PostgresDatabaseAdmin } from './admin';
import { postgresDialect } from './dialect';
import { createPgPool, pgPoolDriver } from './pool';

export const postgresPlugin: SqlPlugin = {
  name: 'postgres12',
  dialect: postgresDialect,
  aliases: {
    postgres: 'plugin "postgres" means "postgres12" here (PostgreSQL 12 and later; Temporal retired the 9.6 plugin in 1.24)',
    postgres12_pgx: 'plugin "postgres12_pgx" means "postgres12" here (one PostgreSQL driver serves both)',
  },
  openExecutor: async (cfg) =>
    new PooledExecutor(postgresDialect, pgPoolDriver(await createPgPool(cfg)), { maxConns: cfg.maxConns ?? DEFAULT_MAX_CONNS, groupCommit: true }),
  openSchemaAdmin: (cfg) => PostgresAdminDB.open(cfg),
  databaseAdmin: (cfg, defaultDb) => new PostgresDatabaseAdmin(cfg, defaultDb),
};
