/**
 * Transfer tasks that reach other executions: starting a child, signalling or cancelling an external
 * workflow, and what follows a run's close (the parent's child-closed event, the parent close policy
 * of its children, the retention timer). Each runs after the commit that created it and is
 * idempotent: the child is started with a request id derived from the parent run and initiated
 * event id (a repeat finds the same run), signals carry a request id the target remembers, and
 * every result is recorded in the initiating run only while its pending entry still exists.
 */
import { NotFoundError, WorkflowExecutionAlreadyStartedError } from '../../common/errors';
import { scheduledByOf, scheduledRunClosed } from '../schedules/driver';
import { num, temporal, type IHistoryEvent } from '../../common/proto';
import type { HistoryEngine } from '../engine';
import type { MutableState } from '../mutable-state';
import { childMachine, childOutcome } from '../state-machines/child';
import { isRunning } from '../state-machines/states';
import { scheduleWorkflowTask } from '../state-machines/workflow-task';
import type { TransferTask } from '../tasks';
import type { ExecutionKey } from '../../persistence';

/**
 * Fault injection for tests: called between the write to the other execution (child started,
 * signal or cancel delivered) and the write that records it in the initiating run. A throw there is
 * what a crash at that instant leaves behind: the task runs again later and must neither lose nor
 * duplicate anything.
 */
const PCP = temporal.api.enums.v1.ParentClosePolicy;

export const transferFaults: { betweenWrites?: (kind: 'start-child' | 'signal' | 'cancel') => void } = {};

export async function executeTransferTask(engine: HistoryEngine, t: TransferTask): Promise<void> {
  const ref: ExecutionKey = { namespaceId: t.namespaceId, workflowId: t.workflowId, runId: t.runId };
  switch (t.type) {
    case 'start-child':
      return startChild(engine, ref, t.initiatedEventId);
    case 'signal-external':
    case 'cancel-external':
      return requestExternal(engine, ref, t.initiatedEventId);
    case 'close-execution':
      return afterClose(engine, ref);
    default:
      return;
  }
}

async function eventById(engine: HistoryEngine, ref: ExecutionKey, eventId: number): Promise<IHistoryEvent | undefined> {
  // only the batch holding it is read
  return (await engine.readHistoryFrom(ref, eventId, eventId + 1, 1)).events[0];
}

async function namespaceOf(engine: HistoryEngine, name: string, ms: MutableState): Promise<{ id: string; name: string } | undefined> {
  if (!name || name === ms.execution.namespace) return { id: ms.execution.namespaceId, name: ms.execution.namespace };
  return engine.namespaces.byName(name);
}

// ---------------------------------------------------------------- children
async function startChild(engine: HistoryEngine, parentRef: ExecutionKey, initiatedEventId: number): Promise<void> {
  const parent = await engine.getMutableState(parentRef);
  const child = parent.children?.[String(initiatedEventId)];
  if (!isRunning(parent) || !child || !childMachine.can(child, 'start')) return;
  const a = (await eventById(engine, parentRef, initiatedEventId))?.startChildWorkflowExecutionInitiatedEventAttributes;
  if (!a) return;
  const ns = await namespaceOf(engine, child.namespace, parent);
  let started: { runId: string } | undefined;
  let failedCause: number | undefined;
  if (!ns) {
    failedCause = temporal.api.enums.v1.StartChildWorkflowExecutionFailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND;
  } else {
    try {
      started = await engine.crossShard.startChild(
        ns,
        {
          namespace: ns.name,
          workflowId: a.workflowId,
          workflowType: a.workflowType,
          taskQueue: a.taskQueue,
          input: a.input,
          workflowExecutionTimeout: a.workflowExecutionTimeout,
          workflowRunTimeout: a.workflowRunTimeout,
          workflowTaskTimeout: a.workflowTaskTimeout,
          identity: `parent ${parentRef.workflowId}`,
          // idempotency: a repeat of this task finds the run this request id created
          requestId: `${parentRef.runId}/child/${initiatedEventId}`,
          workflowIdReusePolicy: a.workflowIdReusePolicy,
          retryPolicy: a.retryPolicy,
          cronSchedule: a.cronSchedule,
          memo: a.memo,
          searchAttributes: a.searchAttributes,
          header: a.header,
        },
        {
          namespaceId: parentRef.namespaceId,
          namespace: parent.execution.namespace,
          workflowId: parentRef.workflowId,
          runId: parentRef.runId,
          initiatedEventId,
          parentClosePolicy: child.parentClosePolicy,
        },
      );
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      failedCause = temporal.api.enums.v1.StartChildWorkflowExecutionFailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS;
    }
  }
  transferFaults.betweenWrites?.('start-child');
  await engine.update(parentRef, (ctx) => {
    const c = ctx.ms.children?.[String(initiatedEventId)];
    if (!isRunning(ctx.ms) || !c || !childMachine.can(c, 'start')) return;
    if (started) {
      childMachine.fire(ctx, c, 'start', { runId: started.runId, namespaceId: ns!.id });
      scheduleWorkflowTask(ctx);
    } else {
      childMachine.fire(ctx, c, 'start-failed', {
        cause: failedCause,
        namespaceId: ns?.id ?? '',
        workflowTaskCompletedEventId: num(a.workflowTaskCompletedEventId),
      });
    }
  });
}

/** The final run of a child chain closed: the parent gets the child's close event. */
async function notifyParent(engine: HistoryEngine, child: MutableState, closeEvent: IHistoryEvent): Promise<void> {
  const p = child.execution.parent!;
  const outcome = childOutcome(child.execution.state);
  if (!outcome) return;
  const parentRef = { namespaceId: p.namespaceId, workflowId: p.workflowId, runId: p.runId };
  const e = child.execution;
  await engine.crossShard.childClosed(parentRef, p.initiatedEventId, {
    namespaceId: e.namespaceId,
    workflowId: e.workflowId,
    firstRunId: e.firstRunId,
    runId: e.runId,
    outcome,
    closeEvent,
  });
}

/** Parent close policy: TERMINATE or REQUEST_CANCEL the children still open; ABANDON leaves them. */
async function applyParentClosePolicy(engine: HistoryEngine, parent: MutableState): Promise<void> {
  for (const c of Object.values(parent.children ?? {})) {
    if (c.parentClosePolicy === PCP.PARENT_CLOSE_POLICY_ABANDON) continue;
    const ns = await namespaceOf(engine, c.namespace, parent);
    if (!ns) continue;
    const p = parent.execution;
    await engine.crossShard.applyParentClosePolicy(
      ns.id,
      c.workflowId,
      { namespaceId: p.namespaceId, workflowId: p.workflowId, runId: p.runId },
      c.initiatedEventId,
      c.parentClosePolicy,
    );
  }
}

/** how often a close re-reads its namespace's retention (the deletion timer re-checks it anyway) */
const HINT_REFRESH_MS = 10_000;
const hintRefreshedAt = new Map<string, number>();

async function afterClose(engine: HistoryEngine, ref: ExecutionKey): Promise<void> {
  const ms = await engine.peekMutableState(ref);
  if (isRunning(ms)) return;
  // a run a schedule started: the schedule learns it closed (overlap, pause on failure, recent actions)
  const scheduleId = scheduledByOf(ms);
  if (scheduleId !== undefined) await scheduledRunClosed(engine, ref.namespaceId, scheduleId, ref.workflowId);
  if (ms.execution.parent && !ms.execution.nextRunId) {
    const close = await eventById(engine, ref, ms.execution.completionEventId);
    if (close) await notifyParent(engine, ms, close);
  }
  await applyParentClosePolicy(engine, ms);
  // retention: the run's data is deleted once the namespace's retention has passed since its close
  if (ms.execution.retentionTimerSet && Date.now() - (hintRefreshedAt.get(ref.namespaceId) ?? 0) < HINT_REFRESH_MS) return;
  const retentionMs = await engine.namespaces.retentionMs(ref.namespaceId);
  engine.retentionHints.set(ref.namespaceId, retentionMs);
  hintRefreshedAt.set(ref.namespaceId, Date.now());
  if (!ms.execution.retentionTimerSet) {
    await engine.update(ref, (ctx) => ctx.addTimer(ms.execution.closeTimeMs + retentionMs, { type: 'delete-execution' }));
  }
  // TODO(vis): the visibility record of the closed run is written by the visibility task queue.
}

// ---------------------------------------------------------------- external signal / cancel
async function requestExternal(engine: HistoryEngine, ref: ExecutionKey, initiatedEventId: number): Promise<void> {
  const ms = await engine.getMutableState(ref);
  const r = ms.externalRequests?.[String(initiatedEventId)];
  if (!isRunning(ms) || !r) return;
  const ns = await namespaceOf(engine, r.namespace, ms);
  let ok = false;
  let targetRunId = r.runId;
  if (ns) {
    try {
      const requestId = `${ref.runId}/${r.kind}/${initiatedEventId}`;
      const a = r.kind === 'signal' ? (await eventById(engine, ref, initiatedEventId))?.signalExternalWorkflowExecutionInitiatedEventAttributes : undefined;
      const reached = await engine.crossShard.requestExternal({
        namespaceId: ns.id,
        workflowId: r.workflowId,
        runId: r.runId,
        childWorkflowOnly: !!r.childWorkflowOnly,
        from: ref,
        kind: r.kind,
        requestId,
        signal: a ? { signalName: a.signalName ?? '', input: a.input, header: a.header } : undefined,
      });
      targetRunId = reached.runId;
      ok = true;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  transferFaults.betweenWrites?.(r.kind);
  const initiated = await eventById(engine, ref, initiatedEventId);
  const control = (
    initiated?.signalExternalWorkflowExecutionInitiatedEventAttributes ?? initiated?.requestCancelExternalWorkflowExecutionInitiatedEventAttributes
  )?.control;
  const wtCompleted = (
    initiated?.signalExternalWorkflowExecutionInitiatedEventAttributes ?? initiated?.requestCancelExternalWorkflowExecutionInitiatedEventAttributes
  )?.workflowTaskCompletedEventId;
  await engine.update(ref, (ctx) => {
    const cur = ctx.ms.externalRequests?.[String(initiatedEventId)];
    if (!isRunning(ctx.ms) || !cur) return;
    const common = {
      initiatedEventId,
      namespace: r.namespace,
      namespaceId: ns?.id ?? '',
      workflowExecution: { workflowId: r.workflowId, runId: ok ? targetRunId : r.runId },
    };
    const notFound = 'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND';
    if (r.kind === 'signal') {
      if (ok) ctx.addEvent('EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED', { ...common, control });
      else
        ctx.addEvent('EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED', {
          ...common,
          control,
          cause: notFound,
          workflowTaskCompletedEventId: wtCompleted,
        });
    } else {
      if (ok) ctx.addEvent('EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED', common);
      else
        ctx.addEvent('EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED', {
          ...common,
          control,
          cause: 'CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND',
          workflowTaskCompletedEventId: wtCompleted,
        });
    }
    delete ctx.ms.externalRequests![String(initiatedEventId)];
    scheduleWorkflowTask(ctx);
  });
}
