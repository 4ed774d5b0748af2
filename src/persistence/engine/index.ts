/**
 * Opens the engine stores for a configured database. One implementation per plugin (sqlite,
 * postgres12, mysql8), all of the same interfaces (src/persistence/engine/interfaces.ts).
 */
import type { SqlConnectConfig } from '../sql-config';
import type { PersistenceBundle } from './interfaces';
import { SqlitePersistence, openSqlite, type SqliteSynchronous } from './sqlite/sqlite-persistence';
import { openPostgresPersistence } from './postgres/postgres-persistence';
import { openMysqlPersistence } from './mysql/mysql-persistence';

export * from './interfaces';
export * from './blob';

export async function openPersistence(config: SqlConnectConfig): Promise<PersistenceBundle> {
  switch (config.pluginName) {
    case 'sqlite':
      // connectAttributes.synchronous: FULL (default) or NORMAL; both with WAL (see sqlite-persistence.ts)
      return new SqlitePersistence(openSqlite(config.databaseName, (config.connectAttributes?.synchronous?.toUpperCase() ?? 'FULL') as SqliteSynchronous));
    case 'postgres12':
      return openPostgresPersistence(config);
    case 'mysql8':
      return openMysqlPersistence(config);
  }
}
