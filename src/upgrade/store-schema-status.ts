/** One store's schema version against the version this release requires, read without changing anything. */
import { openSchemaAdmin } from '../persistence/plugins';
import type { SqlConnectConfig } from '../persistence/sql-config';
import { requiredVersion } from '../schema/shipped';
import { compareVersions, formatVersion, parseVersion } from '../schema/version';
import type { StoreName } from '../schema/versioned-dir';
import type { StoreSchemaState } from './status-types';

export async function readStoreSchemaStatus(store: StoreName, cfg: SqlConnectConfig): Promise<StoreSchemaState> {
  const required = formatVersion(requiredVersion(cfg.pluginName, store));
  const base = { store, plugin: cfg.pluginName, database: cfg.databaseName, required };
  let db;
  try {
    db = await openSchemaAdmin(cfg);
  } catch (err) {
    return { ...base, current: null, minCompatible: null, state: 'unknown', error: `cannot connect: ${(err as Error).message}` };
  }
  try {
    const stored = await db.readVersion();
    if (!stored) return { ...base, database: db.label, current: null, minCompatible: null, state: 'unknown', error: 'no schema_version row: the schema was not set up' };
    const cur = parseVersion(stored.currVersion);
    const req = parseVersion(required)!;
    const state = !cur ? 'unknown' : compareVersions(cur, req) < 0 ? 'behind' : compareVersions(cur, req) > 0 ? 'ahead' : 'ok';
    return { ...base, database: db.label, current: stored.currVersion, minCompatible: stored.minCompatibleVersion || null, state };
  } catch (err) {
    return { ...base, database: db.label, current: null, minCompatible: null, state: 'unknown', error: (err as Error).message };
  } finally {
    await db.close();
  }
}
