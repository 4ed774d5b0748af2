/**
 * The persistence layer's surface: the store contracts (interfaces.ts), blobs and their formats
 * (blob.ts), and `openPersistence`, which opens a configured database as the bundle of stores, all
 * of them the shared SQL stores (sql/) over the plugin's executor (plugins.ts). The visibility store
 * (src/visibility) runs on an executor of its own from `openSqlExecutor`.
 */
import { openSqlExecutor } from './plugins';
import type { SqlConnectConfig } from './sql-config';
import type { PersistenceBundle } from './interfaces';
import { SqlPersistence } from './sql/persistence';

export * from './interfaces';
export * from './blob';
export { openSqlExecutor } from './plugins';
export type { SqlDialect, Assignment, UpsertCondition } from './sql/dialect';
export type { SqlExecutor } from './sql/executor';
export { stmt, type Program, type Row, type Statement } from './sql/statement';

export async function openPersistence(config: SqlConnectConfig): Promise<PersistenceBundle> {
  return new SqlPersistence(await openSqlExecutor(config, { multiStatementBatches: true }));
}
