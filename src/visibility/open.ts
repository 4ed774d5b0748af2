/** Opens the visibility store of a configured database (tables must exist: the schema tool made them). */
import type { SqlConnectConfig } from '../persistence/sql-config';
import { MysqlVisibilityStore } from './mysql-store';
import { PostgresVisibilityStore } from './postgres-store';
import { SqliteVisibilityStore } from './sqlite-store';
import type { VisibilityStore } from './store';

export async function openVisibilityStore(cfg: SqlConnectConfig): Promise<VisibilityStore> {
  switch (cfg.pluginName) {
    case 'sqlite':
      return SqliteVisibilityStore.open(cfg.databaseName);
    case 'postgres12':
      return PostgresVisibilityStore.open(cfg);
    case 'mysql8':
      return MysqlVisibilityStore.open(cfg);
  }
}
