/**
 * The activity's lifecycle as a transition table (server-side retries write no events):
 *
 *   (new) --schedule--> scheduled --start--> started --complete / cancel--> closed
 *                                            started --fail / start-to-close / heartbeat timeout--> backoff | closed
 *   backoff --retry--> scheduled (attempt + 1)
 *   scheduled | backoff --request-cancel--> closed;  started --request-cancel--> started (told on heartbeat)
 *   scheduled --schedule-to-start timeout--> closed;  any --schedule-to-close timeout / abandon--> closed
 *
 * A closed activity leaves the mutable state. ActivityTaskStarted is written only when the activity
 * closes, with its final attempt (as Temporal does). Closing one schedules a workflow task; abandoning
 * one (its run closed) writes nothing.
 *
 * Room for later rows (issue 14): pause / unpause / reset (scheduled | started | backoff --pause--> paused ...).
 */
import { api, fromB64, num, RetryState, toB64, type IFailure, type IPayloads } from '../../common/proto';
import type { MutationContext } from '../context';
import type { ActivityInfo, RetryPolicyJson } from '../mutable-state';
import { decideRetry } from '../retry';
import type { ActivityTimeoutKind } from '../tasks';
import { StateMachine } from './machine';
import type { ActivityState } from './states';
import { scheduleWorkflowTask } from './workflow-task';

const ScheduleAttrs = api.command.v1.ScheduleActivityTaskCommandAttributes;
const Payloads = api.common.v1.Payloads;
const Failure = api.failure.v1.Failure;

/** Activity timeouts as Temporal resolves them (0 = none). */
export interface ActivityTimeouts {
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
}

/** A ScheduleActivityTask command, its timeouts, task queue and retry policy resolved (commands/activity.ts). */
export interface ScheduleActivity {
  /** the attributes as written in ActivityTaskScheduled and handed to the worker (ScheduleActivityTaskCommandAttributes) */
  resolved: object;
  activityId: string;
  activityType: string;
  taskQueue: string;
  timeouts: ActivityTimeouts;
  retryPolicy: RetryPolicyJson;
  workflowTaskCompletedEventId: number;
}

export interface ActivityActions {
  schedule: ScheduleActivity;
  start: { identity: string };
  heartbeat: { details: IPayloads | null | undefined };
  complete: { result: IPayloads | null | undefined; identity: string };
  /** `lastHeartbeatDetails`: the details the worker had not sent yet count as the last heartbeat */
  fail: { failure: IFailure; identity: string; lastHeartbeatDetails?: IPayloads | null };
  /** the worker reports the activity canceled */
  cancel: { details: IPayloads | null | undefined; identity: string };
  /** RequestCancelActivityTask command */
  'request-cancel': { workflowTaskCompletedEventId: number; identity: string };
  'schedule-to-start-timeout': void;
  'schedule-to-close-timeout': void;
  'start-to-close-timeout': void;
  'heartbeat-timeout': void;
  /** the retry backoff is over: the next attempt goes to matching */
  retry: void;
  /** the run closed (terminate, run timeout): the activity is dropped without events */
  abandon: void;
}

export const activityMachine = new StateMachine<ActivityState, ActivityActions, MutationContext, ActivityInfo>(
  {
    entity: 'activity',
    describe: (ctx, a) => `activity ${a.activityId} (scheduled event ${a.scheduledEventId}) of ${ctx.ms.execution.workflowId}/${ctx.ms.execution.runId}`,
    stateOf: (a) => a.state,
    setState: (a, s) => {
      a.state = s;
    },
    final: { states: ['closed'], remove: (ctx, a) => delete ctx.ms.activities[String(a.scheduledEventId)] },
  },
  (t) => {
    t.create('schedule', 'scheduled', schedule);
    t.on('scheduled', 'start', 'started', start);
    t.on('started', 'heartbeat', 'started', heartbeat);
    t.on('started', 'complete', 'closed', complete);
    t.on('started', 'fail', ['backoff', 'closed'], (ctx, a, p) => {
      // activity_failure_include_heartbeat: the next attempt starts from them; a timeout failure carries them
      if (p.lastHeartbeatDetails) a.heartbeatDetailsB64 = toB64(Payloads, p.lastHeartbeatDetails);
      return failOrRetry(ctx, a, p.failure, { kind: 'fail', identity: p.identity });
    });
    t.on('started', 'cancel', 'closed', reportCanceled);
    t.on(['scheduled', 'backoff'], 'request-cancel', 'closed', cancelBeforeStart);
    t.on('started', 'request-cancel', 'started', recordCancelRequest);
    t.on('started', 'start-to-close-timeout', ['backoff', 'closed'], (ctx, a) => timeOutOrRetry(ctx, a, 'start-to-close'));
    t.on('started', 'heartbeat-timeout', ['started', 'backoff', 'closed'], heartbeatTimeout);
    t.on('scheduled', 'schedule-to-start-timeout', 'closed', (ctx, a) => timeOut(ctx, a, 'schedule-to-start', 0));
    t.on(['scheduled', 'backoff'], 'schedule-to-close-timeout', 'closed', (ctx, a) => timeOut(ctx, a, 'schedule-to-close', 0));
    t.on('started', 'schedule-to-close-timeout', 'closed', (ctx, a) => timeOut(ctx, a, 'schedule-to-close', writeStarted(ctx, a)));
    t.on('backoff', 'retry', 'scheduled', retry);
    t.on(['scheduled', 'started', 'backoff'], 'abandon', 'closed', () => undefined);
  },
);

function schedule(ctx: MutationContext, p: ScheduleActivity): ActivityInfo {
  const t = p.timeouts;
  const ev = ctx.addEvent('EVENT_TYPE_ACTIVITY_TASK_SCHEDULED', { ...p.resolved, workflowTaskCompletedEventId: p.workflowTaskCompletedEventId })!;
  const scheduledEventId = num(ev.eventId);
  const info: ActivityInfo = {
    state: 'scheduled',
    scheduledEventId,
    activityId: p.activityId,
    activityType: p.activityType,
    taskQueue: p.taskQueue,
    attributesB64: toB64(ScheduleAttrs, p.resolved),
    scheduledTimeMs: ctx.nowMs,
    attempt: 1,
    currentAttemptScheduledTimeMs: ctx.nowMs,
    startedTimeMs: 0,
    startedIdentity: '',
    requestId: '',
    ...t,
    retryPolicy: p.retryPolicy,
    lastHeartbeatMs: 0,
    heartbeatDetailsB64: undefined,
    lastFailureB64: undefined,
    cancelRequested: false,
    cancelRequestedEventId: 0,
  };
  ctx.ms.activities[String(scheduledEventId)] = info;
  ctx.addTransfer({ type: 'activity-task', scheduledEventId, attempt: 1, taskQueue: p.taskQueue });
  if (t.scheduleToCloseMs > 0) {
    ctx.addTimer(ctx.nowMs + t.scheduleToCloseMs, { type: 'activity-timeout', scheduledEventId, attempt: 0, timeoutType: 'schedule-to-close' });
  }
  armScheduleToStart(ctx, info);
  return info;
}

/**
 * The schedule-to-start timer of the current attempt, armed whenever the timeout is set (as Temporal;
 * it defaults to schedule-to-close). When it is due at the same time as schedule-to-close, the
 * schedule-to-start timeout wins: see `timeoutKindAt`.
 */
function armScheduleToStart(ctx: MutationContext, a: ActivityInfo): void {
  if (a.scheduleToStartMs <= 0) return;
  ctx.addTimer(ctx.nowMs + a.scheduleToStartMs, {
    type: 'activity-timeout',
    scheduledEventId: a.scheduledEventId,
    attempt: a.attempt,
    timeoutType: 'schedule-to-start',
  });
}

/**
 * Which timeout a fired activity timer stands for. Temporal orders an activity's expired timers by
 * deadline, then by timeout type (START_TO_CLOSE, SCHEDULE_TO_START, SCHEDULE_TO_CLOSE, HEARTBEAT)
 * and applies the first: so a schedule-to-close timer firing for an attempt that never started,
 * whose schedule-to-start deadline is not later, is a SCHEDULE_TO_START timeout (the two timers fire
 * in either order here; this keeps the outcome Temporal's).
 */
export function timeoutKindAt(a: ActivityInfo, kind: ActivityTimeoutKind): ActivityTimeoutKind {
  if (kind !== 'schedule-to-close' || a.state !== 'scheduled' || a.scheduleToStartMs <= 0) return kind;
  const scheduleToStartDue = a.currentAttemptScheduledTimeMs + a.scheduleToStartMs;
  const scheduleToCloseDue = a.scheduledTimeMs + a.scheduleToCloseMs;
  return scheduleToStartDue <= scheduleToCloseDue ? 'schedule-to-start' : kind;
}

function start(ctx: MutationContext, a: ActivityInfo, { identity }: { identity: string }): void {
  a.startedTimeMs = ctx.nowMs;
  a.startedIdentity = identity;
  a.lastHeartbeatMs = ctx.nowMs;
  ctx.touch();
  if (a.startToCloseMs > 0) {
    ctx.addTimer(ctx.nowMs + a.startToCloseMs, {
      type: 'activity-timeout',
      scheduledEventId: a.scheduledEventId,
      attempt: a.attempt,
      timeoutType: 'start-to-close',
    });
  }
  if (a.heartbeatMs > 0) {
    ctx.addTimer(ctx.nowMs + a.heartbeatMs, { type: 'activity-timeout', scheduledEventId: a.scheduledEventId, attempt: a.attempt, timeoutType: 'heartbeat' });
  }
}

function heartbeat(ctx: MutationContext, a: ActivityInfo, { details }: ActivityActions['heartbeat']): void {
  a.lastHeartbeatMs = ctx.nowMs;
  if (details) a.heartbeatDetailsB64 = toB64(Payloads, details);
  ctx.touch();
}

/** The ActivityTaskStarted event written when the activity closes; returns its id. */
function writeStarted(ctx: MutationContext, a: ActivityInfo): number {
  const ev = ctx.addEvent('EVENT_TYPE_ACTIVITY_TASK_STARTED', {
    scheduledEventId: a.scheduledEventId,
    identity: a.startedIdentity,
    requestId: `${a.scheduledEventId}-${a.attempt}`,
    attempt: a.attempt,
    lastFailure: a.lastFailureB64 ? fromB64(Failure, a.lastFailureB64) : undefined,
  });
  // while a workflow task is started events are buffered and get ids later; the buffered started
  // event always directly precedes the close event, so its id is the close event's id - 1 then
  return ev ? num(ev.eventId) : -1;
}

function complete(ctx: MutationContext, a: ActivityInfo, { result, identity }: ActivityActions['complete']): void {
  const startedEventId = writeStarted(ctx, a);
  ctx.addEvent('EVENT_TYPE_ACTIVITY_TASK_COMPLETED', { scheduledEventId: a.scheduledEventId, startedEventId, result, identity });
  scheduleWorkflowTask(ctx);
}

function reportCanceled(ctx: MutationContext, a: ActivityInfo, { details, identity }: ActivityActions['cancel']): void {
  const startedEventId = writeStarted(ctx, a);
  ctx.addEvent('EVENT_TYPE_ACTIVITY_TASK_CANCELED', {
    scheduledEventId: a.scheduledEventId,
    startedEventId,
    latestCancelRequestedEventId: a.cancelRequestedEventId,
    details,
    identity,
  });
  scheduleWorkflowTask(ctx);
}

function recordCancelRequest(ctx: MutationContext, a: ActivityInfo, p: ActivityActions['request-cancel']): void {
  const ev = ctx.addEvent('EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED', {
    scheduledEventId: a.scheduledEventId,
    workflowTaskCompletedEventId: p.workflowTaskCompletedEventId,
  });
  a.cancelRequested = true;
  a.cancelRequestedEventId = num(ev!.eventId);
}

/** Not started: canceled at once, in the same workflow task completion (no new workflow task for it). */
function cancelBeforeStart(ctx: MutationContext, a: ActivityInfo, p: ActivityActions['request-cancel']): void {
  recordCancelRequest(ctx, a, p);
  ctx.addEvent('EVENT_TYPE_ACTIVITY_TASK_CANCELED', {
    scheduledEventId: a.scheduledEventId,
    startedEventId: 0,
    latestCancelRequestedEventId: a.cancelRequestedEventId,
    identity: p.identity,
  });
}

const TIMEOUT_TYPE: Record<ActivityTimeoutKind, string> = {
  'schedule-to-start': 'TIMEOUT_TYPE_SCHEDULE_TO_START',
  'schedule-to-close': 'TIMEOUT_TYPE_SCHEDULE_TO_CLOSE',
  'start-to-close': 'TIMEOUT_TYPE_START_TO_CLOSE',
  heartbeat: 'TIMEOUT_TYPE_HEARTBEAT',
};

function timeoutFailure(a: ActivityInfo, kind: ActivityTimeoutKind): IFailure {
  return {
    message: `activity ${kind.replace(/-/g, ' ')} timeout`,
    source: 'Server',
    timeoutFailureInfo: {
      timeoutType: TIMEOUT_TYPE[kind] as never,
      lastHeartbeatDetails: a.heartbeatDetailsB64 ? fromB64(Payloads, a.heartbeatDetailsB64) : undefined,
    },
  };
}

type Closing = { kind: 'fail'; identity: string } | { kind: 'time-out'; timeoutType: string };

/** A started attempt failed or timed out: the retry policy decides between the next attempt and the close. */
function failOrRetry(ctx: MutationContext, a: ActivityInfo, failure: IFailure, how: Closing): ActivityState {
  const deadline = a.scheduleToCloseMs > 0 ? a.scheduledTimeMs + a.scheduleToCloseMs : 0;
  const decision = a.cancelRequested
    ? { retry: false as const, retryState: RetryState.RETRY_STATE_CANCEL_REQUESTED }
    : decideRetry(a.retryPolicy, a.attempt, failure, ctx.nowMs, deadline);
  if (decision.retry) {
    a.lastFailureB64 = toB64(Failure, failure);
    ctx.touch();
    ctx.addTimer(ctx.nowMs + decision.delayMs, { type: 'activity-retry', scheduledEventId: a.scheduledEventId, attempt: a.attempt });
    return 'backoff';
  }
  const startedEventId = writeStarted(ctx, a);
  if (how.kind === 'fail') {
    ctx.addEvent('EVENT_TYPE_ACTIVITY_TASK_FAILED', {
      scheduledEventId: a.scheduledEventId,
      startedEventId,
      failure,
      retryState: decision.retryState,
      identity: how.identity,
    });
  } else {
    ctx.addEvent('EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT', {
      scheduledEventId: a.scheduledEventId,
      startedEventId,
      failure,
      retryState: decision.retryState,
      timeoutType: how.timeoutType,
    });
  }
  scheduleWorkflowTask(ctx);
  return 'closed';
}

function timeOutOrRetry(ctx: MutationContext, a: ActivityInfo, kind: 'start-to-close' | 'heartbeat'): ActivityState {
  return failOrRetry(ctx, a, timeoutFailure(a, kind), { kind: 'time-out', timeoutType: TIMEOUT_TYPE[kind] });
}

/** The heartbeat timer fired: a heartbeat since it was armed moves the deadline (the timer is re-armed). */
function heartbeatTimeout(ctx: MutationContext, a: ActivityInfo): ActivityState {
  const due = a.lastHeartbeatMs + a.heartbeatMs;
  if (due > ctx.nowMs) {
    ctx.addTimer(due, { type: 'activity-timeout', scheduledEventId: a.scheduledEventId, attempt: a.attempt, timeoutType: 'heartbeat' });
    return 'started';
  }
  return timeOutOrRetry(ctx, a, 'heartbeat');
}

/**
 * Schedule-to-start and schedule-to-close: never retried. `startedEventId`: the ActivityTaskStarted
 * written for a started attempt (0 when none was).
 */
function timeOut(ctx: MutationContext, a: ActivityInfo, kind: 'schedule-to-start' | 'schedule-to-close', startedEventId: number): void {
  ctx.addEvent('EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT', {
    scheduledEventId: a.scheduledEventId,
    startedEventId,
    failure: timeoutFailure(a, kind),
    retryState: kind === 'schedule-to-close' ? 'RETRY_STATE_TIMEOUT' : 'RETRY_STATE_NON_RETRYABLE_FAILURE',
  });
  scheduleWorkflowTask(ctx);
}

function retry(ctx: MutationContext, a: ActivityInfo): void {
  a.attempt += 1;
  a.currentAttemptScheduledTimeMs = ctx.nowMs;
  a.startedTimeMs = 0;
  ctx.touch();
  ctx.addTransfer({ type: 'activity-task', scheduledEventId: a.scheduledEventId, attempt: a.attempt, taskQueue: a.taskQueue });
  armScheduleToStart(ctx, a);
}
