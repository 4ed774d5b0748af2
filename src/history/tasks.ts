/**
 * Outbox tasks written in the same transaction as the mutable state that creates them.
 * Transfer tasks move work to matching; timer tasks fire at a wall-clock time.
 */
import { FORMAT, jsonBlob, readJsonBlob, type DataBlob } from '../persistence/engine/blob';
import type { ExecutionKey } from '../persistence/engine/interfaces';

/**
 * An execution: namespace id, workflow id, run id. One type with persistence's ExecutionKey (this
 * name stays for history's many uses; a mechanical rename can drop it).
 */
export type ExecutionRef = ExecutionKey;

export type TransferTask =
  | (ExecutionRef & { type: 'workflow-task'; scheduledEventId: number; taskQueue: string; stickyTaskQueue?: string })
  | (ExecutionRef & { type: 'activity-task'; scheduledEventId: number; attempt: number; taskQueue: string })
  | (ExecutionRef & { type: 'start-child'; initiatedEventId: number })
  | (ExecutionRef & { type: 'signal-external' | 'cancel-external'; initiatedEventId: number })
  /** the run closed: notify the parent, apply the parent close policy to children, (visibility) */
  | (ExecutionRef & { type: 'close-execution' });

export type TimerTask =
  | (ExecutionRef & { type: 'workflow-task-timeout'; scheduledEventId: number; attempt: number })
  | (ExecutionRef & { type: 'activity-timeout'; scheduledEventId: number; attempt: number; timeoutType: ActivityTimeoutKind })
  | (ExecutionRef & { type: 'activity-retry'; scheduledEventId: number; attempt: number })
  | (ExecutionRef & { type: 'user-timer'; timerId: string; startedEventId: number })
  | (ExecutionRef & { type: 'workflow-run-timeout' })
  /** the first workflow task's backoff (startDelay, cron, retry) is over */
  | (ExecutionRef & { type: 'workflow-backoff' })
  /** retention of a closed run is over: delete its data */
  | (ExecutionRef & { type: 'delete-execution' });

/** Visibility: write the run's row in the visibility store (started, search attributes/memo changed, closed). */
export type VisibilityTask = ExecutionRef & { type: 'visibility'; kind: 'start' | 'upsert' | 'close' };

export type ActivityTimeoutKind = 'schedule-to-start' | 'schedule-to-close' | 'start-to-close' | 'heartbeat';

export function encodeTask(t: TransferTask | TimerTask | VisibilityTask): DataBlob {
  return jsonBlob(t, FORMAT.task);
}

export function decodeTask<T extends TransferTask | TimerTask | VisibilityTask>(b: DataBlob): T {
  return readJsonBlob<T>(b, FORMAT.task);
}
