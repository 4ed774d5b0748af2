/**
 * The SQL plugins and their names. `postgres` and `mysql` (the names on Temporal's upgrade page,
 * retired by Temporal in 1.24) are accepted as aliases of `postgres12` and `mysql8`, with a notice.
 */
import type { DatabaseAdmin, SchemaAdminDB } from './schema-admin';
import { MysqlAdminDB, MysqlDatabaseAdmin } from './mysql/admin';
import { PostgresAdminDB, PostgresDatabaseAdmin } from './postgres/admin';
import { type SqlConnectConfig, type SqlPluginName } from './sql-config';
import { SqliteAdminDB, SqliteDatabaseAdmin } from './sqlite/admin';

export const PLUGIN_NAMES: readonly SqlPluginName[] = ['sqlite', 'postgres12', 'mysql8'];

const ALIASES: Record<string, { plugin: SqlPluginName; note: string }> = {
  postgres: { plugin: 'postgres12', note: 'plugin "postgres" means "postgres12" here (PostgreSQL 12 and later; Temporal retired the 9.6 plugin in 1.24)' },
  postgres12_pgx: { plugin: 'postgres12', note: 'plugin "postgres12_pgx" means "postgres12" here (one PostgreSQL driver serves both)' },
  mysql: { plugin: 'mysql8', note: 'plugin "mysql" means "mysql8" here (MySQL 8.0 and later; Temporal retired the 5.7 plugin in 1.24)' },
};

export class UnknownPluginError extends Error {
  override name = 'UnknownPluginError';
}

export function resolvePlugin(name: string): { plugin: SqlPluginName; note?: string } {
  if ((PLUGIN_NAMES as readonly string[]).includes(name)) return { plugin: name as SqlPluginName };
  const alias = ALIASES[name];
  if (alias) return alias;
  throw new UnknownPluginError(`unknown plugin "${name}": use one of ${PLUGIN_NAMES.join(', ')} (or the aliases ${Object.keys(ALIASES).join(', ')})`);
}

export async function openSchemaAdmin(cfg: SqlConnectConfig): Promise<SchemaAdminDB> {
  switch (cfg.pluginName) {
    case 'sqlite':
      return SqliteAdminDB.open(cfg);
    case 'postgres12':
      return PostgresAdminDB.open(cfg);
    case 'mysql8':
      return MysqlAdminDB.open(cfg);
  }
}

export function databaseAdmin(cfg: SqlConnectConfig, defaultDb?: string): DatabaseAdmin {
  switch (cfg.pluginName) {
    case 'sqlite':
      return new SqliteDatabaseAdmin();
    case 'postgres12':
      return new PostgresDatabaseAdmin(cfg, defaultDb);
    case 'mysql8':
      return new MysqlDatabaseAdmin(cfg, defaultDb);
  }
}
