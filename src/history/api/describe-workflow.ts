/** DescribeWorkflowExecution: built from mutable state only. */
import { api, fromB64, msToDuration, msToTimestamp, temporal } from '../../common/proto';
import type { HistoryEngine } from '../engine';
import { executionStatus, type ActivityState, type WorkflowTaskState } from '../state-machines/states';
import type { ExecutionKey } from '../../persistence';
import { currentOptions } from './update-workflow-options';

type Response = temporal.api.workflowservice.v1.IDescribeWorkflowExecutionResponse;
const PAS = temporal.api.enums.v1.PendingActivityState;
const PWTS = temporal.api.enums.v1.PendingWorkflowTaskState;

/** An activity waiting for its retry backoff shows as scheduled, as in Temporal. */
const PENDING_ACTIVITY_STATE: Record<ActivityState, number> = {
  scheduled: PAS.PENDING_ACTIVITY_STATE_SCHEDULED,
  backoff: PAS.PENDING_ACTIVITY_STATE_SCHEDULED,
  started: PAS.PENDING_ACTIVITY_STATE_STARTED,
  closed: PAS.PENDING_ACTIVITY_STATE_UNSPECIFIED, // never pending
};

const PENDING_WORKFLOW_TASK_STATE: Record<Exclude<WorkflowTaskState, 'none'>, number> = {
  scheduled: PWTS.PENDING_WORKFLOW_TASK_STATE_SCHEDULED,
  started: PWTS.PENDING_WORKFLOW_TASK_STATE_STARTED,
};

export async function describeWorkflow(engine: HistoryEngine, ref: ExecutionKey): Promise<Response> {
  const ms = await engine.getMutableState(ref);
  const e = ms.execution;
  const taskQueue = { name: e.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL };
  const options = currentOptions(e.executionOptionsB64);
  return {
    executionConfig: {
      taskQueue,
      workflowExecutionTimeout: msToDuration(e.executionTimeoutMs),
      workflowRunTimeout: msToDuration(e.runTimeoutMs),
      defaultWorkflowTaskTimeout: msToDuration(e.workflowTaskTimeoutMs),
    },
    workflowExecutionInfo: {
      execution: { workflowId: e.workflowId, runId: e.runId },
      type: { name: e.workflowType },
      startTime: msToTimestamp(e.startTimeMs),
      executionTime: msToTimestamp(e.executionTimeMs ?? e.startTimeMs),
      closeTime: e.closeTimeMs ? msToTimestamp(e.closeTimeMs) : undefined,
      status: executionStatus(ms),
      historyLength: (ms.nextEventId - 1) as never,
      historySizeBytes: ms.historySizeBytes as never,
      memo: e.memoB64 ? fromB64(api.common.v1.Memo, e.memoB64) : undefined,
      searchAttributes: e.searchAttributesB64 ? fromB64(api.common.v1.SearchAttributes, e.searchAttributesB64) : undefined,
      taskQueue: e.taskQueue,
      firstRunId: e.firstRunId,
      parentNamespaceId: e.parent?.namespaceId,
      parentExecution: e.parent ? { workflowId: e.parent.workflowId, runId: e.parent.runId } : undefined,
      priority: options.priority,
      versioningInfo: options.versioningOverride ? { versioningOverride: options.versioningOverride } : undefined,
    },
    workflowExtendedInfo: {
      executionExpirationTime: e.executionExpirationMs ? msToTimestamp(e.executionExpirationMs) : undefined,
      runExpirationTime: e.runTimeoutMs ? msToTimestamp(e.executionTimeMs + e.runTimeoutMs) : undefined,
      cancelRequested: e.cancelRequested,
      originalStartTime: msToTimestamp(e.startTimeMs),
      resetRunId: e.resetRunId,
    },
    pendingChildren: Object.values(ms.children ?? {}).map((c) => ({
      workflowId: c.workflowId,
      runId: c.runId,
      workflowTypeName: c.workflowType,
      initiatedId: c.initiatedEventId as never,
      parentClosePolicy: c.parentClosePolicy,
    })),
    pendingActivities: Object.values(ms.activities).map((a) => ({
      activityId: a.activityId,
      activityType: { name: a.activityType },
      state: a.cancelRequested
        ? PAS.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
        : a.paused
          ? a.state === 'started'
            ? PAS.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED
            : PAS.PENDING_ACTIVITY_STATE_PAUSED
          : PENDING_ACTIVITY_STATE[a.state],
      paused: !!a.paused,
      heartbeatDetails: a.heartbeatDetailsB64 ? fromB64(api.common.v1.Payloads, a.heartbeatDetailsB64) : undefined,
      lastHeartbeatTime: a.lastHeartbeatMs ? msToTimestamp(a.lastHeartbeatMs) : undefined,
      lastStartedTime: a.startedTimeMs ? msToTimestamp(a.startedTimeMs) : undefined,
      attempt: a.attempt,
      maximumAttempts: a.retryPolicy.maximumAttempts,
      scheduledTime: msToTimestamp(a.currentAttemptScheduledTimeMs),
      lastFailure: a.lastFailureB64 ? fromB64(api.failure.v1.Failure, a.lastFailureB64) : undefined,
      lastWorkerIdentity: a.startedIdentity,
    })),
    pendingWorkflowTask: ms.workflowTask
      ? {
          state: PENDING_WORKFLOW_TASK_STATE[ms.workflowTask.state],
          scheduledTime: msToTimestamp(ms.workflowTask.scheduledTimeMs),
          startedTime: ms.workflowTask.startedTimeMs ? msToTimestamp(ms.workflowTask.startedTimeMs) : undefined,
          attempt: ms.workflowTask.attempt,
        }
      : undefined,
  };
}
