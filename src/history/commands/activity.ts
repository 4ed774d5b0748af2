/**
 * ScheduleActivityTask and RequestCancelActivityTask: their checks, the timeouts Temporal resolves,
 * and their application through the activity table (../state-machines/activity.ts).
 */
import { api, durationMs, fromB64, msToDuration, num, temporal } from '../../common/proto';
import { payloadsSize } from '../limits';
import { retryPolicyProto, resolveRetryPolicy } from '../retry';
import { activityMachine, type ActivityTimeouts } from '../state-machines/activity';
import type { MutableState } from '../mutable-state';
import { badWith, defineCommand } from './command';

type ScheduleAttrs = temporal.api.command.v1.IScheduleActivityTaskCommandAttributes;
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;
const HistoryEvent = api.history.v1.HistoryEvent;

/**
 * Resolve activity timeouts the way Temporal does: schedule-to-close defaults to the run timeout
 * (or infinite = 0), start-to-close defaults to schedule-to-close, both capped by it; schedule-to-start
 * defaults to schedule-to-close; heartbeat is capped by start-to-close.
 */
export function resolveActivityTimeouts(a: ScheduleAttrs, runTimeoutMs: number): ActivityTimeouts {
  let s2c = durationMs(a.scheduleToCloseTimeout);
  let s2s = durationMs(a.scheduleToStartTimeout);
  let st2c = durationMs(a.startToCloseTimeout);
  let hb = durationMs(a.heartbeatTimeout);
  if (runTimeoutMs > 0 && (s2c === 0 || s2c > runTimeoutMs)) s2c = runTimeoutMs;
  if (st2c === 0) st2c = s2c;
  if (s2c > 0 && st2c > s2c) st2c = s2c;
  if (s2s === 0 || (s2c > 0 && s2s > s2c)) s2s = s2c;
  if (hb > st2c) hb = st2c;
  return { scheduleToCloseMs: s2c, scheduleToStartMs: s2s, startToCloseMs: st2c, heartbeatMs: hb };
}

export const scheduleActivityTask = defineCommand<ScheduleAttrs>({
  attributes: (c) => c.scheduleActivityTaskCommandAttributes,
  badAttributesCause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
  payload: { field: 'ScheduleActivityTaskCommandAttributes.Input', kind: 'blob', size: (a) => payloadsSize(a?.input) },
  validate(a, scope) {
    const bad = badWith(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES);
    if (!a) return bad('ScheduleActivityTaskCommandAttributes is not set');
    if (!a.activityId) return bad('ActivityId is not set');
    if (!a.activityType?.name) return bad('ActivityType is not set');
    // the task queue becomes a task_queues row (task_queue_name: VARCHAR(255) on every plugin), as the frontend checks
    if (a.taskQueue?.name && a.taskQueue.name.length > 255) return bad('TaskQueue exceeds length limit of 255');
    if (scope.activityIds.has(a.activityId)) return bad(`activity id ${a.activityId} is already in use`);
    if (durationMs(a.startToCloseTimeout) <= 0 && durationMs(a.scheduleToCloseTimeout) <= 0) {
      return bad('A valid StartToClose or ScheduleToCloseTimeout is not set on ScheduleActivityTaskCommand');
    }
    scope.activityIds.add(a.activityId);
  },
  apply({ ctx, workflowTaskCompletedEventId }, a) {
    const timeouts = resolveActivityTimeouts(a, ctx.ms.execution.runTimeoutMs);
    const retryPolicy = resolveRetryPolicy(a.retryPolicy);
    const taskQueue = a.taskQueue?.name || ctx.ms.execution.taskQueue;
    const resolved = {
      activityId: a.activityId,
      activityType: a.activityType,
      taskQueue: { name: taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
      header: a.header,
      input: a.input,
      scheduleToCloseTimeout: msToDuration(timeouts.scheduleToCloseMs),
      scheduleToStartTimeout: msToDuration(timeouts.scheduleToStartMs),
      startToCloseTimeout: msToDuration(timeouts.startToCloseMs),
      heartbeatTimeout: msToDuration(timeouts.heartbeatMs),
      retryPolicy: retryPolicyProto(retryPolicy),
    };
    activityMachine.create(ctx, 'schedule', {
      resolved,
      activityId: a.activityId!,
      activityType: a.activityType!.name!,
      taskQueue,
      timeouts,
      retryPolicy,
      workflowTaskCompletedEventId,
    });
  },
});

/**
 * True when the activity closed while this workflow task ran: its close event waits in the buffer and
 * the workflow, not having seen it, asked to cancel it.
 */
function closeIsBuffered(ms: MutableState, scheduledEventId: number): boolean {
  return ms.bufferedEvents.some((b64) => {
    const e = fromB64(HistoryEvent, b64);
    const close =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes ??
      e.activityTaskCanceledEventAttributes;
    return !!close && num(close.scheduledEventId) === scheduledEventId;
  });
}

export const requestCancelActivityTask = defineCommand<temporal.api.command.v1.IRequestCancelActivityTaskCommandAttributes>({
  attributes: (c) => c.requestCancelActivityTaskCommandAttributes,
  badAttributesCause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES,
  validate(a, scope) {
    const bad = badWith(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES);
    if (!a) return bad('RequestCancelActivityTaskCommandAttributes is not set');
    const sched = num(a.scheduledEventId);
    if (scope.cancelRequestedActivities.has(sched)) return bad(`cancellation of the activity with scheduled event id ${sched} was already requested`);
    if (!scope.ms.activities[String(sched)] && !closeIsBuffered(scope.ms, sched)) return bad(`no pending activity with scheduled event id ${sched}`);
    scope.cancelRequestedActivities.add(sched);
  },
  apply({ ctx, workflowTaskCompletedEventId, identity }, a) {
    const sched = num(a.scheduledEventId);
    const act = ctx.ms.activities[String(sched)];
    if (act) {
      activityMachine.fire(ctx, act, 'request-cancel', { workflowTaskCompletedEventId, identity });
      return;
    }
    // its close is buffered: the request is recorded and nothing else happens (as Temporal does)
    ctx.addEvent('EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED', { scheduledEventId: sched, workflowTaskCompletedEventId });
  },
});
