/**
 * The schemas this release ships (schema/<engine>/<version>/<store>/) and the version of each that
 * the server requires: the newest CurrVersion in the store's versioned directory.
 */
import { join } from 'node:path';
import { packageRoot } from '../common/package-info';
import type { SqlPluginName } from '../persistence/sql-config';
import { type StoreName, type VersionedDir, readVersionedDir } from './versioned-dir';
import { type SchemaVersion } from './version';

export const ENGINE_DIRS: Record<SqlPluginName, string> = {
  sqlite: 'sqlite/v3',
  postgres12: 'postgresql/v12',
  mysql8: 'mysql/v8',
};

/** Path relative to the installation, as written in commands: schema/postgresql/v12/temporal/versioned */
export function shippedVersionedPath(plugin: SqlPluginName, store: StoreName): string {
  return join('schema', ENGINE_DIRS[plugin], store, 'versioned');
}

export function shippedVersionedDir(plugin: SqlPluginName, store: StoreName): VersionedDir {
  return readVersionedDir(join(packageRoot(), shippedVersionedPath(plugin, store)));
}

export function requiredVersion(plugin: SqlPluginName, store: StoreName): SchemaVersion {
  const steps = shippedVersionedDir(plugin, store).steps;
  return steps[steps.length - 1]!.version;
}
