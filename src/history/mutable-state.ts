/**
 * Mutable state of one workflow run: everything the engine needs to decide the next step without
 * reading history. Persisted as a JSON blob in executions.data; proto values inside it (inputs,
 * failures, buffered events) are kept as base64 of their proto3 encoding.
 *
 * Formats: json/v2 (written since 0.2.0) always carries every collection and the retry-chain fields;
 * json/v1 (0.1.x) left them out when empty or when written before the feature existed. This release
 * reads both and writes v2, so a v1 row is converted the first time its run changes, and the
 * background data-format rewrite converts the rest.
 */
import { FORMAT, READABLE, jsonBlob, readJsonBlob, type DataBlob } from '../persistence/blob';
import type { StoredSchedule } from './schedules/stored-schedule';
import type { ActivityState, ChildState, DurableUpdateState, TimerState, WorkflowState, WorkflowTaskState } from './state-machines/states';

export interface RetryPolicyJson {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  maximumAttempts: number;
  nonRetryableErrorTypes: string[];
}

export interface WorkflowTaskInfo {
  state: Exclude<WorkflowTaskState, 'none'>;
  scheduledEventId: number;
  startedEventId: number;
  attempt: number;
  taskQueue: string;
  scheduledTimeMs: number;
  startedTimeMs: number;
  requestId: string;
  identity: string;
  /**
   * A retry of a failed or timed out task whose WorkflowTaskScheduled / WorkflowTaskStarted events are
   * not written yet (Temporal's transient workflow task): `scheduledEventId` and `startedEventId` are
   * the ids they will get when the task completes. Absent in states written before transient tasks.
   */
  transient?: boolean;
}

export interface ActivityInfo {
  state: ActivityState;
  scheduledEventId: number;
  activityId: string;
  activityType: string;
  taskQueue: string;
  /** ScheduleActivityTaskCommandAttributes (timeouts resolved), proto3 base64 */
  attributesB64: string;
  scheduledTimeMs: number;
  attempt: number;
  currentAttemptScheduledTimeMs: number;
  startedTimeMs: number;
  startedIdentity: string;
  requestId: string;
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
  retryPolicy: RetryPolicyJson;
  lastHeartbeatMs: number;
  /** Payloads, proto3 base64 */
  heartbeatDetailsB64: string | undefined;
  /** Failure, proto3 base64 */
  lastFailureB64: string | undefined;
  cancelRequested: boolean;
  cancelRequestedEventId: number;
  /** PauseActivity: no new attempt is dispatched until UnpauseActivity (absent: not paused) */
  paused?: boolean;
}

export interface TimerInfo {
  state: TimerState;
  timerId: string;
  startedEventId: number;
  expiryMs: number;
}

export interface ExecutionInfo {
  namespaceId: string;
  namespace: string;
  workflowId: string;
  runId: string;
  firstRunId: string;
  workflowType: string;
  taskQueue: string;
  workflowTaskTimeoutMs: number;
  runTimeoutMs: number;
  executionTimeoutMs: number;
  startTimeMs: number;
  closeTimeMs: number;
  createRequestId: string;
  state: WorkflowState;
  cancelRequested: boolean;
  /** started event id of the last completed workflow task (previous_started_event_id) */
  lastCompletedWorkflowTaskStartedEventId: number;
  /** event id of the close event, 0 while running */
  completionEventId: number;
  memoB64: string | undefined;
  searchAttributesB64: string | undefined;
  /**
   * The sticky task queue of the worker that completed the last workflow task (it keeps the run in
   * its cache); the next first-attempt workflow task is offered there first. Cleared when a workflow
   * task fails or times out. Absent in states written before sticky queues existed.
   */
  stickyTaskQueue?: string;
  /** the attempt of this run in its retry chain (1 for the first run) */
  attempt: number;
  /** the workflow retry policy, when the start request had one */
  retryPolicy?: RetryPolicyJson | undefined;
  cronSchedule?: string | undefined;
  /** workflow execution timeout deadline across the whole chain (0 = none) */
  executionExpirationMs: number;
  /** true until the first workflow task's backoff (startDelay, cron, retry) has elapsed */
  firstTaskBackoffPending: boolean;
  /** when the run's first workflow task is due: start time + first task backoff (startDelay, cron, retry) */
  executionTimeMs: number;
  /** set when the close scheduled the retention deletion timer itself */
  retentionTimerSet?: boolean;
  /** the run that continues this one (continue-as-new, retry, cron), once closed */
  nextRunId?: string | undefined;
  parent?: ParentInfo | undefined;
  /** the run a ResetWorkflowExecution of this run created (the latest one); absent when never reset */
  resetRunId?: string | undefined;
  /** UpdateWorkflowExecutionOptions: workflow.v1.WorkflowExecutionOptions, proto3 base64; absent when never set */
  executionOptionsB64?: string | undefined;
}

/** The parent of a child workflow (inherited by the runs of its chain). */
export interface ParentInfo {
  namespaceId: string;
  namespace: string;
  workflowId: string;
  runId: string;
  initiatedEventId: number;
  /** enums.v1.ParentClosePolicy */
  parentClosePolicy: number;
}

/** A child workflow this run started: initiated -> started -> (closed: removed). */
export interface ChildInfo {
  state: ChildState;
  initiatedEventId: number;
  startedEventId: number;
  namespace: string;
  namespaceId: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  parentClosePolicy: number;
}

/** A SignalExternal / RequestCancelExternal this run initiated and whose outcome is pending. */
export interface ExternalRequestInfo {
  kind: 'signal' | 'cancel';
  initiatedEventId: number;
  namespace: string;
  namespaceId: string;
  workflowId: string;
  runId: string;
  childWorkflowOnly: boolean;
}

/** A durable (accepted) update. Admitted updates live in memory only (see api/update-workflow.ts). */
export interface UpdateInfo {
  state: DurableUpdateState;
  acceptedEventId: number;
  completedEventId: number;
  /** update.v1.Outcome, proto3 base64, once completed */
  outcomeB64: string | undefined;
}

export interface MutableState {
  execution: ExecutionInfo;
  nextEventId: number;
  /** txn id of the last history batch written (history_node.txn_id) */
  lastTxnId: number;
  workflowTask: WorkflowTaskInfo | undefined;
  activities: Record<string, ActivityInfo>;
  timers: Record<string, TimerInfo>;
  /** events that arrived while a workflow task was started, HistoryEvent proto3 base64, ids not yet assigned */
  bufferedEvents: string[];
  /** request ids of signals already applied (idempotency), bounded */
  signalRequestIds: string[];
  historySizeBytes: number;
  children: Record<string, ChildInfo>;
  externalRequests: Record<string, ExternalRequestInfo>;
  updates: Record<string, UpdateInfo>;
  /** set on a schedule's execution only ("temporal-sys-scheduler:<id>", no events): its record (schedules/stored-schedule.ts) */
  schedule?: StoredSchedule;
}

/**
 * What a new run is given (newExecutionInfo); what is left out starts empty, zero or 1, and
 * executionTimeMs (when the first workflow task is due) at the start unless a backoff delays it.
 */
export type NewRunInfo = Pick<
  ExecutionInfo,
  'namespaceId' | 'namespace' | 'workflowId' | 'runId' | 'firstRunId' | 'workflowType' | 'taskQueue' | 'createRequestId' | 'startTimeMs'
> &
  Partial<
    Pick<
      ExecutionInfo,
      | 'workflowTaskTimeoutMs'
      | 'runTimeoutMs'
      | 'executionTimeoutMs'
      | 'attempt'
      | 'retryPolicy'
      | 'cronSchedule'
      | 'executionExpirationMs'
      | 'executionTimeMs'
      | 'parent'
    >
  >;

/**
 * The execution info of a run being created (a start, the next run of a chain, a schedule's
 * execution): running, nothing completed, no memo or search attributes yet (the caller encodes them).
 */
export function newExecutionInfo(r: NewRunInfo): ExecutionInfo {
  const executionTimeMs = r.executionTimeMs ?? r.startTimeMs;
  return {
    namespaceId: r.namespaceId,
    namespace: r.namespace,
    workflowId: r.workflowId,
    runId: r.runId,
    firstRunId: r.firstRunId,
    workflowType: r.workflowType,
    taskQueue: r.taskQueue,
    workflowTaskTimeoutMs: r.workflowTaskTimeoutMs ?? 0,
    runTimeoutMs: r.runTimeoutMs ?? 0,
    executionTimeoutMs: r.executionTimeoutMs ?? 0,
    startTimeMs: r.startTimeMs,
    closeTimeMs: 0,
    createRequestId: r.createRequestId,
    state: 'running',
    cancelRequested: false,
    lastCompletedWorkflowTaskStartedEventId: 0,
    completionEventId: 0,
    memoB64: undefined,
    searchAttributesB64: undefined,
    attempt: r.attempt ?? 1,
    retryPolicy: r.retryPolicy,
    cronSchedule: r.cronSchedule,
    executionExpirationMs: r.executionExpirationMs ?? 0,
    firstTaskBackoffPending: executionTimeMs > r.startTimeMs,
    executionTimeMs,
    parent: r.parent,
  };
}

/** The mutable state of a run nothing has happened to yet: its execution info, every collection empty. */
export function newMutableState(execution: ExecutionInfo, nextEventId = 1): MutableState {
  return {
    execution,
    nextEventId,
    lastTxnId: 0,
    workflowTask: undefined,
    activities: {},
    timers: {},
    bufferedEvents: [],
    signalRequestIds: [],
    historySizeBytes: 0,
    children: {},
    externalRequests: {},
    updates: {},
  };
}

export function encodeMutableState(ms: MutableState): DataBlob {
  return jsonBlob(ms, FORMAT.mutableState);
}

/**
 * Reads json/v2; any other format is refused with its name. 0.1.x's json/v1 was converted by 0.2.x
 * (when a run changed and by its background rewrite), which this release requires done before it starts.
 */
export function decodeMutableState(blob: DataBlob): MutableState {
  return readJsonBlob<MutableState>(blob, FORMAT.mutableState, READABLE.mutableState);
}

/** Temporal's persisted execution "state" (enums.v1 WorkflowExecutionState semantics). */
export const EXECUTION_STATE = { created: 1, running: 2, completed: 3 } as const;
