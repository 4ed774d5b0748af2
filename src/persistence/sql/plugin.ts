/**
 * The plugin contract: what one SQL plugin folder (sqlite/, postgres/, mysql/) hands to the registry
 * (../plugins.ts). A plugin is its dialect, how to open an executor for the stores, and its schema
 * admin; the stores themselves are the shared ones of this folder.
 */
import type { DatabaseAdmin, SchemaAdminDB } from '../schema-admin';
import type { SqlConnectConfig, SqlPluginName } from '../sql-config';
import type { SqlDialect } from './dialect';
import type { SqlExecutor } from './executor';

export interface SqlPlugin {
  readonly name: SqlPluginName;
  readonly dialect: SqlDialect;
  /** Other names accepted for this plugin, each with the notice to print when it is used. */
  readonly aliases: Readonly<Record<string, string>>;
  /** Opens the connection (SQLite) or pool that one store bundle (or the visibility store) runs on. */
  openExecutor(cfg: SqlConnectConfig): Promise<SqlExecutor>;
  /** The schema tool's view of one database (src/schema). */
  openSchemaAdmin(cfg: SqlConnectConfig): Promise<SchemaAdminDB>;
  /** Creating and dropping databases, through `defaultDb` where the database server needs one to connect to. */
  databaseAdmin(cfg: SqlConnectConfig, defaultDb?: string): DatabaseAdmin;
}
