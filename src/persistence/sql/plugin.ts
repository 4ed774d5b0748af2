/**
 * The plugin contract: what one SQL plugin folder (sqlite/, postgres/, mysql/) hands to the registry
 * (../plugins.ts). A plugin is its dialect, how to open an executor for the stores, and its schema
 * admin; the stores themselves are the shared ones of this folder.
 */
import type { DatabaseAdmin, SchemaAdminDB } from '../schema-admin';
import type { SqlConnectConfig, SqlPluginName } from '../sql-config';
import type { SqlDialect } from './dialect';
import type { SqlExecutor } from './executor';

export interface ExecutorOptions {
  /**
   * Several statements of a program in one round trip where the driver can (MySQL's
   * multipleStatements). Only the store bundle asks for it, whose SQL is all written here: the
   * visibility store runs SQL compiled from users' List Filters, and a connection that accepts
   * several statements in one text would turn any escaping mistake there into arbitrary SQL.
   */
  readonly multiStatementBatches?: boolean;
}

export interface SqlPlugin {
  readonly name: SqlPluginName;
  readonly dialect: SqlDialect;
  /** Other names accepted for this plugin, each with the notice to print when it is used. */
  readonly aliases: Readonly<Record<string, string>>;
  /** Opens the connection (SQLite) or pool that one store bundle (or the visibility store) runs on. */
  openExecutor(cfg: SqlConnectConfig, options?: ExecutorOptions): Promise<SqlExecutor>;
  /** The schema tool's view of one database (src/schema). */
  openSchemaAdmin(cfg: SqlConnectConfig): Promise<SchemaAdminDB>;
  /** Creating and dropping databases, through `defaultDb` where the database server needs one to connect to. */
  databaseAdmin(cfg: SqlConnectConfig, defaultDb?: string): DatabaseAdmin;
}
