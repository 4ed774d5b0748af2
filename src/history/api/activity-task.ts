/**
 * The activity lifecycle: RecordActivityTaskStarted (from matching), heartbeats (which report
 * cancellation), completion / failure / cancellation, server-side retries and the four timeouts.
 * ActivityTaskStarted is written only when the activity closes, with its final attempt.
 */
import { NotFoundError } from '../../common/errors';
import { api, fromB64, msToTimestamp, num, RetryState, type temporal, toB64, type IFailure } from '../../common/proto';
import type { MutationContext } from '../context';
import type { HistoryEngine } from '../engine';
import type { ActivityTaskRef, PollActivityTaskQueueResponse } from '../matching-client';
import { isRunning, type ActivityInfo } from '../mutable-state';
import { decideRetry } from '../retry';
import { activityMachine } from '../state-machines';
import type { ExecutionKey } from '../../persistence';
import type { ActivityTimeoutKind } from '../tasks';
import { encodeToken, type ActivityTaskToken } from './task-token';
import { startTask } from './workflow-task';
import { blobLimitSentence, blobVerdict, failureSize, payloadsSize } from '../limits';

const ScheduleAttrs = api.command.v1.ScheduleActivityTaskCommandAttributes;
const Payloads = api.common.v1.Payloads;
const Failure = api.failure.v1.Failure;

export async function recordActivityTaskStarted(engine: HistoryEngine, task: ActivityTaskRef, identity: string): Promise<PollActivityTaskQueueResponse> {
  const ref: ExecutionKey = task;
  const { act, ms } = await startTask(engine, ref, (ctx) => {
    const act = ctx.ms.activities[String(task.scheduledEventId)];
    if (!isRunning(ctx.ms) || !act || act.attempt !== task.attempt || act.state !== 'scheduled') {
      throw new NotFoundError('activity task not found or already started', ref);
    }
    act.state = activityMachine.next(act.state, 'start');
    act.startedTimeMs = ctx.nowMs;
    act.startedIdentity = identity;
    act.lastHeartbeatMs = ctx.nowMs;
    ctx.touch();
    if (act.startToCloseMs > 0) {
      ctx.addTimer(ctx.nowMs + act.startToCloseMs, {
        type: 'activity-timeout',
        scheduledEventId: act.scheduledEventId,
        attempt: act.attempt,
        timeoutType: 'start-to-close',
      });
    }
    if (act.heartbeatMs > 0) {
      ctx.addTimer(ctx.nowMs + act.heartbeatMs, {
        type: 'activity-timeout',
        scheduledEventId: act.scheduledEventId,
        attempt: act.attempt,
        timeoutType: 'heartbeat',
      });
    }
    return { act: { ...act }, ms: { namespace: ctx.ms.execution.namespace, workflowType: ctx.ms.execution.workflowType } };
  });
  const attrs = fromB64(ScheduleAttrs, act.attributesB64);
  const token: ActivityTaskToken = {
    k: 'at',
    ns: ref.namespaceId,
    wid: ref.workflowId,
    rid: ref.runId,
    sched: act.scheduledEventId,
    attempt: act.attempt,
    aid: act.activityId,
  };
  return {
    taskToken: encodeToken(token),
    workflowNamespace: ms.namespace,
    workflowType: { name: ms.workflowType },
    workflowExecution: { workflowId: ref.workflowId, runId: ref.runId },
    activityType: attrs.activityType,
    activityId: act.activityId,
    header: attrs.header,
    input: attrs.input,
    heartbeatDetails: act.heartbeatDetailsB64 ? fromB64(Payloads, act.heartbeatDetailsB64) : undefined,
    scheduledTime: msToTimestamp(act.scheduledTimeMs),
    currentAttemptScheduledTime: msToTimestamp(act.currentAttemptScheduledTimeMs),
    startedTime: msToTimestamp(act.startedTimeMs),
    attempt: act.attempt,
    scheduleToCloseTimeout: attrs.scheduleToCloseTimeout,
    startToCloseTimeout: attrs.startToCloseTimeout,
    heartbeatTimeout: attrs.heartbeatTimeout,
    retryPolicy: attrs.retryPolicy,
  };
}

function startedActivity(ctx: MutationContext, token: ActivityTaskToken): ActivityInfo {
  const act = ctx.ms.activities[String(token.sched)];
  if (!isRunning(ctx.ms)) throw new NotFoundError('workflow execution already completed', { workflowId: token.wid, runId: token.rid });
  if (!act || act.attempt !== token.attempt || act.state !== 'started') {
    throw new NotFoundError('activity task not found', { workflowId: token.wid, runId: token.rid });
  }
  return act;
}

/** The ActivityTaskStarted event written when the activity closes; returns its id. */
function writeStarted(ctx: MutationContext, act: ActivityInfo): number {
  const ev = ctx.addEvent('EVENT_TYPE_ACTIVITY_TASK_STARTED', {
    scheduledEventId: act.scheduledEventId,
    identity: act.startedIdentity,
    requestId: `${act.scheduledEventId}-${act.attempt}`,
    attempt: act.attempt,
    lastFailure: act.lastFailureB64 ? fromB64(Failure, act.lastFailureB64) : undefined,
  });
  // while a workflow task is started events are buffered and get ids later; the buffered started
  // event always directly precedes the close event, so its id is the close event's id - 1 then
  return ev ? num(ev.eventId) : -1;
}

function closeActivity(ctx: MutationContext, act: ActivityInfo): void {
  delete ctx.ms.activities[String(act.scheduledEventId)];
  ctx.scheduleWorkflowTask();
}

export async function respondActivityTaskCompleted(
  engine: HistoryEngine,
  token: ActivityTaskToken,
  result: temporal.api.common.v1.IPayloads | null | undefined,
  identity: string,
): Promise<void> {
  const size = payloadsSize(result);
  const verdict = blobVerdict(size, engine.limits);
  if (verdict === 'warn') engine.log.warn({ workflowId: token.wid, activityId: token.aid, size }, 'activity result exceeds the warn limit');
  await engine.update(tokenRef(token), (ctx) => {
    const act = startedActivity(ctx, token);
    if (verdict === 'error') {
      // as Temporal: the completion is turned into a non-retryable failure of the activity
      const message = `Complete result exceeds size limit: ${blobLimitSentence(size, engine.limits)}.`;
      failOrRetry(ctx, act, { message, source: 'Server', serverFailureInfo: { nonRetryable: true } }, 'fail', identity);
      return;
    }
    act.state = activityMachine.next(act.state, 'complete');
    const startedEventId = writeStarted(ctx, act);
    ctx.addEvent('EVENT_TYPE_ACTIVITY_TASK_COMPLETED', { scheduledEventId: act.scheduledEventId, startedEventId, result, identity });
    closeActivity(ctx, act);
  });
}

/** Failure or retry. Returns nothing; the worker learns nothing more than "accepted". */
export async function respondActivityTaskFailed(
  engine: HistoryEngine,
  token: ActivityTaskToken,
  failure: IFailure | null | undefined,
  lastHeartbeatDetails: temporal.api.common.v1.IPayloads | null | undefined,
  identity: string,
): Promise<void> {
  const tooBig = blobVerdict(failureSize(failure), engine.limits) === 'error';
  const detailsTooBig = blobVerdict(payloadsSize(lastHeartbeatDetails), engine.limits) === 'error';
  await engine.update(tokenRef(token), (ctx) => {
    const act = startedActivity(ctx, token);
    // activity_failure_include_heartbeat: the details the worker had not sent yet count as the last heartbeat
    // (the next attempt starts from them; a timeout failure carries them)
    if (lastHeartbeatDetails && !detailsTooBig) act.heartbeatDetailsB64 = toB64(Payloads, lastHeartbeatDetails);
    const f: IFailure = tooBig
      ? {
          message: `Failure exceeds size limit: ${blobLimitSentence(failureSize(failure), engine.limits)}.`,
          source: 'Server',
          serverFailureInfo: { nonRetryable: true },
        }
      : (failure ?? { message: 'activity failed' });
    failOrRetry(ctx, act, f, 'fail', identity);
  });
}

function failOrRetry(ctx: MutationContext, act: ActivityInfo, failure: IFailure, action: 'fail' | 'time-out', identity: string, timeoutType?: string): void {
  const deadline = act.scheduleToCloseMs > 0 ? act.scheduledTimeMs + act.scheduleToCloseMs : 0;
  const decision = act.cancelRequested
    ? { retry: false as const, retryState: RetryState.RETRY_STATE_CANCEL_REQUESTED }
    : decideRetry(act.retryPolicy, act.attempt, failure, ctx.nowMs, deadline);
  if (decision.retry) {
    act.state = activityMachine.next(act.state, 'retry');
    act.lastFailureB64 = toB64(Failure, failure);
    ctx.touch();
    ctx.addTimer(ctx.nowMs + decision.delayMs, { type: 'activity-retry', scheduledEventId: act.scheduledEventId, attempt: act.attempt });
    return;
  }
  const wasStarted = act.state === 'started';
  act.state = activityMachine.next(act.state, action);
  const startedEventId = wasStarted ? writeStarted(ctx, act) : 0;
  if (action === 'fail') {
    ctx.addEvent('EVENT_TYPE_ACTIVITY_TASK_FAILED', {
      scheduledEventId: act.scheduledEventId,
      startedEventId,
      failure,
      retryState: decision.retryState,
      identity,
    });
  } else {
    ctx.addEvent('EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT', {
      scheduledEventId: act.scheduledEventId,
      startedEventId,
      failure,
      retryState: decision.retryState,
      timeoutType,
    });
  }
  closeActivity(ctx, act);
}

export async function respondActivityTaskCanceled(
  engine: HistoryEngine,
  token: ActivityTaskToken,
  details: temporal.api.common.v1.IPayloads | null | undefined,
  identity: string,
): Promise<void> {
  await engine.update(tokenRef(token), (ctx) => {
    const act = startedActivity(ctx, token);
    act.state = activityMachine.next(act.state, 'cancel');
    const startedEventId = writeStarted(ctx, act);
    ctx.addEvent('EVENT_TYPE_ACTIVITY_TASK_CANCELED', {
      scheduledEventId: act.scheduledEventId,
      startedEventId,
      latestCancelRequestedEventId: act.cancelRequestedEventId,
      details,
      identity,
    });
    closeActivity(ctx, act);
  });
}

/** Records progress; the answer tells the activity whether its cancellation was requested. */
export async function recordActivityTaskHeartbeat(
  engine: HistoryEngine,
  token: ActivityTaskToken,
  details: temporal.api.common.v1.IPayloads | null | undefined,
): Promise<{ cancelRequested: boolean }> {
  const size = payloadsSize(details);
  const verdict = blobVerdict(size, engine.limits);
  if (verdict === 'warn') engine.log.warn({ workflowId: token.wid, activityId: token.aid, size }, 'heartbeat details exceed the warn limit');
  return engine.update(tokenRef(token), (ctx) => {
    const act = startedActivity(ctx, token);
    if (verdict === 'error') {
      // as Temporal: the activity fails at once (non-retryable) and the worker is told to stop it
      const message = `Heartbeat details exceed size limit: ${blobLimitSentence(size, engine.limits)}.`;
      failOrRetry(ctx, act, { message, source: 'Server', serverFailureInfo: { nonRetryable: true } }, 'fail', act.startedIdentity);
      return { cancelRequested: true };
    }
    act.state = activityMachine.next(act.state, 'heartbeat');
    act.lastHeartbeatMs = ctx.nowMs;
    if (details) act.heartbeatDetailsB64 = toB64(Payloads, details);
    ctx.touch();
    return { cancelRequested: act.cancelRequested };
  });
}

const TIMEOUT_TYPE: Record<ActivityTimeoutKind, string> = {
  'schedule-to-start': 'TIMEOUT_TYPE_SCHEDULE_TO_START',
  'schedule-to-close': 'TIMEOUT_TYPE_SCHEDULE_TO_CLOSE',
  'start-to-close': 'TIMEOUT_TYPE_START_TO_CLOSE',
  heartbeat: 'TIMEOUT_TYPE_HEARTBEAT',
};

/** Timer task: an activity timeout. attempt 0 means "whatever attempt" (schedule-to-close). */
export async function activityTimedOut(
  engine: HistoryEngine,
  ref: ExecutionKey,
  scheduledEventId: number,
  attempt: number,
  kind: ActivityTimeoutKind,
): Promise<void> {
  await engine.update(ref, (ctx) => {
    const act = ctx.ms.activities[String(scheduledEventId)];
    if (!isRunning(ctx.ms) || !act || (attempt !== 0 && act.attempt !== attempt)) return;
    if (kind === 'schedule-to-start' && act.state !== 'scheduled') return;
    if ((kind === 'start-to-close' || kind === 'heartbeat') && act.state !== 'started') return;
    if (kind === 'heartbeat') {
      const due = act.lastHeartbeatMs + act.heartbeatMs;
      if (due > ctx.nowMs) {
        ctx.addTimer(due, { type: 'activity-timeout', scheduledEventId, attempt: act.attempt, timeoutType: 'heartbeat' });
        return;
      }
    }
    const timeoutType = TIMEOUT_TYPE[kind];
    const failure: IFailure = {
      message: `activity ${kind.replace(/-/g, ' ')} timeout`,
      source: 'Server',
      timeoutFailureInfo: {
        timeoutType: timeoutType as never,
        lastHeartbeatDetails: act.heartbeatDetailsB64 ? fromB64(Payloads, act.heartbeatDetailsB64) : undefined,
      },
    };
    if (kind === 'start-to-close' || kind === 'heartbeat') {
      failOrRetry(ctx, act, failure, 'time-out', '', timeoutType);
      return;
    }
    const wasStarted = act.state === 'started';
    act.state = activityMachine.next(act.state, 'time-out');
    const startedEventId = wasStarted ? writeStarted(ctx, act) : 0;
    ctx.addEvent('EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT', {
      scheduledEventId,
      startedEventId,
      failure,
      retryState: kind === 'schedule-to-close' ? 'RETRY_STATE_TIMEOUT' : 'RETRY_STATE_NON_RETRYABLE_FAILURE',
    });
    closeActivity(ctx, act);
  });
}

/** Timer task: the retry backoff of an activity is over; dispatch the next attempt. */
export async function activityRetryTimerFired(engine: HistoryEngine, ref: ExecutionKey, scheduledEventId: number, attempt: number): Promise<void> {
  await engine.update(ref, (ctx) => {
    const act = ctx.ms.activities[String(scheduledEventId)];
    if (!isRunning(ctx.ms) || !act || act.attempt !== attempt || act.state !== 'backoff') return;
    act.state = activityMachine.next(act.state, 'backoff-done');
    act.attempt += 1;
    act.currentAttemptScheduledTimeMs = ctx.nowMs;
    act.startedTimeMs = 0;
    ctx.touch();
    ctx.addTransfer({ type: 'activity-task', scheduledEventId, attempt: act.attempt, taskQueue: act.taskQueue });
  });
}

function tokenRef(t: ActivityTaskToken): ExecutionKey {
  return { namespaceId: t.ns, workflowId: t.wid, runId: t.rid };
}
