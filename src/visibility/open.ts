/** Opens the visibility store of a configured database (tables must exist: the schema tool made them). */
import { openSqlExecutor } from '../persistence';
import type { SqlConnectConfig } from '../persistence/sql-config';
import { SqlVisibilityStore } from './sql-store';

export async function openVisibilityStore(cfg: SqlConnectConfig): Promise<SqlVisibilityStore> {
  return new SqlVisibilityStore(await openSqlExecutor(cfg));
}
