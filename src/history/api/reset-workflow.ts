/**
 * ResetWorkflowExecution, as Temporal does it: a new run of the same workflow id whose history is the
 * base run's up to the workflow task the request names, that task failed (WorkflowTaskFailed, cause
 * RESET_WORKFLOW, naming base and new run), the signals the base run received after that point
 * reapplied (unless the reapply type excludes them), and a new workflow task. The current run, when
 * still running, is terminated (reason: the reset's, identity "history-resetter"); the new run
 * becomes current. The base run records the new run (DescribeWorkflowExecution's resetRunId).
 *
 * The point: `workflowTaskFinishEventId` is the id of a WorkflowTaskCompleted, WorkflowTaskFailed,
 * WorkflowTaskTimedOut or WorkflowTaskStarted event; the new history keeps events before it.
 * Activities pending at that point are scheduled again (attempt 1), timers re-armed. Not done here
 * (refused, or left): pending children or external signal/cancel requests at the point (refused, as
 * Temporal does without AllowResetWithPendingChildren); updates after the point are not reapplied;
 * events of runs after the base run (continue-as-new) are not reapplied.
 */
import { InvalidArgumentError } from '../../common/errors';
import { newUuid } from '../../common/ids';
import { EventType, num, temporal, WorkflowTaskFailedCause, type IHistoryEvent } from '../../common/proto';
import { MutationContext } from '../context';
import type { HistoryEngine } from '../engine';
import type { MutableState } from '../mutable-state';
import { rebuildMutableState } from '../rebuild';
import { isRunning } from '../state-machines/states';
import { workflowMachine } from '../state-machines/workflow';
import { scheduleWorkflowTask } from '../state-machines/workflow-task';
import type { ExecutionKey } from '../../persistence';

const ReapplyType = temporal.api.enums.v1.ResetReapplyType;
const ExcludeType = temporal.api.enums.v1.ResetReapplyExcludeType;

export const RESETTER_IDENTITY = 'history-resetter';
const HISTORY_SERVICE = 'history-service';

export interface ResetOptions {
  workflowTaskFinishEventId: number;
  reason: string;
  requestId: string;
  /** enums.v1.ResetReapplyType */
  reapplyType: number;
  /** enums.v1.ResetReapplyExcludeType[] */
  reapplyExcludeTypes: readonly number[];
  identity: string;
}

/** Whether signals received after the reset point are reapplied to the new run. */
export function reappliesSignals(o: Pick<ResetOptions, 'reapplyType' | 'reapplyExcludeTypes'>): boolean {
  if (o.reapplyType === ReapplyType.RESET_REAPPLY_TYPE_NONE) return false;
  return !o.reapplyExcludeTypes.includes(ExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL);
}

const RESET_POINT_TYPES = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
]);

/** The base run's events the new run keeps (ids below the reset point), or InvalidArgument saying which ids would do. */
export function eventsBeforeResetPoint(events: readonly IHistoryEvent[], finishEventId: number): IHistoryEvent[] {
  const last = events.length > 0 ? num(events[events.length - 1]!.eventId) : 0;
  const candidates = events
    .filter((e) => Number(e.eventType) === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    .map((e) => num(e.eventId))
    .slice(-10);
  const hint = candidates.length > 0 ? ` (this run's WorkflowTaskCompleted events: ${candidates.join(', ')})` : '';
  if (finishEventId <= 1 || finishEventId > last) {
    throw new InvalidArgumentError('workflowTaskFinishEventId', `${finishEventId} is not an event of this run: it must be > 1 and <= ${last}${hint}`);
  }
  const point = events.find((e) => num(e.eventId) === finishEventId);
  if (!point || !RESET_POINT_TYPES.has(Number(point.eventType))) {
    const name = point ? EventType[Number(point.eventType)] : 'missing';
    throw new InvalidArgumentError(
      'workflowTaskFinishEventId',
      `event ${finishEventId} is ${name}; a reset point is a WorkflowTaskCompleted, WorkflowTaskFailed, WorkflowTaskTimedOut or WorkflowTaskStarted event${hint}`,
    );
  }
  return events.filter((e) => num(e.eventId) < finishEventId);
}

/** The new run: copied history, the failed task, pending work re-armed, signals reapplied, a new workflow task. */
export function buildResetRun(base: MutableState, baseEvents: readonly IHistoryEvent[], newRunId: string, o: ResetOptions, nowMs: number): MutationContext {
  const kept = eventsBeforeResetPoint(baseEvents, o.workflowTaskFinishEventId);
  const ms = rebuildMutableState(base.execution, kept, newRunId, nowMs);
  ms.execution.createRequestId = o.requestId;
  const children = Object.values(ms.children);
  if (children.length > 0) {
    throw new InvalidArgumentError(
      'workflowTaskFinishEventId',
      `at event ${o.workflowTaskFinishEventId} the child workflow ${children[0]!.workflowId} is pending; this server does not reset to a point with pending child workflows (pick a point before the child started or after it closed)`,
    );
  }
  if (Object.keys(ms.externalRequests).length > 0) {
    throw new InvalidArgumentError(
      'workflowTaskFinishEventId',
      `at event ${o.workflowTaskFinishEventId} a signal or cancel of another workflow is in flight; pick a point where it has completed`,
    );
  }
  const wt = ms.workflowTask;
  if (!wt) throw new InvalidArgumentError('workflowTaskFinishEventId', `no workflow task is in flight just before event ${o.workflowTaskFinishEventId}`);
  const ctx = new MutationContext(ms, nowMs);
  ctx.newEvents.push(...kept);
  if (wt.state === 'scheduled') {
    const started = ctx.appendEvent('EVENT_TYPE_WORKFLOW_TASK_STARTED', {
      scheduledEventId: wt.scheduledEventId,
      identity: HISTORY_SERVICE,
      requestId: newUuid(),
    });
    wt.startedEventId = num(started.eventId);
  }
  ctx.appendEvent('EVENT_TYPE_WORKFLOW_TASK_FAILED', {
    scheduledEventId: wt.scheduledEventId,
    startedEventId: wt.startedEventId,
    cause: WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
    failure: { message: o.reason, resetWorkflowFailureInfo: {} },
    identity: HISTORY_SERVICE,
    baseRunId: base.execution.runId,
    newRunId,
  });
  ms.workflowTask = undefined;
  rearmPendingWork(ctx);
  if (reappliesSignals(o)) {
    const pointId = o.workflowTaskFinishEventId;
    for (const e of baseEvents) {
      const s = e.workflowExecutionSignaledEventAttributes;
      if (!s || num(e.eventId) < pointId) continue;
      ctx.addEvent('EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED', { signalName: s.signalName, input: s.input, identity: s.identity, header: s.header });
    }
  }
  scheduleWorkflowTask(ctx);
  const e = ms.execution;
  // the run keeps the base run's deadline (Temporal refreshes the expiration from the start event)
  if (e.runTimeoutMs > 0) ctx.addTimer(e.executionTimeMs + e.runTimeoutMs, { type: 'workflow-run-timeout' });
  return ctx;
}

/** Activities pending at the reset point go to matching again with their timeouts; timers are armed again. */
function rearmPendingWork(ctx: MutationContext): void {
  for (const a of Object.values(ctx.ms.activities)) {
    ctx.addTransfer({ type: 'activity-task', scheduledEventId: a.scheduledEventId, attempt: 1, taskQueue: a.taskQueue });
    if (a.scheduleToCloseMs > 0) {
      ctx.addTimer(ctx.nowMs + a.scheduleToCloseMs, {
        type: 'activity-timeout',
        scheduledEventId: a.scheduledEventId,
        attempt: 0,
        timeoutType: 'schedule-to-close',
      });
    }
    if (a.scheduleToStartMs > 0 && a.scheduleToStartMs < a.scheduleToCloseMs) {
      ctx.addTimer(ctx.nowMs + a.scheduleToStartMs, {
        type: 'activity-timeout',
        scheduledEventId: a.scheduledEventId,
        attempt: 1,
        timeoutType: 'schedule-to-start',
      });
    }
  }
  for (const t of Object.values(ctx.ms.timers)) ctx.addTimer(t.expiryMs, { type: 'user-timer', timerId: t.timerId, startedEventId: t.startedEventId });
}

/** Reset `base` (a resolved run); returns the new run's id. A repeated request id answers the run it created. */
export async function resetWorkflow(engine: HistoryEngine, base: ExecutionKey, o: ResetOptions): Promise<{ runId: string }> {
  const shard = engine.shardFor(base.namespaceId, base.workflowId);
  const cur = await engine.store.executions.getCurrentExecution(shard.shardId, base.namespaceId, base.workflowId);
  if (cur && o.requestId && cur.createRequestId === o.requestId) return { runId: cur.runId };
  const requestId = o.requestId || newUuid();
  const opts = { ...o, requestId };
  const newRunId = newUuid();
  // checked before anything is written: a bad point changes nothing
  const baseState = await engine.getMutableState(base);
  buildResetRun(baseState, await engine.readHistory(base), newRunId, opts, Date.now());
  const currentRef: ExecutionKey = { ...base, runId: cur?.runId ?? base.runId };
  await engine.update(currentRef, async (ctx) => {
    const baseIsCurrent = currentRef.runId === base.runId;
    if (isRunning(ctx.ms)) {
      workflowMachine.fire(ctx, ctx.ms, 'terminate', { reason: o.reason, identity: RESETTER_IDENTITY });
      // the reset run carries on: the parent is not told of this close (as for continue-as-new)
      ctx.ms.execution.nextRunId = newRunId;
    }
    if (baseIsCurrent) {
      ctx.ms.execution.resetRunId = newRunId;
      ctx.touch();
    }
    // the base run's history as of now (signals that came in since the check above count)
    const baseNow = baseIsCurrent ? ctx.ms : await engine.getMutableState(base);
    const events = [...(await engine.readHistory(base)), ...(baseIsCurrent ? ctx.newEvents : [])];
    const next = buildResetRun(baseNow, events, newRunId, opts, ctx.nowMs);
    ctx.currentRowMovedOn = true;
    await engine.create(next, cur ? currentRef.runId : undefined);
  });
  if (currentRef.runId !== base.runId) {
    await engine.update(base, (ctx) => {
      ctx.ms.execution.resetRunId = newRunId;
      ctx.touch();
    });
  }
  return { runId: newRunId };
}
