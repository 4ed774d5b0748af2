/**
 * The commands of RespondWorkflowTaskCompleted: validation (before anything is applied) and their
 * effect on the mutable state (events, activities, timers, tasks). Runs inside engine.update.
 */
import { durationMs, fromB64, msToDuration, num, temporal, toB64 } from '../../common/proto';
import type { MutationContext } from '../context';
import type { ActivityInfo } from '../mutable-state';
import { nextCronTimeMs } from '../cron';
import { planAfterCompletion, planAfterFailure, planContinueAsNew } from '../next-run';
import { resolveRetryPolicy, retryPolicyProto } from '../retry';
import { mergeIndexedFields } from '../../visibility';
import { activityMachine, timerMachine } from '../state-machines';

type Command = temporal.api.command.v1.ICommand;
const CT = temporal.api.enums.v1.CommandType;
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;
const ScheduleAttrs = temporal.api.command.v1.ScheduleActivityTaskCommandAttributes;

/** A command the server cannot apply: the workflow task fails with `cause`. */
export class BadCommandError extends Error {
  constructor(
    readonly failedCause: number,
    message: string,
  ) {
    super(message);
  }
}

const CLOSE_COMMANDS = new Set<number>([
  CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
  CT.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
  CT.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
  CT.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
]);

export function isCloseCommand(c: Command): boolean {
  return CLOSE_COMMANDS.has(Number(c.commandType));
}

const SUPPORTED = new Set<number>([
  ...CLOSE_COMMANDS,
  CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
  CT.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
  CT.COMMAND_TYPE_START_TIMER,
  CT.COMMAND_TYPE_CANCEL_TIMER,
  CT.COMMAND_TYPE_RECORD_MARKER,
  CT.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  CT.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES,
  CT.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
  CT.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
  CT.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
  CT.COMMAND_TYPE_PROTOCOL_MESSAGE,
]);

/** Check every command before applying any; throws BadCommandError. */
export function validateCommands(ctx: MutationContext, commands: Command[]): void {
  const activityIds = new Set(Object.values(ctx.ms.activities).map((a) => a.activityId));
  const timerIds = new Set(Object.keys(ctx.ms.timers));
  commands.forEach((c, i) => {
    const t = Number(c.commandType);
    if (!SUPPORTED.has(t)) {
      throw new BadCommandError(Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, `command ${CT[t] ?? t} is not supported by this server yet`);
    }
    if (isCloseCommand(c) && i !== commands.length - 1) {
      throw new BadCommandError(
        Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES,
        'a workflow completion command must be the last command',
      );
    }
    if (t === CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK) {
      const a = c.scheduleActivityTaskCommandAttributes;
      const bad = (m: string): never => {
        throw new BadCommandError(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, m);
      };
      if (!a) bad('ScheduleActivityTaskCommandAttributes is not set');
      if (!a!.activityId) bad('ActivityId is not set');
      if (!a!.activityType?.name) bad('ActivityType is not set');
      if (activityIds.has(a!.activityId!)) bad(`activity id ${a!.activityId} is already in use`);
      if (durationMs(a!.startToCloseTimeout) <= 0 && durationMs(a!.scheduleToCloseTimeout) <= 0) {
        bad('A valid StartToClose or ScheduleToCloseTimeout is not set on ScheduleActivityTaskCommand');
      }
      activityIds.add(a!.activityId!);
    }
    if (t === CT.COMMAND_TYPE_START_TIMER) {
      const a = c.startTimerCommandAttributes;
      if (!a?.timerId) throw new BadCommandError(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, 'TimerId is not set');
      if (timerIds.has(a.timerId))
        throw new BadCommandError(Cause.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID, `timer id ${a.timerId} is already in use`);
      timerIds.add(a.timerId);
    }
    if (t === CT.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION) {
      const a = c.startChildWorkflowExecutionCommandAttributes;
      const bad = (m: string): never => {
        throw new BadCommandError(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES, m);
      };
      if (!a) bad('StartChildWorkflowExecutionCommandAttributes is not set');
      if (!a!.workflowId) bad('WorkflowId is not set on StartChildWorkflowExecutionCommand');
      if (!a!.workflowType?.name) bad('WorkflowType is not set on StartChildWorkflowExecutionCommand');
      if (a!.cronSchedule) {
        try {
          nextCronTimeMs(a!.cronSchedule, Date.now());
        } catch (err) {
          bad(`CronSchedule is invalid: ${(err as Error).message}`);
        }
      }
    }
    if (t === CT.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION) {
      const a = c.signalExternalWorkflowExecutionCommandAttributes;
      if (!a?.execution?.workflowId)
        throw new BadCommandError(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES, 'Execution.WorkflowId is not set');
      if (!a.signalName) throw new BadCommandError(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES, 'SignalName is not set');
    }
    if (t === CT.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION) {
      const a = c.requestCancelExternalWorkflowExecutionCommandAttributes;
      if (!a?.workflowId)
        throw new BadCommandError(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES, 'WorkflowId is not set');
    }
  });
}

/** Apply one validated command. `completedEventId` is the WorkflowTaskCompleted event id. */
export function applyCommand(ctx: MutationContext, c: Command, completedEventId: number, identity: string): void {
  const ms = ctx.ms;
  switch (Number(c.commandType)) {
    case CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
      return scheduleActivity(ctx, c.scheduleActivityTaskCommandAttributes!, completedEventId);
    case CT.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: {
      const sched = num(c.requestCancelActivityTaskCommandAttributes?.scheduledEventId);
      const act = ms.activities[String(sched)];
      if (!act) {
        throw new BadCommandError(
          Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES,
          `no pending activity with scheduled event id ${sched}`,
        );
      }
      const ev = ctx.addEvent('EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED', { scheduledEventId: sched, workflowTaskCompletedEventId: completedEventId });
      act.cancelRequested = true;
      act.cancelRequestedEventId = num(ev!.eventId);
      if (act.state === 'scheduled' || act.state === 'backoff') {
        act.state = activityMachine.next(act.state, 'cancel');
        ctx.addEvent('EVENT_TYPE_ACTIVITY_TASK_CANCELED', {
          scheduledEventId: sched,
          startedEventId: 0,
          latestCancelRequestedEventId: act.cancelRequestedEventId,
          identity,
        });
        delete ms.activities[String(sched)];
      }
      return;
    }
    case CT.COMMAND_TYPE_START_TIMER: {
      const a = c.startTimerCommandAttributes!;
      const fireMs = durationMs(a.startToFireTimeout);
      const ev = ctx.addEvent('EVENT_TYPE_TIMER_STARTED', {
        timerId: a.timerId,
        startToFireTimeout: a.startToFireTimeout,
        workflowTaskCompletedEventId: completedEventId,
      })!;
      const startedEventId = num(ev.eventId);
      ms.timers[a.timerId!] = { state: 'started', timerId: a.timerId!, startedEventId, expiryMs: ctx.nowMs + fireMs };
      ctx.addTimer(ctx.nowMs + fireMs, { type: 'user-timer', timerId: a.timerId!, startedEventId });
      return;
    }
    case CT.COMMAND_TYPE_CANCEL_TIMER: {
      const timerId = c.cancelTimerCommandAttributes?.timerId ?? '';
      const timer = ms.timers[timerId];
      if (!timer) throw new BadCommandError(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES, `no pending timer ${timerId}`);
      timerMachine.next(timer.state, 'cancel');
      ctx.addEvent('EVENT_TYPE_TIMER_CANCELED', {
        timerId,
        startedEventId: timer.startedEventId,
        workflowTaskCompletedEventId: completedEventId,
        identity,
      });
      delete ms.timers[timerId];
      return;
    }
    case CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION: {
      const result = c.completeWorkflowExecutionCommandAttributes?.result;
      const next = planAfterCompletion(ctx, result);
      ctx.closeWorkflow('complete', 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED', {
        result,
        workflowTaskCompletedEventId: completedEventId,
        newExecutionRunId: next?.runId,
      });
      return;
    }
    case CT.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION: {
      const failure = c.failWorkflowExecutionCommandAttributes?.failure ?? { message: 'workflow failed' };
      const { plan, retryState } = planAfterFailure(ctx, failure);
      ctx.closeWorkflow('fail', 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED', {
        failure,
        retryState,
        workflowTaskCompletedEventId: completedEventId,
        newExecutionRunId: plan?.runId,
      });
      return;
    }
    case CT.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: {
      const a = c.continueAsNewWorkflowExecutionCommandAttributes ?? {};
      const next = planContinueAsNew(ctx, a);
      const e = ms.execution;
      ctx.closeWorkflow('continue-as-new', 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW', {
        newExecutionRunId: next.runId,
        workflowType: a.workflowType?.name ? a.workflowType : { name: e.workflowType },
        taskQueue: { name: a.taskQueue?.name || e.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
        input: a.input,
        workflowRunTimeout: a.workflowRunTimeout,
        workflowTaskTimeout: a.workflowTaskTimeout,
        workflowTaskCompletedEventId: completedEventId,
        backoffStartInterval: a.backoffStartInterval,
        initiator: 'CONTINUE_AS_NEW_INITIATOR_WORKFLOW',
        failure: a.failure,
        lastCompletionResult: a.lastCompletionResult,
        header: a.header,
        memo: a.memo,
        searchAttributes: a.searchAttributes,
      });
      return;
    }
    case CT.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
      return initiateChild(ctx, c.startChildWorkflowExecutionCommandAttributes!, completedEventId);
    case CT.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: {
      const a = c.signalExternalWorkflowExecutionCommandAttributes!;
      const ev = ctx.addEvent('EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED', {
        workflowTaskCompletedEventId: completedEventId,
        namespace: a.namespace || ms.execution.namespace,
        namespaceId: ms.execution.namespaceId,
        workflowExecution: a.execution,
        signalName: a.signalName,
        input: a.input,
        control: a.control,
        childWorkflowOnly: a.childWorkflowOnly,
        header: a.header,
      })!;
      const initiatedEventId = num(ev.eventId);
      (ms.externalRequests ??= {})[String(initiatedEventId)] = {
        kind: 'signal',
        initiatedEventId,
        namespace: a.namespace || ms.execution.namespace,
        namespaceId: '',
        workflowId: a.execution!.workflowId!,
        runId: a.execution!.runId ?? '',
        childWorkflowOnly: !!a.childWorkflowOnly,
      };
      ctx.addTransfer({ type: 'signal-external', initiatedEventId });
      return;
    }
    case CT.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION: {
      const a = c.requestCancelExternalWorkflowExecutionCommandAttributes!;
      const ev = ctx.addEvent('EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED', {
        workflowTaskCompletedEventId: completedEventId,
        namespace: a.namespace || ms.execution.namespace,
        namespaceId: ms.execution.namespaceId,
        workflowExecution: { workflowId: a.workflowId, runId: a.runId },
        control: a.control,
        childWorkflowOnly: a.childWorkflowOnly,
        reason: a.reason,
      })!;
      const initiatedEventId = num(ev.eventId);
      (ms.externalRequests ??= {})[String(initiatedEventId)] = {
        kind: 'cancel',
        initiatedEventId,
        namespace: a.namespace || ms.execution.namespace,
        namespaceId: '',
        workflowId: a.workflowId!,
        runId: a.runId ?? '',
        childWorkflowOnly: !!a.childWorkflowOnly,
      };
      ctx.addTransfer({ type: 'cancel-external', initiatedEventId });
      return;
    }
    case CT.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
      ctx.closeWorkflow('cancel', 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED', {
        details: c.cancelWorkflowExecutionCommandAttributes?.details,
        workflowTaskCompletedEventId: completedEventId,
      });
      return;
    case CT.COMMAND_TYPE_RECORD_MARKER: {
      const a = c.recordMarkerCommandAttributes;
      ctx.addEvent('EVENT_TYPE_MARKER_RECORDED', {
        markerName: a?.markerName,
        details: a?.details,
        header: a?.header,
        failure: a?.failure,
        workflowTaskCompletedEventId: completedEventId,
      });
      return;
    }
    case CT.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
      ctx.addEvent('EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', {
        searchAttributes: c.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes,
        workflowTaskCompletedEventId: completedEventId,
      });
      upsertSearchAttributes(ctx, c.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes?.indexedFields);
      return;
    case CT.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES:
      ctx.addEvent('EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED', {
        upsertedMemo: c.modifyWorkflowPropertiesCommandAttributes?.upsertedMemo,
        workflowTaskCompletedEventId: completedEventId,
      });
      upsertMemo(ctx, c.modifyWorkflowPropertiesCommandAttributes?.upsertedMemo?.fields);
      return;
    default:
      throw new BadCommandError(Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, `unsupported command ${String(c.commandType)}`);
  }
}

/**
 * Resolve activity timeouts the way Temporal does: schedule-to-close defaults to the run timeout
 * (or infinite = 0), start-to-close defaults to schedule-to-close, both capped by it; schedule-to-start
 * defaults to schedule-to-close; heartbeat is capped by start-to-close.
 */
export function resolveActivityTimeouts(
  a: temporal.api.command.v1.IScheduleActivityTaskCommandAttributes,
  runTimeoutMs: number,
): { scheduleToCloseMs: number; scheduleToStartMs: number; startToCloseMs: number; heartbeatMs: number } {
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

function scheduleActivity(ctx: MutationContext, a: temporal.api.command.v1.IScheduleActivityTaskCommandAttributes, completedEventId: number): void {
  const ms = ctx.ms;
  const t = resolveActivityTimeouts(a, ms.execution.runTimeoutMs);
  const retryPolicy = resolveRetryPolicy(a.retryPolicy);
  const taskQueue = a.taskQueue?.name || ms.execution.taskQueue;
  const resolved = {
    activityId: a.activityId,
    activityType: a.activityType,
    taskQueue: { name: taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
    header: a.header,
    input: a.input,
    scheduleToCloseTimeout: msToDuration(t.scheduleToCloseMs),
    scheduleToStartTimeout: msToDuration(t.scheduleToStartMs),
    startToCloseTimeout: msToDuration(t.startToCloseMs),
    heartbeatTimeout: msToDuration(t.heartbeatMs),
    retryPolicy: retryPolicyProto(retryPolicy),
  };
  const ev = ctx.addEvent('EVENT_TYPE_ACTIVITY_TASK_SCHEDULED', { ...resolved, workflowTaskCompletedEventId: completedEventId })!;
  const scheduledEventId = num(ev.eventId);
  const info: ActivityInfo = {
    state: 'scheduled',
    scheduledEventId,
    activityId: a.activityId!,
    activityType: a.activityType!.name!,
    taskQueue,
    attributesB64: toB64(ScheduleAttrs, resolved),
    scheduledTimeMs: ctx.nowMs,
    attempt: 1,
    currentAttemptScheduledTimeMs: ctx.nowMs,
    startedTimeMs: 0,
    startedIdentity: '',
    requestId: '',
    ...t,
    retryPolicy,
    lastHeartbeatMs: 0,
    heartbeatDetailsB64: undefined,
    lastFailureB64: undefined,
    cancelRequested: false,
    cancelRequestedEventId: 0,
  };
  ms.activities[String(scheduledEventId)] = info;
  ctx.addTransfer({ type: 'activity-task', scheduledEventId, attempt: 1, taskQueue });
  if (t.scheduleToCloseMs > 0) {
    ctx.addTimer(ctx.nowMs + t.scheduleToCloseMs, { type: 'activity-timeout', scheduledEventId, attempt: 0, timeoutType: 'schedule-to-close' });
  }
  if (t.scheduleToStartMs > 0 && t.scheduleToStartMs < t.scheduleToCloseMs) {
    ctx.addTimer(ctx.nowMs + t.scheduleToStartMs, { type: 'activity-timeout', scheduledEventId, attempt: 1, timeoutType: 'schedule-to-start' });
  }
}

type PayloadMap = Record<string, temporal.api.common.v1.IPayload> | null | undefined;

/** Merge upserted search attributes into the run's (a null or empty-list value removes one). */
function upsertSearchAttributes(ctx: MutationContext, fields: PayloadMap): void {
  const SA = temporal.api.common.v1.SearchAttributes;
  const e = ctx.ms.execution;
  const current = e.searchAttributesB64 ? fromB64(SA, e.searchAttributesB64).indexedFields : undefined;
  const merged = mergeIndexedFields(current, fields);
  e.searchAttributesB64 = Object.keys(merged).length > 0 ? toB64(SA, { indexedFields: merged }) : undefined;
}

/** Merge upserted memo fields into the run's memo (a null value removes one). */
function upsertMemo(ctx: MutationContext, fields: PayloadMap): void {
  const Memo = temporal.api.common.v1.Memo;
  const e = ctx.ms.execution;
  const current = e.memoB64 ? fromB64(Memo, e.memoB64).fields : undefined;
  const merged = mergeIndexedFields(current, fields, false);
  e.memoB64 = Object.keys(merged).length > 0 ? toB64(Memo, { fields: merged }) : undefined;
}

function initiateChild(ctx: MutationContext, a: temporal.api.command.v1.IStartChildWorkflowExecutionCommandAttributes, completedEventId: number): void {
  const ms = ctx.ms;
  const namespace = a.namespace || ms.execution.namespace;
  const ev = ctx.addEvent('EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED', {
    namespace,
    namespaceId: namespace === ms.execution.namespace ? ms.execution.namespaceId : '',
    workflowId: a.workflowId,
    workflowType: a.workflowType,
    taskQueue: { name: a.taskQueue?.name || ms.execution.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
    input: a.input,
    workflowExecutionTimeout: a.workflowExecutionTimeout,
    workflowRunTimeout: a.workflowRunTimeout,
    workflowTaskTimeout: a.workflowTaskTimeout,
    parentClosePolicy: a.parentClosePolicy,
    control: a.control,
    workflowTaskCompletedEventId: completedEventId,
    workflowIdReusePolicy: a.workflowIdReusePolicy,
    retryPolicy: a.retryPolicy,
    cronSchedule: a.cronSchedule,
    header: a.header,
    memo: a.memo,
    searchAttributes: a.searchAttributes,
  })!;
  const initiatedEventId = num(ev.eventId);
  (ms.children ??= {})[String(initiatedEventId)] = {
    state: 'initiated',
    initiatedEventId,
    startedEventId: 0,
    namespace,
    namespaceId: '',
    workflowId: a.workflowId!,
    runId: '',
    workflowType: a.workflowType!.name!,
    // the SDKs send UNSPECIFIED for the default, which is TERMINATE
    parentClosePolicy: Number(a.parentClosePolicy ?? 0) || temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE,
  };
  ctx.addTransfer({ type: 'start-child', initiatedEventId });
}
