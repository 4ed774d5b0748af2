/**
 * The durable state of one schedule (its "mutable state"): what CreateSchedule sets up and every
 * later step changes, in plain values (times in epoch ms) so any store can serialize it, plus the
 * validation of what a client may put into it.
 * Owns: the record's shape, its defaults (overlap SKIP, catch-up window one year and at least 10s),
 * building it from a CreateScheduleRequest, and checking schedules and actions from clients.
 * Does not own: how it changes over time (scheduler.ts) or how it is stored (the store, later).
 */
import { InvalidArgumentError } from '../common/errors';
import { temporal } from '../common/proto';
import type { StartOrigin } from './ids';
import { OverlapPolicy } from './overlap';
import { CompiledSpec, durationMs } from './spec';

type INewWorkflowExecutionInfo = temporal.api.workflow.v1.INewWorkflowExecutionInfo;
type IPayloads = temporal.api.common.v1.IPayloads;
type IFailure = temporal.api.failure.v1.IFailure;
type Status = temporal.api.enums.v1.WorkflowExecutionStatus;

export const DEFAULT_CATCHUP_WINDOW_MS = 365 * 24 * 3600_000;
export const MIN_CATCHUP_WINDOW_MS = 10_000;
/** Buffered starts beyond this are dropped (counted in buffer_dropped), as Temporal. */
export const MAX_BUFFER_SIZE = 1000;
export const RECENT_ACTIONS = 10;
export const FUTURE_ACTIONS = 10;
export const LIST_RECENT_ACTIONS = 5;
export const LIST_FUTURE_ACTIONS = 5;
/** How long a schedule with nothing left to do lives on before it may be deleted (as Temporal). */
export const IDLE_RETENTION_MS = 7 * 24 * 3600_000;
/** Longest ID a schedule may have: its internal workflow id "temporal-sys-scheduler:<id>" fits Temporal's 1000. */
export const MAX_ID_LENGTH = 1000;
const SCHEDULER_WORKFLOW_ID_PREFIX = 'temporal-sys-scheduler:';
/** The example suffix Temporal validates action workflow ids with. */
const APPENDED_TIMESTAMP_FOR_VALIDATION = '-2009-11-10T23:00:00Z';

export interface SchedulePolicies {
  overlapPolicy: OverlapPolicy;
  /** as given; 0 = the default (one year); evaluation uses at least MIN_CATCHUP_WINDOW_MS */
  catchupWindowMs: number;
  pauseOnFailure: boolean;
  keepOriginalWorkflowId: boolean;
}

export interface ScheduleStateFields {
  notes: string;
  paused: boolean;
  limitedActions: boolean;
  remainingActions: number;
}

/** A start waiting to happen: from the spec, a trigger or a backfill. */
export interface BufferedStart {
  nominalTime: number;
  actualTime: number;
  /** UNSPECIFIED: resolved to the schedule's policy when decided */
  overlapPolicy: OverlapPolicy;
  /** trigger or backfill: ignores paused, remaining actions and the catch-up window */
  manual: boolean;
  origin: StartOrigin;
  /** the start request id (ids.ts startRequestId): the same start, retried, carries the same id */
  requestId: string;
  /** failed start attempts so far (transient errors) */
  attempts: number;
}

export interface OngoingBackfill {
  backfillId: string;
  /** exclusive: the next time processed is after this */
  startTime: number;
  endTime: number;
  overlapPolicy: OverlapPolicy;
}

export interface RunningWorkflow {
  workflowId: string;
  /** the run the schedule started (later runs of its chain are followed by workflow id) */
  runId: string;
}

export interface ActionResult {
  /** the time the action was due (nominal plus jitter) */
  scheduleTime: number;
  /** when the workflow actually started */
  actualTime: number;
  workflowId: string;
  runId: string;
  status: Status;
}

export interface ScheduleInfo {
  actionCount: number;
  missedCatchupWindow: number;
  overlapSkipped: number;
  bufferDropped: number;
  runningWorkflows: RunningWorkflow[];
  recentActions: ActionResult[];
  createTime: number;
  updateTime: number | undefined;
  /** set when the spec cannot be evaluated any more (SpecComputeLimitError) */
  invalidScheduleError: string;
}

export interface ScheduleInternal {
  /** every spec time up to here has been handled (started, buffered, skipped or missed) */
  lastProcessedTime: number;
  /** bumped by every change of the schedule or its state; UpdateSchedule may require it */
  conflictToken: number;
  bufferedStarts: BufferedStart[];
  ongoingBackfills: OngoingBackfill[];
  /** refresh the status of running workflows before the next decision */
  needRefresh: boolean;
  /** when a failed start is due for another attempt */
  retryAt: number | undefined;
  lastCompletionResult: IPayloads | undefined;
  continuedFailure: IFailure | undefined;
}

export interface ScheduleRecord {
  namespace: string;
  namespaceId: string;
  scheduleId: string;
  /** canonical (CompiledSpec.toProto) */
  spec: temporal.api.schedule.v1.IScheduleSpec;
  action: INewWorkflowExecutionInfo | undefined;
  policies: SchedulePolicies;
  state: ScheduleStateFields;
  memo: temporal.api.common.v1.IMemo | undefined;
  searchAttributes: temporal.api.common.v1.ISearchAttributes | undefined;
  info: ScheduleInfo;
  internal: ScheduleInternal;
}

/** UNSPECIFIED -> the schedule's policy -> SKIP. */
export function resolveOverlapPolicy(p: OverlapPolicy | null | undefined, schedulePolicy?: OverlapPolicy): OverlapPolicy {
  if (p) return p;
  if (schedulePolicy) return schedulePolicy;
  return OverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP;
}

export function effectiveCatchupWindowMs(p: SchedulePolicies): number {
  if (p.catchupWindowMs <= 0) return DEFAULT_CATCHUP_WINDOW_MS;
  return Math.max(p.catchupWindowMs, MIN_CATCHUP_WINDOW_MS);
}

const nonNegative = (field: string, d: { seconds?: unknown; nanos?: number | null } | null | undefined) => {
  if (d && durationMs(d as never) < 0) throw new InvalidArgumentError(field, 'is negative');
};

/** A schedule id, as CreateSchedule accepts it. */
export function validateScheduleId(scheduleId: string | null | undefined): string {
  if (!scheduleId) throw new InvalidArgumentError('schedule_id', 'is not set: give the schedule an id');
  if (SCHEDULER_WORKFLOW_ID_PREFIX.length + scheduleId.length > MAX_ID_LENGTH) {
    throw new InvalidArgumentError('schedule_id', `is longer than ${MAX_ID_LENGTH - SCHEDULER_WORKFLOW_ID_PREFIX.length} characters`);
  }
  return scheduleId;
}

/** The start-workflow action, as Temporal validates it (reuse policy, cron and ids). */
export function validateStartWorkflowAction(a: INewWorkflowExecutionInfo | null | undefined): void {
  if (!a) return;
  const f = (name: string) => `schedule.action.start_workflow.${name}`;
  if (!a.workflowId) throw new InvalidArgumentError(f('workflow_id'), 'is not set: the base workflow id of the runs (the nominal time is appended)');
  if (a.workflowId.length + APPENDED_TIMESTAMP_FOR_VALIDATION.length > MAX_ID_LENGTH) {
    throw new InvalidArgumentError(
      f('workflow_id'),
      `is too long: with the appended time ("${APPENDED_TIMESTAMP_FOR_VALIDATION}") it must fit ${MAX_ID_LENGTH} characters`,
    );
  }
  if (!a.workflowType?.name) throw new InvalidArgumentError(f('workflow_type.name'), 'is not set: the workflow type the schedule starts');
  if (a.workflowType.name.length > MAX_ID_LENGTH) throw new InvalidArgumentError(f('workflow_type.name'), `is longer than ${MAX_ID_LENGTH} characters`);
  if (!a.taskQueue?.name) throw new InvalidArgumentError(f('task_queue.name'), 'is not set: the task queue of the runs');
  if (a.taskQueue.name.startsWith('/_sys/')) throw new InvalidArgumentError(f('task_queue.name'), 'names an internal task queue');
  nonNegative(f('workflow_execution_timeout'), a.workflowExecutionTimeout);
  nonNegative(f('workflow_run_timeout'), a.workflowRunTimeout);
  nonNegative(f('workflow_task_timeout'), a.workflowTaskTimeout);
  if (a.cronSchedule) throw new InvalidArgumentError(f('cron_schedule'), 'is not allowed in a schedule action: put the cron string in the schedule spec');
  const reuse = a.workflowIdReusePolicy ?? 0;
  if (reuse !== 0 && reuse !== temporal.api.enums.v1.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE) {
    throw new InvalidArgumentError(f('workflow_id_reuse_policy'), 'must be unset or ALLOW_DUPLICATE in a schedule action');
  }
}

/** Policies with defaults (overlap resolved eagerly so Describe shows it, as Temporal). */
export function policiesFrom(p: temporal.api.schedule.v1.ISchedulePolicies | null | undefined): SchedulePolicies {
  const catchupWindowMs = p?.catchupWindow ? durationMs(p.catchupWindow) : 0;
  if (catchupWindowMs < 0) throw new InvalidArgumentError('schedule.policies.catchup_window', 'is negative');
  const overlap = p?.overlapPolicy ?? 0;
  if (!(overlap in OverlapPolicy) || typeof OverlapPolicy[overlap] !== 'string') {
    throw new InvalidArgumentError('schedule.policies.overlap_policy', `${String(overlap)} is not a ScheduleOverlapPolicy`);
  }
  return {
    overlapPolicy: resolveOverlapPolicy(overlap),
    catchupWindowMs: catchupWindowMs > 0 ? Math.max(catchupWindowMs, MIN_CATCHUP_WINDOW_MS) : DEFAULT_CATCHUP_WINDOW_MS,
    pauseOnFailure: Boolean(p?.pauseOnFailure),
    keepOriginalWorkflowId: Boolean(p?.keepOriginalWorkflowId),
  };
}

export function stateFrom(s: temporal.api.schedule.v1.IScheduleState | null | undefined): ScheduleStateFields {
  const remaining = Number(String(s?.remainingActions ?? 0));
  if (remaining < 0) throw new InvalidArgumentError('schedule.state.remaining_actions', 'is negative');
  return { notes: s?.notes ?? '', paused: Boolean(s?.paused), limitedActions: Boolean(s?.limitedActions), remainingActions: remaining };
}

/** Checks a whole Schedule from a client and returns its parts (nothing is changed when it throws). */
export function acceptSchedule(schedule: temporal.api.schedule.v1.ISchedule | null | undefined): {
  spec: temporal.api.schedule.v1.IScheduleSpec;
  action: INewWorkflowExecutionInfo | undefined;
  policies: SchedulePolicies;
  state: ScheduleStateFields;
} {
  const spec = CompiledSpec.compile(schedule?.spec).toProto();
  const action = schedule?.action?.startWorkflow ?? undefined;
  validateStartWorkflowAction(action);
  return { spec, action, policies: policiesFrom(schedule?.policies), state: stateFrom(schedule?.state) };
}

export interface NewScheduleInput {
  namespace: string;
  namespaceId: string;
  scheduleId: string;
  schedule: temporal.api.schedule.v1.ISchedule | null | undefined;
  memo?: temporal.api.common.v1.IMemo | null;
  searchAttributes?: temporal.api.common.v1.ISearchAttributes | null;
  now: number;
}

/** A new schedule's record (the initial patch is applied by the scheduler, see Scheduler.create). */
export function newScheduleRecord(input: NewScheduleInput): ScheduleRecord {
  const scheduleId = validateScheduleId(input.scheduleId);
  const accepted = acceptSchedule(input.schedule);
  return {
    namespace: input.namespace,
    namespaceId: input.namespaceId,
    scheduleId,
    ...accepted,
    memo: input.memo ?? undefined,
    searchAttributes: input.searchAttributes ?? undefined,
    info: {
      actionCount: 0,
      missedCatchupWindow: 0,
      overlapSkipped: 0,
      bufferDropped: 0,
      runningWorkflows: [],
      recentActions: [],
      createTime: input.now,
      updateTime: undefined,
      invalidScheduleError: '',
    },
    internal: {
      lastProcessedTime: input.now,
      conflictToken: 1,
      bufferedStarts: [],
      ongoingBackfills: [],
      needRefresh: false,
      retryAt: undefined,
      lastCompletionResult: undefined,
      continuedFailure: undefined,
    },
  };
}
