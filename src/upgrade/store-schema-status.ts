/** One store's schema version against the version this release requires, for the upgrade status (never throws). */
import type { SqlConnectConfig } from '../persistence/sql-config';
import { readStoreSchema } from '../schema/compatibility';
import { formatVersion } from '../schema/version';
import { requiredVersion } from '../schema/shipped';
import type { StoreName } from '../schema/versioned-dir';
import type { StoreSchemaState } from './status-types';

export async function readStoreSchemaStatus(store: StoreName, cfg: SqlConnectConfig): Promise<StoreSchemaState> {
  const base = { store, plugin: cfg.pluginName, database: cfg.databaseName, required: formatVersion(requiredVersion(cfg.pluginName, store)) };
  try {
    const r = await readStoreSchema(store, cfg);
    const known = { ...base, database: r.label, current: r.currentText ?? null, minCompatible: r.minCompatibleText || null };
    switch (r.state) {
      case 'missing':
        return { ...known, state: 'missing', error: 'no schema_version row: the schema was not set up' };
      case 'damaged':
        return { ...known, state: 'unknown', error: `schema_version holds "${r.currentText ?? ''}", which is not a version` };
      default:
        return { ...known, state: r.state };
    }
  } catch (err) {
    return { ...base, current: null, minCompatible: null, state: 'unknown', error: `cannot read the schema version: ${(err as Error).message}` };
  }
}
