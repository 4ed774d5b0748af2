/**
 * One store's schema version against the one this release requires, read and classified: older
 * (the server refuses), equal, newer and still admitted by the database's MinCompatibleVersion (so
 * rolling the binary back after a schema upgrade works), or too new. The start-up refusal built on
 * it, with the commands that fix it, is src/upgrade/schema-check.ts.
 */
import { openSchemaAdmin } from '../persistence/plugins';
import { BOOKKEEPING_TABLES } from '../persistence/schema-admin';
import type { SqlConnectConfig } from '../persistence/sql-config';
import { requiredVersion } from './shipped';
import type { StoreName } from './versioned-dir';
import { compareVersions, parseVersion, type SchemaVersion } from './version';

export class SchemaCompatibilityError extends Error {
  override name = 'SchemaCompatibilityError';
}

export interface StoreSchemaStatus {
  readonly store: StoreName;
  readonly database: string;
  readonly current: string;
  readonly minCompatible: string;
  readonly required: string;
}

/**
 * Where a store's schema stands against what this release requires: "ok", "behind" (the server
 * refuses), "ahead" (newer, and its MinCompatibleVersion still admits this release), "incompatible"
 * (newer, and it does not), "missing" (no schema_version row) or "damaged" (not a version).
 */
export type SchemaState = 'ok' | 'behind' | 'ahead' | 'incompatible' | 'missing' | 'damaged';

export interface StoreSchemaReading {
  readonly store: StoreName;
  /** the database, as messages name it */
  readonly label: string;
  readonly required: SchemaVersion;
  readonly currentText: string | undefined;
  readonly minCompatibleText: string | undefined;
  readonly state: SchemaState;
  /** With state "missing": how many tables the database holds anyway (made without the schema tool). */
  readonly tablesWithoutVersion?: number;
}

/** Reads one store's schema_version and classifies it; connection and read errors are thrown. */
export async function readStoreSchema(store: StoreName, cfg: SqlConnectConfig): Promise<StoreSchemaReading> {
  const required = requiredVersion(cfg.pluginName, store);
  const db = await openSchemaAdmin(cfg);
  try {
    const stored = await db.readVersion();
    const base = { store, label: db.label, required, currentText: stored?.currVersion, minCompatibleText: stored?.minCompatibleVersion };
    if (!stored) return { ...base, state: 'missing', tablesWithoutVersion: (await db.listTables()).filter((t) => !BOOKKEEPING_TABLES.includes(t)).length };
    const current = parseVersion(stored.currVersion);
    if (!current) return { ...base, state: 'damaged' };
    const c = compareVersions(current, required);
    if (c < 0) return { ...base, state: 'behind' };
    if (c === 0) return { ...base, state: 'ok' };
    const minCompat = parseVersion(stored.minCompatibleVersion);
    return { ...base, state: minCompat && compareVersions(minCompat, required) > 0 ? 'incompatible' : 'ahead' };
  } finally {
    await db.close();
  }
}
