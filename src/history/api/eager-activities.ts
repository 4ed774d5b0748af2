/**
 * Eager activity dispatch and the activity task as a worker receives it. RespondWorkflowTaskCompleted
 * (workflow-task.ts) starts the activities its commands scheduled with requestEagerExecution and
 * answers with them, as Temporal does: one round trip through matching and one transaction fewer
 * per activity. A poll (activity-task.ts) builds the same response for a started attempt.
 */
import { api, fromB64, msToTimestamp, num } from '../../common/proto';
import type { Command } from '../commands/command';
import type { MutationContext } from '../context';
import type { PollActivityTaskQueueResponse } from '../matching-client';
import type { ActivityInfo } from '../mutable-state';
import { activityMachine } from '../state-machines/activity';
import type { ExecutionKey } from '../../persistence';
import { encodeToken, type ActivityTaskToken } from './task-token';

const ScheduleAttrs = api.command.v1.ScheduleActivityTaskCommandAttributes;
const Payloads = api.common.v1.Payloads;

/** A started attempt as the worker gets it (from a poll, or eagerly with a workflow task completion). */
export function activityTaskResponse(ref: ExecutionKey, act: ActivityInfo, ms: { namespace: string; workflowType: string }): PollActivityTaskQueueResponse {
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

/** At most this many activities go back with one workflow task completion (the SDK asks for at most 3). */
export const MAX_EAGER_ACTIVITIES = 10;

/**
 * Eager activity dispatch (Temporal's RespondWorkflowTaskCompleted with request_eager_execution):
 * the activities this completion scheduled with requestEagerExecution on the workflow's own task
 * queue are started in the same transaction by the worker that completed the task, and go back in
 * its answer instead of through matching (their transfer tasks are dropped). Timeouts and retries
 * are those of any started attempt: the start-to-close timer is armed by the start. Returns copies
 * of the started activities. Call after the commands were applied, while the run is still open.
 */
export function startEagerActivities(ctx: MutationContext, commands: readonly Command[], identity: string): ActivityInfo[] {
  const ms = ctx.ms;
  const wanted = new Set<string>();
  for (const c of commands) {
    const a = c.scheduleActivityTaskCommandAttributes;
    if (!a?.requestEagerExecution || !a.activityId || wanted.size >= MAX_EAGER_ACTIVITIES) continue;
    if ((a.taskQueue?.name || ms.execution.taskQueue) !== ms.execution.taskQueue) continue;
    wanted.add(a.activityId);
  }
  if (wanted.size === 0) return [];
  const started: ActivityInfo[] = [];
  for (const act of Object.values(ms.activities)) {
    if (!wanted.has(act.activityId) || act.attempt !== 1 || !activityMachine.can(act, 'start')) continue;
    // only those scheduled by this completion (an activity id may be reused after its activity closed)
    if (!ctx.newEvents.some((e) => num(e.eventId) === act.scheduledEventId)) continue;
    activityMachine.fire(ctx, act, 'start', { identity });
    dropDispatch(ctx, act.scheduledEventId);
    started.push({ ...act });
  }
  return started;
}

/** The eager activity needs neither its matching dispatch nor a schedule-to-start timer. */
function dropDispatch(ctx: MutationContext, scheduledEventId: number): void {
  const t = ctx.transferTasks.findIndex((x) => x.type === 'activity-task' && x.scheduledEventId === scheduledEventId);
  if (t >= 0) ctx.transferTasks.splice(t, 1);
  const s = ctx.timerTasks.findIndex(
    (x) => x.task.type === 'activity-timeout' && x.task.scheduledEventId === scheduledEventId && x.task.timeoutType === 'schedule-to-start',
  );
  if (s >= 0) ctx.timerTasks.splice(s, 1);
}
