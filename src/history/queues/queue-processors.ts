/**
 * Per-shard queue processors. Tasks are durable rows written with the state change that made them;
 * a processor executes a task and only then deletes its row (fenced by range_id, many rows per
 * write: executed-tasks.ts), so a crash at any point re-executes the task after restart (handlers
 * are idempotent).
 *  - transfer: hand workflow/activity tasks to matching (a task's row is deleted once matching no
 *    longer needs it: started by a poller, stale, or in the durable backlog);
 *  - timer: fire at visibility_timestamp (timeouts, user timers, retry backoff, run timeout).
 *
 * `stop` waits for the work in flight (a scan or pass, the transfer tasks being handed over) before it
 * resolves, so the server closes its stores only after the last read or delete of these queues; a
 * hand-over still waiting after DRAIN_MS is left (its row stays and runs again under the next owner).
 */
import { NotFoundError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { HistoryEngine } from '../engine';
import type { ShardContext } from '../shard';
import { decodeTask, type TimerTask, type TransferTask } from '../tasks';
import type { TimerTaskKey } from '../../persistence';
import { ExecutedTasks } from './executed-tasks';
import { fireTimerTask } from './timer-handlers';
import { executeTransferTask } from './transfer-handlers';
import { logQueueFailure } from './task-failure-log';

const BATCH = 100;
const RETRY_DELAY_MS = 1000;
/** How long `stop` waits for transfer tasks still being handed to matching (a sync match waits for its poller). */
export const DRAIN_MS = 1000;

/** Resolves when `work` settles or after `ms`, whichever is first (never rejects). */
async function settledWithin(work: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled(work), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

export class TransferQueueProcessor {
  /** task ids being executed (from a commit of this process or from a scan), and their runs */
  private readonly inflight = new Map<number, Promise<void>>();
  private readonly executed: ExecutedTasks<number>;
  private scanning: Promise<void> | undefined;
  private rescan = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly shard: ShardContext,
    private readonly engine: HistoryEngine,
    private readonly log: Logger,
  ) {
    const store = engine.store.executions;
    this.executed = new ExecutedTasks(shard, 'transfer', String, (rangeId, ids) => store.deleteTransferTasks(shard.shardId, rangeId, ids), log);
  }

  /**
   * Tasks committed by this process are handed over in memory right after their commit (no read);
   * the table is scanned at start and after a failed task, for rows no one is executing.
   */
  private readonly onNewTasks = (tasks: { taskId: number; task: TransferTask }[]): void => {
    for (const t of tasks) this.dispatch(t.taskId, t.task);
  };

  start(): void {
    this.shard.newTasks.on('transfer', this.onNewTasks);
    this.scan();
  }

  /**
   * Stops taking tasks and waits for the scan and the tasks in flight (at most DRAIN_MS for those);
   * what was executed is deleted before this resolves (when the shard is still ours).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.shard.newTasks.off('transfer', this.onNewTasks);
    clearTimeout(this.retryTimer);
    await this.scanning;
    await settledWithin([...this.inflight.values()], DRAIN_MS);
    this.executed.stop();
    await this.executed.flush().catch(() => undefined);
  }

  /** Kept for callers that only know "there may be new rows". */
  kick(): void {
    this.scan();
  }

  private scan(): void {
    if (this.stopped) return;
    if (this.scanning) {
      this.rescan = true;
      return;
    }
    this.scanning = this.scanAll()
      .catch((err: unknown) => {
        if (this.stopped) return; // the next owner scans again
        logQueueFailure(this.log, this.shard, err, {}, 'transfer queue scan failed; will retry');
        this.retryLater();
      })
      .finally(() => {
        this.scanning = undefined;
        if (this.rescan) {
          this.rescan = false;
          this.scan();
        }
      });
  }

  private async scanAll(): Promise<void> {
    let after = 0;
    while (!this.stopped && !this.shard.lost) {
      const rows = await this.engine.store.executions.getTransferTasks(this.shard.shardId, after, BATCH);
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.taskId;
      for (const row of rows) if (!this.executed.has(String(row.taskId))) this.dispatch(row.taskId, decodeTask<TransferTask>(row.task));
    }
  }

  private retryLater(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.scan();
    }, RETRY_DELAY_MS);
  }

  /** Execute one task, then have its row deleted. A failed task stays and is found by the next scan. */
  private dispatch(taskId: number, task: TransferTask): void {
    if (this.stopped || this.inflight.has(taskId)) return;
    const run = (async () => {
      try {
        try {
          await this.execute(task);
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
        this.executed.add(taskId);
      } catch (err) {
        // after stop the row stays for the next owner (a store closing under it is no failure)
        if (this.stopped) return;
        this.shard.markLostIf(err);
        logQueueFailure(this.log, this.shard, err, { taskId }, 'transfer task failed; will retry');
        this.retryLater();
      } finally {
        this.inflight.delete(taskId);
      }
    })();
    this.inflight.set(taskId, run);
  }

  private async execute(t: TransferTask): Promise<void> {
    if (t.type !== 'workflow-task' && t.type !== 'activity-task') return executeTransferTask(this.engine, t);
    const matching = this.engine.matching;
    const ref = { namespaceId: t.namespaceId, workflowId: t.workflowId, runId: t.runId, scheduledEventId: t.scheduledEventId };
    if (t.type === 'workflow-task') await matching.addWorkflowTask(t.namespaceId, t.taskQueue, ref, t.stickyTaskQueue);
    else await matching.addActivityTask(t.namespaceId, t.taskQueue, { ...ref, attempt: t.attempt });
  }
}

export class TimerQueueProcessor {
  private readonly executed: ExecutedTasks<TimerTaskKey>;
  private wakeAt = Number.POSITIVE_INFINITY;
  private wakeTimer: NodeJS.Timeout | undefined;
  /** the pass running now */
  private busy: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly shard: ShardContext,
    private readonly engine: HistoryEngine,
    private readonly log: Logger,
  ) {
    const store = engine.store.executions;
    this.executed = new ExecutedTasks(shard, 'timer', timerKey, (rangeId, keys) => store.deleteTimerTasks(shard.shardId, rangeId, keys), log);
  }

  private readonly onNewTasks = (earliestMs: number): void => this.wakeUpAt(earliestMs);

  start(): void {
    this.shard.newTasks.on('timer', this.onNewTasks);
    this.kick();
  }

  /** Stops firing; the pass running now finishes its batch first. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.shard.newTasks.off('timer', this.onNewTasks);
    clearTimeout(this.wakeTimer);
    await this.busy;
    this.executed.stop();
    await this.executed.flush().catch(() => undefined);
  }

  private wakeUpAt(at: number): void {
    if (this.stopped || at >= this.wakeAt) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    // setTimeout holds at most ~24.8 days; longer waits re-arm on wake-up
    const delay = Math.min(Math.max(0, at - Date.now()), 0x7fffffff);
    this.wakeTimer = setTimeout(() => {
      this.wakeAt = Number.POSITIVE_INFINITY;
      this.kick();
    }, delay);
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = this.fireDue()
      .catch((err: unknown) => {
        if (this.stopped) return; // the next owner fires what is left
        logQueueFailure(this.log, this.shard, err, {}, 'timer queue pass failed; retrying');
        this.wakeUpAt(Date.now() + RETRY_DELAY_MS);
      })
      .finally(() => {
        this.busy = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async fireDue(): Promise<void> {
    const store = this.engine.store.executions;
    while (!this.stopped && !this.shard.lost) {
      const rows = await store.getTimerTasks(this.shard.shardId, Date.now() + 1, BATCH);
      if (rows.length === 0) break;
      // a batch fires concurrently (each execution is serialised by its own lock) and the timers that
      // fired are deleted in one write before the next read; any failure fails the pass, which is retried
      const results = await Promise.allSettled(
        rows.map(async (row) => {
          try {
            await fireTimerTask(this.engine, decodeTask<TimerTask>(row.task));
          } catch (err) {
            if (!(err instanceof NotFoundError)) throw err;
          }
          this.executed.add(row);
        }),
      );
      await this.executed.flush();
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
    if (this.stopped || this.shard.lost) return;
    const next = await store.getNextTimerTimestamp(this.shard.shardId);
    if (next !== undefined) this.wakeUpAt(next);
  }
}

function timerKey(k: TimerTaskKey): string {
  return `${k.visibilityTimestampMs}/${k.taskId}`;
}
