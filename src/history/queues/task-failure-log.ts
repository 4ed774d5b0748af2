/**
 * How a queue processor reports a failed task, scan or delete. While this process owns the shard a
 * failure is worth a warning with its error (it is retried, and a store that keeps failing must be
 * seen). Once the shard is no longer ours — another member took it in a hand-over, or our ownership
 * expired — every write fails with ShardOwnershipLostError by design: the new owner runs the same
 * tasks, and the shard's own "shard ownership lost" line (shard.ts) already says what happened at the
 * right level. Those failures are logged at info, one line without a stack.
 */
import { ShardOwnershipLostError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { ShardContext } from '../shard';

export function logQueueFailure(
  log: Pick<Logger, 'warn' | 'info'>,
  shard: Pick<ShardContext, 'shardId' | 'lost' | 'released'>,
  err: unknown,
  fields: Record<string, unknown>,
  msg: string,
): void {
  if (err instanceof ShardOwnershipLostError || shard.lost || shard.released) {
    log.info(
      { ...fields, shardId: shard.shardId, reason: err instanceof Error ? err.message : String(err) },
      `${msg} (the shard is no longer owned here; its next owner runs it)`,
    );
    return;
  }
  log.warn({ ...fields, err, shardId: shard.shardId }, msg);
}
