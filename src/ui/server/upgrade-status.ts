/**
 * What the cluster page shows about upgrades. `UpgradeStatusProvider` is the seam: the upgrade
 * machinery (version history in cluster metadata, the shard-metadata and data rewrites) will
 * provide a full implementation; until then `CurrentUpgradeStatusProvider` reports what exists
 * today: the server version (package.json), each store's schema version (its schema_version table)
 * against the version this release requires, the configured shard count, and rewrites as "not
 * applicable yet".
 */
import type { RewriteProgressView, StoreSchemaStatusView, UpgradeStatusView, VersionHistoryItemView } from '../api-types';
import { packageVersion } from '../../common/package-info';
import { openSchemaAdmin } from '../../persistence/plugins';
import type { SqlConnectConfig } from '../../persistence/sql-config';
import { requiredVersion } from '../../schema/shipped';
import { compareVersions, formatVersion, parseVersion } from '../../schema/version';
import type { StoreName } from '../../schema/versioned-dir';

export type StoreSchemaStatus = StoreSchemaStatusView;
export type RewriteProgress = RewriteProgressView;
export type VersionHistoryItem = VersionHistoryItemView;
export type UpgradeStatus = UpgradeStatusView;

export interface UpgradeStatusProvider {
  /** server version, each store's schema version and required version, shard count, rewrites, version history */
  getUpgradeStatus(): Promise<UpgradeStatus>;
}

export interface CurrentUpgradeStatusOptions {
  stores: { store: StoreName; config: SqlConnectConfig }[];
  numHistoryShards: number;
  /** when this server process started (the one version-history entry known today) */
  startedAtMs?: number;
}

const NOT_YET: RewriteProgress = {
  state: 'not-applicable',
  done: null,
  total: null,
  note: 'not applicable yet: this release has no rewrite to run',
};

export async function readStoreSchema(store: StoreName, cfg: SqlConnectConfig): Promise<StoreSchemaStatus> {
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

export class CurrentUpgradeStatusProvider implements UpgradeStatusProvider {
  private readonly startedAtMs: number;

  constructor(private readonly opts: CurrentUpgradeStatusOptions) {
    this.startedAtMs = opts.startedAtMs ?? Date.now();
  }

  async getUpgradeStatus(): Promise<UpgradeStatus> {
    const serverVersion = packageVersion();
    const stores = await Promise.all(this.opts.stores.map((s) => readStoreSchema(s.store, s.config)));
    return {
      serverVersion,
      stores,
      shardCount: this.opts.numHistoryShards,
      shardMetadataRewrite: NOT_YET,
      dataRewrite: NOT_YET,
      versionHistory: [
        {
          serverVersion,
          firstStartedTime: new Date(this.startedAtMs).toISOString(),
          activatedTime: null,
          note: 'this process; earlier versions are not recorded yet (the version history arrives with the upgrade machinery)',
        },
      ],
      source: 'this server process: package.json, the stores\' schema_version tables and the configured shard count',
    };
  }
}
