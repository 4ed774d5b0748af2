/**
 * Cluster metadata (cluster_metadata_info, compare-and-set on its version) and the versions of the
 * server that ran on the database (server_version_history), written once for every SQL plugin.
 */
import type { DataBlob } from '../blob';
import type { ClusterMetadataStore, ServerVersionRow } from '../interfaces';
import type { SqlExecutor } from './executor';
import { blob, num, optNum } from './rows';
import { stmt, type Row } from './statement';

const serverVersionRow = (r: Row): ServerVersionRow => ({
  serverVersion: String(r.server_version),
  firstStartedMs: num(r.first_started_time),
  activatedMs: optNum(r.activated_time),
  progress: r.data === null || r.data === undefined ? undefined : blob(r.data, r.data_encoding),
});

export class SqlClusterMetadataStore implements ClusterMetadataStore {
  constructor(private readonly db: SqlExecutor) {}

  async getClusterMetadata(clusterName: string): Promise<{ info: DataBlob; version: number } | undefined> {
    const [r] = await this.db.read(
      stmt('SELECT data, data_encoding, version FROM cluster_metadata_info WHERE metadata_partition = 0 AND cluster_name = ?', [clusterName]),
    );
    return r ? { info: blob(r.data, r.data_encoding), version: num(r.version) } : undefined;
  }

  async saveClusterMetadata(clusterName: string, info: DataBlob, previousVersion: number | undefined): Promise<boolean> {
    if (previousVersion === undefined) {
      try {
        await this.db.write(
          stmt('INSERT INTO cluster_metadata_info (metadata_partition, cluster_name, data, data_encoding, version) VALUES (0, ?, ?, ?, 1)', [
            clusterName,
            info.data,
            info.encoding,
          ]),
        );
        return true;
      } catch (err) {
        // a single autocommit statement: nothing else to undo
        if (this.db.dialect.isDuplicateKey(err)) return false;
        throw err;
      }
    }
    const matched = await this.db.write(
      stmt('UPDATE cluster_metadata_info SET data = ?, data_encoding = ?, version = ? WHERE metadata_partition = 0 AND cluster_name = ? AND version = ?', [
        info.data,
        info.encoding,
        previousVersion + 1,
        clusterName,
        previousVersion,
      ]),
    );
    return matched === 1;
  }

  async listServerVersions(clusterName: string): Promise<ServerVersionRow[]> {
    const rows = await this.db.read(
      stmt(
        'SELECT server_version, first_started_time, activated_time, data, data_encoding FROM server_version_history WHERE cluster_name = ? ORDER BY first_started_time, server_version',
        [clusterName],
      ),
    );
    return rows.map(serverVersionRow);
  }

  async recordServerVersionStart(clusterName: string, serverVersion: string, nowMs: number): Promise<void> {
    await this.db.write(
      stmt(
        `INSERT INTO server_version_history (cluster_name, server_version, first_started_time) VALUES (?, ?, ?) ${this.db.dialect.ignoreDuplicate(['cluster_name', 'server_version'])}`,
        [clusterName, serverVersion, nowMs],
      ),
    );
  }

  async updateServerVersion(clusterName: string, serverVersion: string, progress: DataBlob, activatedMs: number | undefined): Promise<void> {
    await this.db.write(
      stmt(
        'UPDATE server_version_history SET data = ?, data_encoding = ?, activated_time = COALESCE(activated_time, ?) WHERE cluster_name = ? AND server_version = ?',
        [progress.data, progress.encoding, activatedMs ?? null, clusterName, serverVersion],
      ),
    );
  }
}
