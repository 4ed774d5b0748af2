/** The sqlite plugin as the registry (../plugins.ts) sees it. */
import type { SqlPlugin } from '../sql/plugin';
import { SqliteAdminDB, SqliteDatabaseAdmin } from './admin';
import { connectSqliteConfig } from './connect';
import { sqliteDialect } from './dialect';
import { SqliteExecutor } from './executor';

export const sqlitePlugin: SqlPlugin = {
  name: 'sqlite',
  dialect: sqliteDialect,
  aliases: {},
  openExecutor: async (cfg) => new SqliteExecutor(connectSqliteConfig(cfg)),
  openSchemaAdmin: (cfg) => SqliteAdminDB.open(cfg),
  databaseAdmin: () => new SqliteDatabaseAdmin(),
};
