/**
 * The mutable state of a run as it was after a prefix of its history: what reset needs to build the
 * new run from the events it copies (Temporal's state rebuilder, for the entities this server keeps).
 * Starts from the base run's execution info (the chain, parent, timeouts: fixed at start) and applies
 * each event: workflow tasks, activities, timers, children, external signals and cancels, cancel
 * requests, search attributes, memo and durable updates. Events that leave nothing in mutable state
 * (signals, markers, admitted updates) pass. What is pending at the end is what the new run inherits.
 *
 * Does not own: writing events or tasks (reset-workflow.ts re-arms what is pending).
 */
import { api, durationMs, fromB64, num, timestampMs, toB64, type IHistoryEvent } from '../common/proto';
import { newMutableState, type ActivityInfo, type ExecutionInfo, type MutableState } from './mutable-state';
import { resolveRetryPolicy } from './retry';

const ScheduleAttrs = api.command.v1.ScheduleActivityTaskCommandAttributes;
const Memo = api.common.v1.Memo;
const SearchAttributes = api.common.v1.SearchAttributes;

/** Mutable state after `events` (ids 1..n, in order) of a run whose execution info was `base`; the new run gets `runId`. */
export function rebuildMutableState(base: ExecutionInfo, events: readonly IHistoryEvent[], runId: string, nowMs: number): MutableState {
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  const ms = newMutableState(
    {
      ...base,
      runId,
      state: 'running',
      closeTimeMs: 0,
      cancelRequested: false,
      lastCompletedWorkflowTaskStartedEventId: 0,
      completionEventId: 0,
      memoB64: started?.memo ? toB64(Memo, started.memo) : undefined,
      searchAttributesB64: started?.searchAttributes ? toB64(SearchAttributes, started.searchAttributes) : undefined,
      stickyTaskQueue: undefined,
      firstTaskBackoffPending: false,
      retentionTimerSet: undefined,
      nextRunId: undefined,
      resetRunId: undefined,
    },
    events.length + 1,
  );
  for (const e of events) apply(ms, e, nowMs);
  return ms;
}

function apply(ms: MutableState, e: IHistoryEvent, nowMs: number): void {
  const id = num(e.eventId);
  const at = timestampMs(e.eventTime);
  const ex = ms.execution;
  if (e.workflowTaskScheduledEventAttributes) {
    const a = e.workflowTaskScheduledEventAttributes;
    ms.workflowTask = {
      state: 'scheduled',
      scheduledEventId: id,
      startedEventId: 0,
      attempt: a.attempt || 1,
      taskQueue: a.taskQueue?.name || ex.taskQueue,
      scheduledTimeMs: at,
      startedTimeMs: 0,
      requestId: '',
      identity: '',
    };
  } else if (e.workflowTaskStartedEventAttributes) {
    if (ms.workflowTask)
      Object.assign(ms.workflowTask, {
        state: 'started',
        startedEventId: id,
        startedTimeMs: at,
        identity: e.workflowTaskStartedEventAttributes.identity ?? '',
      });
  } else if (e.workflowTaskCompletedEventAttributes) {
    ex.lastCompletedWorkflowTaskStartedEventId = num(e.workflowTaskCompletedEventAttributes.startedEventId);
    ms.workflowTask = undefined;
  } else if (e.workflowTaskFailedEventAttributes || e.workflowTaskTimedOutEventAttributes) {
    ms.workflowTask = undefined;
  } else if (e.activityTaskScheduledEventAttributes) {
    ms.activities[String(id)] = activityFrom(id, e.activityTaskScheduledEventAttributes, nowMs);
  } else if (e.activityTaskCancelRequestedEventAttributes) {
    const act = ms.activities[String(num(e.activityTaskCancelRequestedEventAttributes.scheduledEventId))];
    if (act) Object.assign(act, { cancelRequested: true, cancelRequestedEventId: id });
  } else if (activityClose(e) !== undefined) {
    delete ms.activities[String(activityClose(e))];
  } else if (e.timerStartedEventAttributes) {
    const a = e.timerStartedEventAttributes;
    ms.timers[a.timerId!] = { state: 'started', timerId: a.timerId!, startedEventId: id, expiryMs: at + durationMs(a.startToFireTimeout) };
  } else if (e.timerFiredEventAttributes || e.timerCanceledEventAttributes) {
    delete ms.timers[(e.timerFiredEventAttributes ?? e.timerCanceledEventAttributes)!.timerId!];
  } else if (e.startChildWorkflowExecutionInitiatedEventAttributes) {
    const a = e.startChildWorkflowExecutionInitiatedEventAttributes;
    ms.children[String(id)] = {
      state: 'initiated',
      initiatedEventId: id,
      startedEventId: 0,
      namespace: a.namespace || ex.namespace,
      namespaceId: a.namespaceId || ex.namespaceId,
      workflowId: a.workflowId ?? '',
      runId: '',
      workflowType: a.workflowType?.name ?? '',
      parentClosePolicy: Number(a.parentClosePolicy ?? 0),
    };
  } else if (e.childWorkflowExecutionStartedEventAttributes) {
    const a = e.childWorkflowExecutionStartedEventAttributes;
    const c = ms.children[String(num(a.initiatedEventId))];
    if (c) Object.assign(c, { state: 'started', startedEventId: id, runId: a.workflowExecution?.runId ?? '' });
  } else if (childClose(e) !== undefined) {
    delete ms.children[String(childClose(e))];
  } else if (e.signalExternalWorkflowExecutionInitiatedEventAttributes || e.requestCancelExternalWorkflowExecutionInitiatedEventAttributes) {
    const s = e.signalExternalWorkflowExecutionInitiatedEventAttributes;
    const a = s ?? e.requestCancelExternalWorkflowExecutionInitiatedEventAttributes!;
    ms.externalRequests[String(id)] = {
      kind: s ? 'signal' : 'cancel',
      initiatedEventId: id,
      namespace: a.namespace || ex.namespace,
      namespaceId: a.namespaceId || ex.namespaceId,
      workflowId: a.workflowExecution?.workflowId ?? '',
      runId: a.workflowExecution?.runId ?? '',
      childWorkflowOnly: !!a.childWorkflowOnly,
    };
  } else if (externalClose(e) !== undefined) {
    delete ms.externalRequests[String(externalClose(e))];
  } else if (e.workflowExecutionCancelRequestedEventAttributes) {
    ex.cancelRequested = true;
  } else if (e.upsertWorkflowSearchAttributesEventAttributes) {
    const cur = ex.searchAttributesB64 ? fromB64(SearchAttributes, ex.searchAttributesB64).indexedFields : {};
    const merged = { ...cur, ...(e.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields ?? {}) };
    ex.searchAttributesB64 = toB64(SearchAttributes, { indexedFields: merged });
  } else if (e.workflowPropertiesModifiedEventAttributes?.upsertedMemo) {
    const cur = ex.memoB64 ? fromB64(Memo, ex.memoB64).fields : {};
    ex.memoB64 = toB64(Memo, { fields: { ...cur, ...(e.workflowPropertiesModifiedEventAttributes.upsertedMemo.fields ?? {}) } });
  } else if (e.workflowExecutionUpdateAcceptedEventAttributes) {
    const updateId = e.workflowExecutionUpdateAcceptedEventAttributes.protocolInstanceId ?? '';
    ms.updates[updateId] = { state: 'accepted', acceptedEventId: id, completedEventId: 0, outcomeB64: undefined };
  } else if (e.workflowExecutionUpdateCompletedEventAttributes) {
    const a = e.workflowExecutionUpdateCompletedEventAttributes;
    const u = ms.updates[a.meta?.updateId ?? ''];
    if (u) Object.assign(u, { state: 'completed', completedEventId: id, outcomeB64: a.outcome ? toB64(api.update.v1.Outcome, a.outcome) : undefined });
  }
}

/** A pending activity as the new run inherits it: scheduled again from now, attempt 1 (Temporal's reset does the same). */
function activityFrom(id: number, a: NonNullable<IHistoryEvent['activityTaskScheduledEventAttributes']>, nowMs: number): ActivityInfo {
  const attrs = {
    activityId: a.activityId,
    activityType: a.activityType,
    taskQueue: a.taskQueue,
    header: a.header,
    input: a.input,
    scheduleToCloseTimeout: a.scheduleToCloseTimeout,
    scheduleToStartTimeout: a.scheduleToStartTimeout,
    startToCloseTimeout: a.startToCloseTimeout,
    heartbeatTimeout: a.heartbeatTimeout,
    retryPolicy: a.retryPolicy,
  };
  return {
    state: 'scheduled',
    scheduledEventId: id,
    activityId: a.activityId ?? '',
    activityType: a.activityType?.name ?? '',
    taskQueue: a.taskQueue?.name ?? '',
    attributesB64: toB64(ScheduleAttrs, attrs),
    scheduledTimeMs: nowMs,
    attempt: 1,
    currentAttemptScheduledTimeMs: nowMs,
    startedTimeMs: 0,
    startedIdentity: '',
    requestId: '',
    scheduleToCloseMs: durationMs(a.scheduleToCloseTimeout),
    scheduleToStartMs: durationMs(a.scheduleToStartTimeout),
    startToCloseMs: durationMs(a.startToCloseTimeout),
    heartbeatMs: durationMs(a.heartbeatTimeout),
    retryPolicy: resolveRetryPolicy(a.retryPolicy),
    lastHeartbeatMs: 0,
    heartbeatDetailsB64: undefined,
    lastFailureB64: undefined,
    cancelRequested: false,
    cancelRequestedEventId: 0,
  };
}

function activityClose(e: IHistoryEvent): number | undefined {
  const c =
    e.activityTaskCompletedEventAttributes ??
    e.activityTaskFailedEventAttributes ??
    e.activityTaskTimedOutEventAttributes ??
    e.activityTaskCanceledEventAttributes;
  return c ? num(c.scheduledEventId) : undefined;
}

function childClose(e: IHistoryEvent): number | undefined {
  const c =
    e.childWorkflowExecutionCompletedEventAttributes ??
    e.childWorkflowExecutionFailedEventAttributes ??
    e.childWorkflowExecutionCanceledEventAttributes ??
    e.childWorkflowExecutionTerminatedEventAttributes ??
    e.childWorkflowExecutionTimedOutEventAttributes ??
    e.startChildWorkflowExecutionFailedEventAttributes;
  return c ? num(c.initiatedEventId) : undefined;
}

function externalClose(e: IHistoryEvent): number | undefined {
  const c =
    e.externalWorkflowExecutionSignaledEventAttributes ??
    e.signalExternalWorkflowExecutionFailedEventAttributes ??
    e.externalWorkflowExecutionCancelRequestedEventAttributes ??
    e.requestCancelExternalWorkflowExecutionFailedEventAttributes;
  return c ? num(c.initiatedEventId) : undefined;
}
