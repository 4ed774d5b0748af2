/**
 * A child workflow as its parent sees it, as a transition table:
 *
 *   (new) --initiate--> initiated --start--> started --close--> closed
 *                       initiated --start-failed--> closed
 *
 * A closed child leaves the parent's mutable state. Initiating writes StartChildWorkflowExecutionInitiated
 * and the transfer task that starts the child (queues/transfer-handlers.ts); the other transitions
 * are the answers of that task and of the child's own close, each with its event. The closes schedule
 * a workflow task; 'start' does not (a close may follow it in the same change: the caller schedules).
 * The parent close policy acts on the child run itself (its own workflow machine), not here.
 */
import { num, type IHistoryEvent } from '../../common/proto';
import type { EventTypeName } from '../events';
import type { MutationContext } from '../context';
import type { ChildInfo } from '../mutable-state';
import { StateMachine } from './machine';
import type { ChildState, ClosedWorkflowState, WorkflowState } from './states';
import { scheduleWorkflowTask } from './workflow-task';

/** How a child's chain ended, as its parent is told (a continued-as-new run is not an end). */
export type ChildOutcome = Exclude<ClosedWorkflowState, 'continued-as-new'>;

export interface ChildActions {
  initiate: {
    /** StartChildWorkflowExecutionInitiated's attributes (commands/child.ts resolved them) */
    event: object;
    namespace: string;
    workflowId: string;
    workflowType: string;
    parentClosePolicy: number;
  };
  start: { runId: string; namespaceId: string };
  'start-failed': { cause: number | undefined; namespaceId: string; workflowTaskCompletedEventId: number };
  close: { outcome: ChildOutcome; closeEvent: IHistoryEvent; namespaceId: string; runId: string };
}

export const childMachine = new StateMachine<ChildState, ChildActions, MutationContext, ChildInfo>(
  {
    entity: 'child workflow',
    describe: (ctx, c) => `child workflow ${c.workflowId} (initiated event ${c.initiatedEventId}) of ${ctx.ms.execution.workflowId}/${ctx.ms.execution.runId}`,
    stateOf: (c) => c.state,
    setState: (c, s) => {
      c.state = s;
    },
    final: { states: ['closed'], remove: (ctx, c) => delete ctx.ms.children[String(c.initiatedEventId)] },
  },
  (t) => {
    t.create('initiate', 'initiated', initiate);
    t.on('initiated', 'start', 'started', started);
    t.on('initiated', 'start-failed', 'closed', startFailed);
    t.on('started', 'close', 'closed', closed);
  },
);

/** The outcome a parent is told about, or undefined while the run's chain goes on (running, continued as new). */
export function childOutcome(state: WorkflowState): ChildOutcome | undefined {
  return state === 'running' || state === 'continued-as-new' ? undefined : state;
}

function initiate(ctx: MutationContext, p: ChildActions['initiate']): ChildInfo {
  const ev = ctx.addEvent('EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED', p.event)!;
  const initiatedEventId = num(ev.eventId);
  const child: ChildInfo = {
    state: 'initiated',
    initiatedEventId,
    startedEventId: 0,
    namespace: p.namespace,
    namespaceId: '',
    workflowId: p.workflowId,
    runId: '',
    workflowType: p.workflowType,
    parentClosePolicy: p.parentClosePolicy,
  };
  (ctx.ms.children ??= {})[String(initiatedEventId)] = child;
  ctx.addTransfer({ type: 'start-child', initiatedEventId });
  return child;
}

function started(ctx: MutationContext, c: ChildInfo, { runId, namespaceId }: ChildActions['start']): void {
  const ev = ctx.addEvent('EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED', {
    namespace: c.namespace,
    namespaceId,
    initiatedEventId: c.initiatedEventId,
    workflowExecution: { workflowId: c.workflowId, runId },
    workflowType: { name: c.workflowType },
  });
  c.runId = runId;
  c.namespaceId = namespaceId;
  // buffered while the parent's workflow task runs: it gets its id when written; -1 marks that
  c.startedEventId = ev ? num(ev.eventId) : -1;
}

function startFailed(ctx: MutationContext, c: ChildInfo, p: ChildActions['start-failed']): void {
  ctx.addEvent('EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED', {
    namespace: c.namespace,
    namespaceId: p.namespaceId,
    workflowId: c.workflowId,
    workflowType: { name: c.workflowType },
    cause: p.cause,
    initiatedEventId: c.initiatedEventId,
    workflowTaskCompletedEventId: p.workflowTaskCompletedEventId,
  });
  scheduleWorkflowTask(ctx);
}

const CLOSE_EVENT: Record<ChildOutcome, { type: EventTypeName; attrs: (e: IHistoryEvent) => object }> = {
  completed: { type: 'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED', attrs: (e) => ({ result: e.workflowExecutionCompletedEventAttributes?.result }) },
  failed: {
    type: 'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED',
    attrs: (e) => ({ failure: e.workflowExecutionFailedEventAttributes?.failure, retryState: e.workflowExecutionFailedEventAttributes?.retryState }),
  },
  canceled: { type: 'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED', attrs: (e) => ({ details: e.workflowExecutionCanceledEventAttributes?.details }) },
  terminated: { type: 'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED', attrs: () => ({}) },
  'timed-out': {
    type: 'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT',
    attrs: (e) => ({ retryState: e.workflowExecutionTimedOutEventAttributes?.retryState }),
  },
};

function closed(ctx: MutationContext, c: ChildInfo, p: ChildActions['close']): void {
  const how = CLOSE_EVENT[p.outcome];
  ctx.addEvent(how.type, {
    namespace: c.namespace,
    namespaceId: p.namespaceId,
    workflowExecution: { workflowId: c.workflowId, runId: p.runId },
    workflowType: { name: c.workflowType },
    initiatedEventId: c.initiatedEventId,
    startedEventId: c.startedEventId,
    ...how.attrs(p.closeEvent),
  });
  scheduleWorkflowTask(ctx);
}
