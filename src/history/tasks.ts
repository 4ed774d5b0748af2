/**
 * Outbox tasks written in the same transaction as the mutable state that creates them.
 * Transfer tasks move work to matching; timer tasks fire at a wall-clock time.
 */
import { FORMAT, jsonBlob, readJsonBlob, type DataBlob } from '../persistence/blob';
import type { ExecutionKey } from '../persistence';

export type TransferTask =
  | (ExecutionKey & { type: 'workflow-task'; scheduledEventId: number; taskQueue: string; stickyTaskQueue?: string })
  | (ExecutionKey & { type: 'activity-task'; scheduledEventId: number; attempt: number; taskQueue: string })
  | (ExecutionKey & { type: 'start-child'; initiatedEventId: number })
  | (ExecutionKey & { type: 'signal-external' | 'cancel-external'; initiatedEventId: number })
  /** the run closed: notify the parent, apply the parent close policy to children, (visibility) */
  | (ExecutionKey & { type: 'close-execution' });

export type TimerTask =
  | (ExecutionKey & { type: 'workflow-task-timeout'; scheduledEventId: number; attempt: number })
  | (ExecutionKey & { type: 'activity-timeout'; scheduledEventId: number; attempt: number; timeoutType: ActivityTimeoutKind })
  | (ExecutionKey & { type: 'activity-retry'; scheduledEventId: number; attempt: number })
  | (ExecutionKey & { type: 'user-timer'; timerId: string; startedEventId: number })
  | (ExecutionKey & { type: 'workflow-run-timeout' })
  /** the first workflow task's backoff (startDelay, cron, retry) is over */
  | (ExecutionKey & { type: 'workflow-backoff' })
  /** retention of a closed run is over: delete its data */
  | (ExecutionKey & { type: 'delete-execution' })
  /** a schedule's execution: run its scheduler (schedules/driver.ts) */
  | (ExecutionKey & { type: 'schedule-wakeup' });

/** Visibility: write the run's row in the visibility store (started, search attributes/memo changed, closed). */
export type VisibilityTask = ExecutionKey & { type: 'visibility'; kind: 'start' | 'upsert' | 'close' };

export type ActivityTimeoutKind = 'schedule-to-start' | 'schedule-to-close' | 'start-to-close' | 'heartbeat';

export function encodeTask(t: TransferTask | TimerTask | VisibilityTask): DataBlob {
  return jsonBlob(t, FORMAT.task);
}

export function decodeTask<T extends TransferTask | TimerTask | VisibilityTask>(b: DataBlob): T {
  return readJsonBlob<T>(b, FORMAT.task);
}
