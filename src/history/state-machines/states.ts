/**
 * The states of the entities inside one workflow execution, and the questions the rest of history
 * asks of them (is the run open, is a workflow task in flight). The stored strings are part of the
 * persisted mutable state (json/v2): they never change without a data-format version bump.
 *
 * Kept apart from the tables (which need the mutation context) so that the mutation context and the
 * mutable-state types can use them without an import cycle. Changing a state is the tables' job.
 */
import { WorkflowExecutionStatus } from '../../common/proto';

/** Workflow execution: running until one close. */
export type WorkflowState = 'running' | 'completed' | 'failed' | 'canceled' | 'terminated' | 'timed-out' | 'continued-as-new';
export type ClosedWorkflowState = Exclude<WorkflowState, 'running'>;

/** Workflow task: 'none' is stored as an absent `workflowTask`. */
export type WorkflowTaskState = 'none' | 'scheduled' | 'started';

/** Activity: 'closed' is never stored (a closed activity leaves the mutable state). */
export type ActivityState = 'scheduled' | 'started' | 'backoff' | 'closed';

/** User timer: 'fired' and 'canceled' are never stored. */
export type TimerState = 'started' | 'fired' | 'canceled';

/** Child workflow as its parent sees it: 'closed' is never stored. */
export type ChildState = 'initiated' | 'started' | 'closed';

/** The durable part of an update's lifecycle (admitted and rejected updates live in memory). */
export type DurableUpdateState = 'accepted' | 'completed';

interface HasExecutionState {
  execution: { state: WorkflowState };
}

interface HasWorkflowTask {
  workflowTask?: { state: Exclude<WorkflowTaskState, 'none'> } | undefined;
}

export function isRunning(ms: HasExecutionState): boolean {
  return ms.execution.state === 'running';
}

export function workflowTaskStateOf(ms: HasWorkflowTask): WorkflowTaskState {
  return ms.workflowTask?.state ?? 'none';
}

/** A worker holds the workflow task: events arriving now are buffered until it answers. */
export function isWorkflowTaskStarted(ms: HasWorkflowTask): boolean {
  return ms.workflowTask?.state === 'started';
}

const STATUS: Record<WorkflowState, number> = {
  running: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
  completed: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
  failed: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED,
  canceled: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED,
  terminated: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED,
  'continued-as-new': WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
  'timed-out': WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TIMED_OUT,
};

/** The run's WorkflowExecutionStatus (enums.v1). */
export function executionStatus(ms: HasExecutionState): number {
  return STATUS[ms.execution.state];
}
