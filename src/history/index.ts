/**
 * The history service: what the frontend and matching may call, and its lifecycle. It owns the
 * shards, mutable state, the transfer / timer / visibility queues and the background data-format
 * rewrite; it reaches matching, namespaces and visibility only through the ports it is built with
 * (MatchingClient, NamespaceLookup, visibility's VisibilityWriter). Implemented by HistoryHandler
 * over the HistoryEngine; one module per API under ./api.
 */
import { temporal, type IFailure } from '../common/proto';
import type { NamespaceRef, SignalToDeliver, StartResult } from './api/start-workflow';
import type { ActivityTaskToken, WorkflowTaskToken } from './api/task-token';
import type { UpdateStatus } from './api/update-workflow';
import type { ResetOptions } from './api/reset-workflow';
import type { ActivitySelector } from './api/pause-activity';
import { HistoryHandler, type HistoryServiceDeps } from './handler';
import type { ActivityTaskRef, PollActivityTaskQueueResponse, PollWorkflowTaskQueueResponse, WorkflowTaskRef } from './matching-client';
import type { WorkflowExecution, WorkflowTaskCompletedOutcome } from './types';
import type { CrossShardCalls } from './cross-shard';
import ws = temporal.api.workflowservice.v1;

export type { HistoryServiceDeps } from './handler';
export type { ClosedChild, CrossShardCalls, ExternalRequest } from './cross-shard';
export type { ParentInfo } from './mutable-state';
export { queryShardId } from './api/query-workflow';
export type { HistoryEngineOptions, NamespaceLookup } from './engine';
export type { ShardLossReporter } from './shard';
export type { ActivityTaskRef, MatchingClient, PollActivityTaskQueueResponse, PollWorkflowTaskQueueResponse, WorkflowTaskRef } from './matching-client';
export type { WorkflowExecution, WorkflowTaskCompletedOutcome } from './types';
export type { NamespaceRef, SignalToDeliver, StartResult } from './api/start-workflow';
export type { UpdateStatus } from './api/update-workflow';
export type { ResetOptions } from './api/reset-workflow';
export type { ActivitySelector } from './api/pause-activity';
export { checkSelector as checkActivitySelector } from './api/pause-activity';
export type { ActivityTaskToken, TaskToken, WorkflowTaskToken } from './api/task-token';
// What the frontend's request checks share with history: task and page token formats, size limits, cron.
export { decodeToken as decodeTaskToken } from './api/task-token';
export { decodePageToken as decodeHistoryPageToken } from './api/get-history';
export { decodeReversePageToken as decodeReverseHistoryPageToken } from './api/get-history-reverse';
export { maskedFields as workflowOptionsMaskFields } from './api/update-workflow-options';
export { DEFAULT_LIMITS, blobLimitSentence, blobVerdict, memoSize, payloadsSize, type Limits } from './limits';
export { nextCronTimeMs } from './cron';
export { encodedBytesOf } from './encoded-history';
export { scheduleIdOf, schedulerWorkflowId, SCHEDULER_NAMESPACE_DIVISION, SCHEDULER_WORKFLOW_TYPE } from './schedules/stored-schedule';

type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

export interface HistoryService {
  // ---------------------------------------------------------------- lifecycle
  /**
   * Acquires every shard (`onShardProgress` hears each) and starts the shards' queue processors; a
   * cluster member acquires only `shardIds`, the ones the membership gives it.
   */
  start(onShardProgress?: (done: number, total: number) => void, shardIds?: readonly number[]): Promise<void>;
  /** A cluster member's shards changed: release those not in `owned`, acquire (or re-acquire when lost) those in it. */
  rebalance(owned: ReadonlySet<number>, onProgress?: (done: number, total: number) => void): Promise<void>;
  /** The shards this process serves now. */
  ownedShards(): number[];
  /** Whether this process serves the shard now. */
  ownsShard(shardId: number): boolean;
  /** Starts converting rows left in an older data format (once this version is active). */
  startDataRewrite(): Promise<void>;
  /** Stops the rewrite (after its batch) and the queue processors. */
  stop(): Promise<void>;
  /** How long a long poll inside history (history, update) waits at most. */
  readonly longPollTimeoutMs: number;

  // ---------------------------------------------------------------- workflows (frontend)
  startWorkflow(ns: NamespaceRef, req: ws.IStartWorkflowExecutionRequest): Promise<StartResult>;
  signalWithStart(ns: NamespaceRef, req: ws.ISignalWithStartWorkflowExecutionRequest): Promise<StartResult>;
  signal(namespaceId: string, ex: WorkflowExecution, s: SignalToDeliver): Promise<void>;
  requestCancel(namespaceId: string, ex: WorkflowExecution, reason: string, identity: string, requestId: string): Promise<void>;
  terminate(namespaceId: string, ex: WorkflowExecution, reason: string, details: Payloads, identity: string): Promise<void>;
  describe(namespaceId: string, ex: WorkflowExecution): Promise<ws.IDescribeWorkflowExecutionResponse>;
  /** A page of history; with waitNewEvent, a long poll (`signal` ends it early). */
  getHistory(
    namespaceId: string,
    ex: WorkflowExecution,
    req: ws.IGetWorkflowExecutionHistoryRequest,
    signal?: AbortSignal,
  ): Promise<ws.IGetWorkflowExecutionHistoryResponse>;
  query(
    namespaceId: string,
    ex: WorkflowExecution,
    query: temporal.api.query.v1.IWorkflowQuery,
    timeoutMs: number,
  ): Promise<ws.IRespondQueryTaskCompletedRequest>;
  /** UpdateWorkflowExecution: admit (or find) the update and wait for `stage` at most `timeoutMs`. */
  updateWorkflow(
    namespaceId: string,
    ex: WorkflowExecution,
    request: temporal.api.update.v1.IRequest,
    stage: number,
    timeoutMs: number,
    signal?: AbortSignal,
    firstExecutionRunId?: string | null,
  ): Promise<UpdateStatus & { runId: string }>;
  pollUpdate(
    namespaceId: string,
    ex: WorkflowExecution,
    updateId: string,
    stage: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<UpdateStatus & { runId: string }>;
  /** ResetWorkflowExecution: a new run from a workflow task event of `ex` (api/reset-workflow.ts). */
  resetWorkflow(namespaceId: string, ex: WorkflowExecution, opts: ResetOptions): Promise<{ runId: string }>;
  /** DeleteWorkflowExecution: terminate when running, then delete the run's data and visibility record. */
  deleteWorkflow(namespaceId: string, ex: WorkflowExecution, identity: string): Promise<void>;
  getHistoryReverse(
    namespaceId: string,
    ex: WorkflowExecution,
    req: ws.IGetWorkflowExecutionHistoryReverseRequest,
  ): Promise<ws.IGetWorkflowExecutionHistoryReverseResponse>;
  resetStickyTaskQueue(namespaceId: string, ex: WorkflowExecution): Promise<void>;
  updateWorkflowOptions(
    namespaceId: string,
    ex: WorkflowExecution,
    options: temporal.api.workflow.v1.IWorkflowExecutionOptions,
    maskPaths: readonly string[],
    identity: string,
  ): Promise<ws.IUpdateWorkflowExecutionOptionsResponse>;
  /** The task token of an activity's current attempt, for the ...ById calls (`startIfScheduled`: complete / fail / cancel by id). */
  activityTokenById(namespaceId: string, ex: WorkflowExecution, activityId: string, startIfScheduled?: { identity: string }): Promise<ActivityTaskToken>;
  /** PauseActivity / UnpauseActivity (api/pause-activity.ts). */
  pauseActivity(namespaceId: string, ex: WorkflowExecution, sel: ActivitySelector): Promise<void>;
  unpauseActivity(namespaceId: string, ex: WorkflowExecution, sel: ActivitySelector, resetAttempts: boolean): Promise<void>;
  /** A legacy query task's answer. */
  respondQuery(queryId: string, req: ws.IRespondQueryTaskCompletedRequest): void;

  // ---------------------------------------------------------------- schedules (frontend; schedules/driver.ts)
  createSchedule(ns: NamespaceRef, req: ws.ICreateScheduleRequest): Promise<{ conflictToken: Uint8Array }>;
  describeSchedule(namespaceId: string, scheduleId: string): Promise<ws.IDescribeScheduleResponse>;
  updateSchedule(namespaceId: string, req: ws.IUpdateScheduleRequest): Promise<void>;
  patchSchedule(namespaceId: string, scheduleId: string, patch: temporal.api.schedule.v1.ISchedulePatch): Promise<void>;
  deleteSchedule(namespaceId: string, scheduleId: string): Promise<void>;
  listScheduleMatchingTimes(namespaceId: string, scheduleId: string, startMs: number, endMs: number): Promise<ws.IListScheduleMatchingTimesResponse>;
  /** The ListSchedules entry of a schedule (undefined: deleted meanwhile). */
  scheduleListEntry(namespaceId: string, scheduleId: string): Promise<temporal.api.schedule.v1.IScheduleListEntry | undefined>;

  // ---------------------------------------------------------------- tasks (matching and the frontend)
  /** Matching: a poller took this workflow task (or `queryId`'s legacy query task below). */
  recordWorkflowTaskStarted(task: WorkflowTaskRef, identity: string, sticky?: boolean): Promise<PollWorkflowTaskQueueResponse>;
  buildQueryTask(queryId: string): Promise<PollWorkflowTaskQueueResponse | undefined>;
  recordActivityTaskStarted(task: ActivityTaskRef, identity: string): Promise<PollActivityTaskQueueResponse>;
  respondWorkflowTaskCompleted(token: WorkflowTaskToken, req: ws.IRespondWorkflowTaskCompletedRequest): Promise<WorkflowTaskCompletedOutcome>;
  respondWorkflowTaskFailed(token: WorkflowTaskToken, req: ws.IRespondWorkflowTaskFailedRequest): Promise<void>;
  heartbeat(token: ActivityTaskToken, details: Payloads): Promise<{ cancelRequested: boolean; activityPaused?: boolean }>;
  activityCompleted(token: ActivityTaskToken, result: Payloads, identity: string): Promise<void>;
  activityFailed(token: ActivityTaskToken, failure: IFailure | null | undefined, lastHeartbeatDetails: Payloads, identity: string): Promise<void>;
  activityCanceled(token: ActivityTaskToken, details: Payloads, identity: string): Promise<void>;

  // ---------------------------------------------------------------- other executions (another shard owner's transfer tasks)
  startChild: CrossShardCalls['startChild'];
  childClosed: CrossShardCalls['childClosed'];
  applyParentClosePolicy: CrossShardCalls['applyParentClosePolicy'];
  requestExternal: CrossShardCalls['requestExternal'];
  scheduleStart: CrossShardCalls['scheduleStart'];
  scheduleRunStatus: CrossShardCalls['scheduleRunStatus'];
  scheduleStopRun: CrossShardCalls['scheduleStopRun'];
  scheduledRunClosed: CrossShardCalls['scheduledRunClosed'];
}

export function createHistoryService(deps: HistoryServiceDeps): HistoryService {
  return new HistoryHandler(deps);
}
