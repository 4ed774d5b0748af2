/**
 * The registry of SQL plugins: their names, aliases, and everything opened per plugin (the stores'
 * executor, the schema admin, the database admin), replacing a switch in each of those places. Each
 * plugin folder describes itself in its plugin.ts; the list below is the registration, explicit so
 * that no import order decides which plugins exist. `postgres` and `mysql` (the names on Temporal's
 * upgrade page, retired by Temporal in 1.24) are aliases of `postgres12` and `mysql8`, with a notice.
 */
import type { DatabaseAdmin, SchemaAdminDB } from './schema-admin';
import { mysqlPlugin } from './mysql/plugin';
import { postgresPlugin } from './postgres/plugin';
import type { SqlConnectConfig, SqlPluginName } from './sql-config';
import type { SqlExecutor } from './sql/executor';
import type { ExecutorOptions, SqlPlugin } from './sql/plugin';
import { sqlitePlugin } from './sqlite/plugin';

const PLUGINS: Readonly<Record<SqlPluginName, SqlPlugin>> = { sqlite: sqlitePlugin, postgres12: postgresPlugin, mysql8: mysqlPlugin };

export const PLUGIN_NAMES: readonly SqlPluginName[] = Object.values(PLUGINS).map((p) => p.name);

const ALIASES: ReadonlyMap<string, { plugin: SqlPluginName; note: string }> = new Map(
  Object.values(PLUGINS).flatMap((p) => Object.entries(p.aliases).map(([alias, note]) => [alias, { plugin: p.name, note }] as const)),
);

export class UnknownPluginError extends Error {
  override name = 'UnknownPluginError';
}

export function resolvePlugin(name: string): { plugin: SqlPluginName; note?: string } {
  if ((PLUGIN_NAMES as readonly string[]).includes(name)) return { plugin: name as SqlPluginName };
  const alias = ALIASES.get(name);
  if (alias) return alias;
  throw new UnknownPluginError(`unknown plugin "${name}": use one of ${PLUGIN_NAMES.join(', ')} (or the aliases ${[...ALIASES.keys()].join(', ')})`);
}

export function sqlPlugin(name: SqlPluginName): SqlPlugin {
  return PLUGINS[name];
}

/** The connection or pool a store bundle or the visibility store runs on (tables must exist). */
export function openSqlExecutor(cfg: SqlConnectConfig, options?: ExecutorOptions): Promise<SqlExecutor> {
  return sqlPlugin(cfg.pluginName).openExecutor(cfg, options);
}

export function openSchemaAdmin(cfg: SqlConnectConfig): Promise<SchemaAdminDB> {
  return sqlPlugin(cfg.pluginName).openSchemaAdmin(cfg);
}

export function databaseAdmin(cfg: SqlConnectConfig, defaultDb?: string): DatabaseAdmin {
  return sqlPlugin(cfg.pluginName).databaseAdmin(cfg, defaultDb);
}
