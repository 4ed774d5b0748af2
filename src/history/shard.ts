/**
 * One history shard owned by this process. Ownership is taken by bumping shards.range_id; every
 * write of the shard passes `rangeId` down to the store, which re-checks it inside the transaction,
 * so a stale owner can never write. Task ids are rangeId * RANGE_SIZE + sequence, strictly
 * increasing for the lifetime of the shard; running out of a range renews it (another bump).
 */
import { EventEmitter } from 'node:events';
import { FORMAT, READABLE, jsonBlob, readJsonBlob, type DataBlob, type PersistenceBundle } from '../persistence';
import { ShardOwnershipLostError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { TransferTask } from './tasks';

export const TASK_ID_RANGE_SIZE = 1 << 20;

/** Shard metadata, json/v2. v1 (0.1.x) had no serverVersion; every start rewrites all shards in v2. */
interface ShardInfo {
  shardId: number;
  owner: string;
  acquiredTimeMs: number;
  /** the server version that last acquired the shard and rewrote this metadata */
  serverVersion: string;
}

/** What a commit tells the shard's queue processors (each listens while it runs). */
export interface NewTaskEvents {
  /** transfer tasks just committed, handed over in memory */
  transfer: [tasks: { taskId: number; task: TransferTask }[]];
  /** the earliest fire time among the timer tasks just committed */
  timer: [earliestMs: number];
  visibility: [];
}

export class ShardContext {
  rangeId = 0;
  private seq = 0;
  lost = false;
  /** emitted by the engine after a commit that created tasks */
  readonly newTasks = new EventEmitter<NewTaskEvents>();

  constructor(
    readonly shardId: number,
    private readonly store: PersistenceBundle,
    private readonly owner: string,
    private readonly log: Logger,
    private readonly serverVersion: string,
  ) {}

  private info(): DataBlob {
    return jsonBlob(
      { shardId: this.shardId, owner: this.owner, acquiredTimeMs: Date.now(), serverVersion: this.serverVersion } satisfies ShardInfo,
      FORMAT.shardInfo,
    );
  }

  async acquire(): Promise<void> {
    const info = this.info();
    const row = await this.store.shards.getOrCreateShard(this.shardId, info);
    // Refuses metadata in a format this release cannot read, before taking the shard over.
    readJsonBlob<Partial<ShardInfo>>(row.info, FORMAT.shardInfo, READABLE.shardInfo);
    await this.store.shards.updateShard(this.shardId, row.rangeId, row.rangeId + 1, info);
    this.rangeId = row.rangeId + 1;
    this.seq = 0;
    this.lost = false;
    this.log.debug({ shardId: this.shardId, rangeId: this.rangeId }, 'shard acquired');
  }

  /** Make sure `n` task ids can be handed out without crossing into the next range. */
  async reserveTaskIds(n: number): Promise<void> {
    this.assertOwned();
    if (this.seq + n < TASK_ID_RANGE_SIZE) return;
    const info = this.info();
    try {
      await this.store.shards.updateShard(this.shardId, this.rangeId, this.rangeId + 1, info);
    } catch (err) {
      if (err instanceof ShardOwnershipLostError) this.lost = true;
      throw err;
    }
    this.rangeId += 1;
    this.seq = 0;
  }

  nextTaskId(): number {
    this.seq += 1;
    return this.rangeId * TASK_ID_RANGE_SIZE + this.seq;
  }

  assertOwned(): void {
    if (this.lost) throw new ShardOwnershipLostError(this.shardId, this.rangeId);
  }

  markLostIf(err: unknown): void {
    if (err instanceof ShardOwnershipLostError) {
      this.lost = true;
      this.log.error({ shardId: this.shardId }, 'shard ownership lost');
    }
  }
}
