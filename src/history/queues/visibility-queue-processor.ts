/**
 * Visibility queue processor (one per shard): applies visibility tasks to the visibility service
 * and then deletes them (fenced by range_id, the tasks of a pass in one write). A task names a run; a snapshot of the run's current
 * mutable state (a plain record: visibility knows nothing of mutable state) is handed over and
 * upserted, so re-running a task after a crash is harmless and a late task never writes stale data.
 * Tasks of a shard are applied one at a time in task id order; a failure stops the pass and it is
 * retried after a delay.
 */
import { NotFoundError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { ExecutionSnapshot, VisibilityWriter } from '../../visibility';
import { executionStatus } from '../context';
import type { HistoryEngine } from '../engine';
import type { MutableState } from '../mutable-state';
import { isRunning } from '../state-machines/states';
import type { ShardContext } from '../shard';
import { decodeTask, type VisibilityTask } from '../tasks';
import { ExecutedTasks } from './executed-tasks';
import { logQueueFailure } from './task-failure-log';

const BATCH = 100;
const RETRY_DELAY_MS = 1000;

export class VisibilityQueueProcessor {
  /** the pass running now */
  private busy: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly executed: ExecutedTasks<number>;

  constructor(
    private readonly shard: ShardContext,
    private readonly engine: HistoryEngine,
    private readonly visibility: VisibilityWriter,
    private readonly log: Logger,
  ) {
    const store = engine.store.executions;
    this.executed = new ExecutedTasks(shard, 'visibility', String, (rangeId, ids) => store.deleteVisibilityTasks(shard.shardId, rangeId, ids), log);
  }

  private readonly onNewTasks = (): void => this.kick();

  start(): void {
    this.shard.newTasks.on('visibility', this.onNewTasks);
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.shard.newTasks.off('visibility', this.onNewTasks);
    clearTimeout(this.retryTimer);
    // the pass running now stops after the task it is applying (its applied tasks are flushed)
    await this.busy;
    this.executed.stop();
    await this.executed.flush().catch(() => undefined);
  }

  kick(): void {
    if (this.stopped) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = this.drain()
      .catch((err: unknown) => {
        if (this.stopped) return;
        logQueueFailure(this.log, this.shard, err, {}, 'visibility task failed; will retry');
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.kick(), RETRY_DELAY_MS);
      })
      .finally(() => {
        this.busy = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    const store = this.engine.store.executions;
    while (!this.stopped && !this.shard.lost) {
      const rows = await store.getVisibilityTasks(this.shard.shardId, 0, BATCH);
      if (rows.length === 0) return;
      try {
        for (const row of rows) {
          if (this.stopped) return;
          await this.apply(decodeTask<VisibilityTask>(row.task));
          this.executed.add(row.taskId);
        }
      } finally {
        // what was applied goes before the next read (which would return it again)
        await this.executed.flush();
      }
    }
  }

  private async apply(t: VisibilityTask): Promise<void> {
    let ms;
    try {
      ms = await this.engine.peekMutableState({ namespaceId: t.namespaceId, workflowId: t.workflowId, runId: t.runId });
    } catch (err) {
      if (err instanceof NotFoundError) return; // the run is gone (retention): nothing to show
      throw err;
    }
    await this.visibility.recordExecution(executionSnapshot(ms));
  }
}

/** What visibility is told about a run: status codes and times, memo and search attributes as proto bytes. */
export function executionSnapshot(ms: MutableState): ExecutionSnapshot {
  const e = ms.execution;
  const closed = !isRunning(ms);
  return {
    namespaceId: e.namespaceId,
    workflowId: e.workflowId,
    runId: e.runId,
    workflowType: e.workflowType,
    taskQueue: e.taskQueue,
    status: executionStatus(ms),
    startTimeMs: e.startTimeMs,
    executionTimeMs: e.executionTimeMs ?? e.startTimeMs,
    closeTimeMs: closed ? e.closeTimeMs || Date.now() : null,
    // a schedule has no history: its row's history_length carries TemporalSchedulePaused (1 paused, 0 not; search-attributes.ts)
    historyLength: ms.schedule ? Number(ms.schedule.record.state.paused) : ms.nextEventId - 1,
    historySizeBytes: ms.historySizeBytes,
    memo: e.memoB64 ? Buffer.from(e.memoB64, 'base64') : null,
    searchAttributes: e.searchAttributesB64 ? Buffer.from(e.searchAttributesB64, 'base64') : null,
  };
}
