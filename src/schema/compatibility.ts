/**
 * The server's startup check of both stores' schema versions, done before anything is served.
 * Older than required: refuse, naming the exact temporal-sql-tool command that fixes it. Newer:
 * allowed as long as the database's MinCompatibleVersion still admits this release (so rolling the
 * binary back after a schema upgrade works); otherwise refuse and say which release to run.
 */
import { openSchemaAdmin } from '../persistence/plugins';
import { BOOKKEEPING_TABLES } from '../persistence/schema-admin';
import type { SqlConnectConfig } from '../persistence/sql-config';
import { errorMessage } from './errors';
import { requiredVersion, shippedVersionedPath } from './shipped';
import type { StoreName } from './versioned-dir';
import { compareVersions, formatVersion, parseVersion, type SchemaVersion } from './version';

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

/** The temporal-sql-tool command line for a config, as an operator would type it. */
export function toolCommand(cfg: SqlConnectConfig, args: string): string {
  const parts = ['temporal-sql-tool'];
  if (cfg.pluginName !== 'sqlite') {
    if (cfg.tls?.enabled) {
      parts.push('--tls');
      if (cfg.tls.certFile) parts.push(`--tls-cert-file ${cfg.tls.certFile}`);
      if (cfg.tls.keyFile) parts.push(`--tls-key-file ${cfg.tls.keyFile}`);
      if (cfg.tls.caFile) parts.push(`--tls-ca-file ${cfg.tls.caFile}`);
    }
    parts.push(`--ep ${cfg.host} -p ${cfg.port}`);
    if (cfg.user) parts.push(`-u ${cfg.user}`);
    if (cfg.password) parts.push('--pw <password>');
  }
  parts.push(`--pl ${cfg.pluginName} --db ${cfg.databaseName} ${args}`);
  return parts.join(' ');
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

export async function checkStoreSchema(store: StoreName, cfg: SqlConnectConfig): Promise<StoreSchemaStatus> {
  let r: StoreSchemaReading;
  try {
    r = await readStoreSchema(store, cfg);
  } catch (err) {
    throw new SchemaCompatibilityError(`cannot check the ${store} store's schema: ${errorMessage(err)}`);
  }
  const required = formatVersion(r.required);
  const update = toolCommand(cfg, `update-schema -d ./${shippedVersionedPath(cfg.pluginName, store)}`);
  const current = r.currentText !== undefined ? parseVersion(r.currentText) : undefined;
  switch (r.state) {
    case 'missing':
      if (r.tablesWithoutVersion) {
        throw new SchemaCompatibilityError(
          `the ${store} store (${r.label}) has ${r.tablesWithoutVersion} table(s) but no schema version: it was made without the schema tool (Temporal's dev server does that). Record the version its tables are at (the tool checks them first, and names the version they match when it is another), then upgrade:\n  ${toolCommand(cfg, `setup-schema --baseline X.Y --schema-dir ./${shippedVersionedPath(cfg.pluginName, store)}`)}\n  ${update}`,
        );
      }
      throw new SchemaCompatibilityError(`the ${store} store (${r.label}) has no schema yet. Set it up with:\n  ${toolCommand(cfg, 'setup-schema -v 0.0')}\n  ${update}`);
    case 'damaged':
      throw new SchemaCompatibilityError(`the ${store} store (${r.label}) records schema version "${r.currentText ?? ''}", which is not a version; the schema_version table is damaged`);
    case 'behind':
      throw new SchemaCompatibilityError(
        `the ${store} store (${r.label}) is at schema version ${formatVersion(current!)}, but this server needs ${required}. Upgrade the schema first (the upgrade page's step 1), then start the server again:\n  ${update}`,
      );
    case 'incompatible':
      throw new SchemaCompatibilityError(
        `the ${store} store (${r.label}) is at schema version ${formatVersion(current!)}, which is compatible only with servers that need ${formatVersion(parseVersion(r.minCompatibleText!)!)} or later; this server needs ${required}. Run the release that upgraded the schema (or a newer one).`,
      );
    case 'ok':
    case 'ahead':
      return { store, database: r.label, current: formatVersion(current!), minCompatible: r.minCompatibleText ?? '', required };
  }
}
