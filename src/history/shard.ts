/**
 * One history shard owned by this process. Ownership is taken by bumping shards.range_id; every
 * write of the shard passes `rangeId` down to the store, which re-checks it inside the transaction,
 * so a stale owner can never write. Task ids are rangeId * RANGE_SIZE + sequence, strictly
 * increasing for the lifetime of the shard; running out of a range renews it (another bump).
 *
 * A renewal must never fence this process's own writes: every fenced write holds a lease
 * (`openWrite`) taken in the same synchronous step as its task ids, and a renewal waits until the
 * leases of the old range are returned (new writes wait for the renewal) before it bumps range_id.
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

/**
 * Told once when a write finds that another process took the shard (its range_id moved on). A
 * cluster member says whether that was a hand-over to another member (expected: the ring moved the
 * shard, and this member lets it go at its next refresh) or a surprise; without one, the loss is an
 * error (a lone server's shards are taken by nothing).
 */
export type ShardLossReporter = (shardId: number, rangeId: number) => void;

/** A fenced write in flight: the range id it writes under; `end` when its transaction settled. */
export interface WriteLease {
  readonly rangeId: number;
  end(): void;
}

export class ShardContext {
  rangeId = 0;
  private seq = 0;
  lost = false;
  /** given up by this process (the shard moved to another member): writes fail as if lost */
  released = false;
  /** fenced writes in flight under the current range */
  private inflight = 0;
  private drained: (() => void) | undefined;
  /** `writesSettled` callers waiting for the last lease to end */
  private readonly idle: (() => void)[] = [];
  private renewing: Promise<void> | undefined;
  /** emitted by the engine after a commit that created tasks */
  readonly newTasks = new EventEmitter<NewTaskEvents>();

  constructor(
    readonly shardId: number,
    private readonly store: PersistenceBundle,
    private readonly owner: string,
    private readonly log: Logger,
    private readonly serverVersion: string,
    private readonly onLost?: ShardLossReporter,
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

  /**
   * A lease for one fenced write that may hand out `n` task ids (0: a write without new tasks).
   * When it resolves, the ids can be taken with nextTaskId in the same synchronous step, and the
   * range stays the lease's until `end`: a renewal waits for it.
   */
  async openWrite(n: number): Promise<WriteLease> {
    for (;;) {
      this.assertOwned();
      if (this.renewing) {
        await this.renewing;
        continue;
      }
      if (this.seq + n < TASK_ID_RANGE_SIZE) break;
      this.renewing = this.renew().finally(() => (this.renewing = undefined));
    }
    this.inflight += 1;
    let ended = false;
    return {
      rangeId: this.rangeId,
      end: () => {
        if (ended) return;
        ended = true;
        this.inflight -= 1;
        if (this.inflight === 0) {
          this.drained?.();
          for (const f of this.idle.splice(0)) f();
        }
      },
    };
  }

  /** Resolves once no write holds a lease (a stopping member hands a shard over only after its writes settled). */
  writesSettled(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Runs one fenced write under a lease. */
  async fenced<T>(fn: (rangeId: number) => Promise<T>): Promise<T> {
    const lease = await this.openWrite(0);
    try {
      return await fn(lease.rangeId);
    } catch (err) {
      this.markLostIf(err);
      throw err;
    } finally {
      lease.end();
    }
  }

  /** The next range: after the writes of this one settled, so none of them is fenced by it. */
  private async renew(): Promise<void> {
    if (this.inflight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.drained = undefined;
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
    if (this.lost || this.released) throw new ShardOwnershipLostError(this.shardId, this.rangeId);
  }

  markLostIf(err: unknown): void {
    if (!(err instanceof ShardOwnershipLostError)) return;
    // said once per ownership; a shard this process released was given up, not lost
    const news = !this.lost && !this.released;
    this.lost = true;
    if (!news) return;
    if (this.onLost) this.onLost(this.shardId, this.rangeId);
    else this.log.error({ shardId: this.shardId, rangeId: this.rangeId }, 'shard ownership lost');
  }
}
