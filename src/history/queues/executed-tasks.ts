/**
 * Executed outbox tasks of one shard queue, waiting to be deleted. Deleting each task on its own
 * cost a fenced transaction (an fsync on SQLite, a round trip and a commit elsewhere) per task,
 * several per workflow; instead a processor hands what it executed here and the rows go in one
 * fenced write a moment later (or at once, with `flush`). Until then `has` tells a scan to skip
 * them. A crash before the delete only means the task runs again after the restart, which every
 * handler allows (tasks are idempotent). A failed delete keeps the keys and tries again later; a
 * delete refused for a stale range_id marks the shard lost.
 */
import type { Logger } from '../../common/logger';
import type { ShardContext } from '../shard';
import { logQueueFailure } from './task-failure-log';

/** How long executed tasks wait for company before their delete. */
const FLUSH_DELAY_MS = 50;
const RETRY_DELAY_MS = 1000;

export class ExecutedTasks<K> {
  private readonly waiting = new Map<string, K>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly shard: ShardContext,
    private readonly queue: string,
    private readonly keyOf: (k: K) => string,
    private readonly deleteRows: (rangeId: number, keys: K[]) => Promise<void>,
    private readonly log: Logger,
  ) {}

  /** The task ran: its row goes with the next delete. */
  add(k: K): void {
    this.waiting.set(this.keyOf(k), k);
    this.schedule(FLUSH_DELAY_MS);
  }

  /** True while an executed task's row still exists (a scan must not run it again). */
  has(key: string): boolean {
    return this.waiting.has(key);
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(() => undefined); // logged in flush; retried by the next schedule
    }, delayMs);
    this.timer.unref();
  }

  /** Deletes every executed task's row now (after a flush already running). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined);
    if (this.waiting.size === 0 || this.shard.lost) return;
    const batch = [...this.waiting];
    const keys = batch.map(([, k]) => k);
    this.flushing = this.shard.fenced((rangeId) => this.deleteRows(rangeId, keys));
    try {
      await this.flushing;
      for (const [key] of batch) this.waiting.delete(key);
    } catch (err) {
      this.shard.markLostIf(err);
      logQueueFailure(this.log, this.shard, err, { queue: this.queue, tasks: batch.length }, 'deleting executed tasks failed; will retry');
      this.schedule(RETRY_DELAY_MS);
      throw err;
    } finally {
      this.flushing = undefined;
    }
  }

  /** No more deletes (a last flush is the caller's choice). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
