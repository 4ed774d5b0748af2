/**
 * The shards table (one row per history shard: range_id and shard info), written once for every SQL
 * plugin. Ownership is a compare-and-set on range_id; the fencing of the other shard writes against
 * that range_id lives with them (execution-store.ts).
 */
import { ShardOwnershipLostError } from '../../common/errors';
import type { DataBlob } from '../blob';
import type { ShardRow, ShardStore } from '../interfaces';
import type { SqlExecutor } from './executor';
import { blob, num } from './rows';
import { stmt } from './statement';

export class SqlShardStore implements ShardStore {
  constructor(private readonly db: SqlExecutor) {}

  async getOrCreateShard(shardId: number, initialInfo: DataBlob): Promise<ShardRow> {
    await this.db.write(
      stmt(`INSERT INTO shards (shard_id, range_id, data, data_encoding) VALUES (?, 0, ?, ?) ${this.db.dialect.ignoreDuplicate(['shard_id'])}`, [
        shardId,
        initialInfo.data,
        initialInfo.encoding,
      ]),
    );
    const [row] = await this.db.read(stmt('SELECT range_id, data, data_encoding FROM shards WHERE shard_id = ?', [shardId]));
    if (!row) throw new Error(`shard ${shardId} vanished after being created`);
    return { shardId, rangeId: num(row.range_id), info: blob(row.data, row.data_encoding) };
  }

  async updateShard(shardId: number, previousRangeId: number, newRangeId: number, info: DataBlob): Promise<void> {
    // SQLite: through its group commit, so it is ordered after writes already submitted under the old range
    const matched = await this.db.write(
      stmt('UPDATE shards SET range_id = ?, data = ?, data_encoding = ? WHERE shard_id = ? AND range_id = ?', [
        newRangeId,
        info.data,
        info.encoding,
        shardId,
        previousRangeId,
      ]),
    );
    if (matched !== 1) throw new ShardOwnershipLostError(shardId, previousRangeId);
  }

  async listShards(): Promise<ShardRow[]> {
    const rows = await this.db.read(stmt('SELECT shard_id, range_id, data, data_encoding FROM shards ORDER BY shard_id', []));
    return rows.map((r) => ({ shardId: num(r.shard_id), rangeId: num(r.range_id), info: blob(r.data, r.data_encoding) }));
  }
}
