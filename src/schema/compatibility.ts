/**
 * The server's startup check of both stores' schema versions, done before anything is served.
 * Older than required: refuse, naming the exact temporal-sql-tool command that fixes it. Newer:
 * allowed as long as the database's MinCompatibleVersion still admits this release (so rolling the
 * binary back after a schema upgrade works); otherwise refuse and say which release to run.
 */
import { openSchemaAdmin } from '../persistence/plugins';
import type { SqlConnectConfig } from '../persistence/sql-config';
import { errorMessage } from './errors';
import { requiredVersion, shippedVersionedPath } from './shipped';
import type { StoreName } from './versioned-dir';
import { compareVersions, formatVersion, parseVersion } from './version';

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

export async function checkStoreSchema(store: StoreName, cfg: SqlConnectConfig): Promise<StoreSchemaStatus> {
  const required = requiredVersion(cfg.pluginName, store);
  const update = toolCommand(cfg, `update-schema -d ./${shippedVersionedPath(cfg.pluginName, store)}`);
  let db;
  try {
    db = await openSchemaAdmin(cfg);
  } catch (err) {
    throw new SchemaCompatibilityError(`cannot check the ${store} store's schema: ${errorMessage(err)}`);
  }
  try {
    const stored = await db.readVersion();
    if (!stored) {
      throw new SchemaCompatibilityError(
        `the ${store} store (${db.label}) has no schema yet. Set it up with:\n  ${toolCommand(cfg, 'setup-schema -v 0.0')}\n  ${update}`,
      );
    }
    const current = parseVersion(stored.currVersion);
    if (!current) throw new SchemaCompatibilityError(`the ${store} store (${db.label}) records schema version "${stored.currVersion}", which is not a version; the schema_version table is damaged`);
    const status: StoreSchemaStatus = { store, database: db.label, current: formatVersion(current), minCompatible: stored.minCompatibleVersion, required: formatVersion(required) };
    if (compareVersions(current, required) < 0) {
      throw new SchemaCompatibilityError(
        `the ${store} store (${db.label}) is at schema version ${formatVersion(current)}, but this server needs ${formatVersion(required)}. Upgrade the schema first (the upgrade page's step 1), then start the server again:\n  ${update}`,
      );
    }
    if (compareVersions(current, required) > 0) {
      const minCompat = parseVersion(stored.minCompatibleVersion);
      if (minCompat && compareVersions(minCompat, required) > 0) {
        throw new SchemaCompatibilityError(
          `the ${store} store (${db.label}) is at schema version ${formatVersion(current)}, which is compatible only with servers that need ${formatVersion(minCompat)} or later; this server needs ${formatVersion(required)}. Run the release that upgraded the schema (or a newer one).`,
        );
      }
    }
    return status;
  } finally {
    await db.close();
  }
}
