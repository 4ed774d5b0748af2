/**
 * Opens the engine stores for a configured database. One implementation per plugin; SQLite today,
 * postgres12 and mysql8 implement the same interfaces (src/persistence/engine/interfaces.ts).
 */
import type { SqlConnectConfig } from '../sql-config';
import type { PersistenceBundle } from './interfaces';
import { SqlitePersistence, openSqlite } from './sqlite/sqlite-persistence';

export * from './interfaces';
export * from './blob';

export async function openPersistence(config: SqlConnectConfig): Promise<PersistenceBundle> {
  switch (config.pluginName) {
    case 'sqlite':
      return new SqlitePersistence(openSqlite(config.databaseName));
    case 'postgres12':
    case 'mysql8':
      throw new Error(`persistence plugin ${config.pluginName} is not implemented by the engine yet`);
  }
}
