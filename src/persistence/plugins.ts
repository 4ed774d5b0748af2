/**
 * The registry of SQL plugins: their names, aliases, and everything opened per plugin (the stores'
 * executor, the schema admin, the database admin), replacing a switch in each of those places. Each
 * plugin folder describes itself in its plugin.ts; the list below is the registration, explicit so
 * that no import order decides which plugins exist. `postgres` and `mysql` (the names on Temporal's
 * upgrade page, retired by Temporal in 1.24) are aliases of `postgres12` and `mysql8`, with a notice.
 *
 * A plugin's module (and with it its driver: pg, mysql2, better-sqlite3) is loaded only when that
 * plugin is first used, so that a server on SQLite never holds the PostgreSQL and MySQL drivers in
 * memory. Names and aliases are listed here so that resolving a name loads nothing.
 */
import type { DatabaseAdmin, SchemaAdminDB } from './schema-admin';
import type { SqlConnectConfig, SqlPluginName } from './sql-config';
import type { SqlExecutor } from './sql/executor';
import type { ExecutorOptions, SqlPlugin } from './sql/plugin';

interface PluginEntry {
  /** Other names accepted for this plugin, each with the notice to print when it is used (as in the plugin's own `aliases`). */
  aliases: Readonly<Record<string, string>>;
  load(): Promise<SqlPlugin>;
}

const PLUGINS: Readonly<Record<SqlPluginName, PluginEntry>> = {
  sqlite: { aliases: {}, load: async () => (await import('./sqlite/plugin.js')).sqlitePlugin },
  postgres12: {
    aliases: {
      postgres: 'plugin "postgres" means "postgres12" here (PostgreSQL 12 and later; Temporal retired the 9.6 plugin in 1.24)',
      postgres12_pgx: 'plugin "postgres12_pgx" means "postgres12" here (one PostgreSQL driver serves both)',
    },
    load: async () => (await import('./postgres/plugin.js')).postgresPlugin,
  },
  mysql8: {
    aliases: { mysql: 'plugin "mysql" means "mysql8" here (MySQL 8.0 and later; Temporal retired the 5.7 plugin in 1.24)' },
    load: async () => (await import('./mysql/plugin.js')).mysqlPlugin,
  },
};

export const PLUGIN_NAMES: readonly SqlPluginName[] = Object.keys(PLUGINS) as SqlPluginName[];

const ALIASES: ReadonlyMap<string, { plugin: SqlPluginName; note: string }> = new Map(
  PLUGIN_NAMES.flatMap((name) => Object.entries(PLUGINS[name].aliases).map(([alias, note]) => [alias, { plugin: name, note }] as const)),
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

/** The plugin of this name, its module loaded on first use. */
export function sqlPlugin(name: SqlPluginName): Promise<SqlPlugin> {
  const entry = PLUGINS[name];
  if (!entry) return Promise.reject(new UnknownPluginError(`unknown plugin "${String(name)}": use one of ${PLUGIN_NAMES.join(', ')}`));
  return entry.load();
}

/** The connection or pool a store bundle or the visibility store runs on (tables must exist). */
export async function openSqlExecutor(cfg: SqlConnectConfig, options?: ExecutorOptions): Promise<SqlExecutor> {
  return (await sqlPlugin(cfg.pluginName)).openExecutor(cfg, options);
}

export async function openSchemaAdmin(cfg: SqlConnectConfig): Promise<SchemaAdminDB> {
  return (await sqlPlugin(cfg.pluginName)).openSchemaAdmin(cfg);
}

export async function databaseAdmin(cfg: SqlConnectConfig, defaultDb?: string): Promise<DatabaseAdmin> {
  return (await sqlPlugin(cfg.pluginName)).databaseAdmin(cfg, defaultDb);
}
