/**
 * The activity's RPCs and timers: RecordActivityTaskStarted (from matching), heartbeats (which report
 * cancellation), completion / failure / cancellation, the retry timer and the four timeouts. Each is
 * a check of the task token (or timer) against the mutable state and one transition of the activity
 * table (../state-machines/activity.ts), which writes the events.
 */
import { NotFoundError } from '../../common/errors';
import { type temporal, type IFailure } from '../../common/proto';
import type { MutationContext } from '../context';
import type { HistoryEngine } from '../engine';
import type { ActivityTaskRef, PollActivityTaskQueueResponse } from '../matching-client';
import type { ActivityInfo } from '../mutable-state';
import { activityMachine, timeoutKindAt } from '../state-machines/activity';
import { isRunning } from '../state-machines/states';
import type { ActivityTimeoutKind } from '../tasks';
import type { ExecutionKey } from '../../persistence';
import type { ActivityTaskToken } from './task-token';
import { activityTaskResponse } from './eager-activities';
import { startTask } from './workflow-task';
import { blobLimitSentence, blobVerdict, failureSize, payloadsSize } from '../limits';

export async function recordActivityTaskStarted(engine: HistoryEngine, task: ActivityTaskRef, identity: string): Promise<PollActivityTaskQueueResponse> {
  const ref: ExecutionKey = task;
  const { act, ms } = await startTask(engine, ref, (ctx) => {
    const act = ctx.ms.activities[String(task.scheduledEventId)];
    if (!isRunning(ctx.ms) || !act || act.attempt !== task.attempt || !activityMachine.can(act, 'start')) {
      throw new NotFoundError('activity task not found or already started', ref);
    }
    if (act.paused) throw new NotFoundError('activity is paused (UnpauseActivity dispatches it again)', ref);
    activityMachine.fire(ctx, act, 'start', { identity });
    return { act: { ...act }, ms: { namespace: ctx.ms.execution.namespace, workflowType: ctx.ms.execution.workflowType } };
  });
  return activityTaskResponse(ref, act, ms);
}

/** The attempt the token names, when it is still the started one. */
function startedActivity(ctx: MutationContext, token: ActivityTaskToken): ActivityInfo {
  const act = ctx.ms.activities[String(token.sched)];
  if (!isRunning(ctx.ms)) throw new NotFoundError('workflow execution already completed', { workflowId: token.wid, runId: token.rid });
  // the worker's answers (complete, fail, cancel, heartbeat) are all listed for a started attempt only
  if (!act || act.attempt !== token.attempt || !activityMachine.can(act, 'complete')) {
    throw new NotFoundError('activity task not found', { workflowId: token.wid, runId: token.rid });
  }
  return act;
}

/** A non-retryable ServerFailure: a payload over the limit would fail every attempt alike. */
function serverFailure(message: string): IFailure {
  return { message, source: 'Server', serverFailureInfo: { nonRetryable: true } };
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
      const failure = serverFailure(`Complete result exceeds size limit: ${blobLimitSentence(size, engine.limits)}.`);
      activityMachine.fire(ctx, act, 'fail', { failure, identity });
      return;
    }
    activityMachine.fire(ctx, act, 'complete', { result, identity });
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
    const f: IFailure = tooBig
      ? serverFailure(`Failure exceeds size limit: ${blobLimitSentence(failureSize(failure), engine.limits)}.`)
      : (failure ?? { message: 'activity failed' });
    activityMachine.fire(ctx, act, 'fail', { failure: f, identity, lastHeartbeatDetails: detailsTooBig ? undefined : lastHeartbeatDetails });
  });
}

export async function respondActivityTaskCanceled(
  engine: HistoryEngine,
  token: ActivityTaskToken,
  details: temporal.api.common.v1.IPayloads | null | undefined,
  identity: string,
): Promise<void> {
  await engine.update(tokenRef(token), (ctx) => {
    activityMachine.fire(ctx, startedActivity(ctx, token), 'cancel', { details, identity });
  });
}

/** Records progress; the answer tells the activity whether its cancellation was requested. */
export async function recordActivityTaskHeartbeat(
  engine: HistoryEngine,
  token: ActivityTaskToken,
  details: temporal.api.common.v1.IPayloads | null | undefined,
): Promise<{ cancelRequested: boolean; activityPaused?: boolean }> {
  const size = payloadsSize(details);
  const verdict = blobVerdict(size, engine.limits);
  if (verdict === 'warn') engine.log.warn({ workflowId: token.wid, activityId: token.aid, size }, 'heartbeat details exceed the warn limit');
  return engine.update(tokenRef(token), (ctx) => {
    const act = startedActivity(ctx, token);
    if (verdict === 'error') {
      // as Temporal: the activity fails at once (non-retryable) and the worker is told to stop it
      const failure = serverFailure(`Heartbeat details exceed size limit: ${blobLimitSentence(size, engine.limits)}.`);
      activityMachine.fire(ctx, act, 'fail', { failure, identity: act.startedIdentity });
      return { cancelRequested: true };
    }
    activityMachine.fire(ctx, act, 'heartbeat', { details });
    return { cancelRequested: act.cancelRequested, activityPaused: !!act.paused };
  });
}

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
    const action = `${timeoutKindAt(act, kind)}-timeout` as const;
    if (!activityMachine.can(act, action)) return; // the attempt it was armed for is over
    activityMachine.fire(ctx, act, action);
  });
}

/** Timer task: the retry backoff of an activity is over; dispatch the next attempt. */
export async function activityRetryTimerFired(engine: HistoryEngine, ref: ExecutionKey, scheduledEventId: number, attempt: number): Promise<void> {
  await engine.update(ref, (ctx) => {
    const act = ctx.ms.activities[String(scheduledEventId)];
    if (!isRunning(ctx.ms) || !act || act.attempt !== attempt || !activityMachine.can(act, 'retry') || act.paused) return;
    activityMachine.fire(ctx, act, 'retry');
  });
}

function tokenRef(t: ActivityTaskToken): ExecutionKey {
  return { namespaceId: t.ns, workflowId: t.wid, runId: t.rid };
}
