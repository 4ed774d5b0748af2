/**
 * The lifecycles of the entities inside one workflow execution, as transition tables:
 * (from, action) -> to. Any unlisted transition is a bug and throws InternalError naming the path.
 */
import { InternalError } from '../common/errors';

export type Table<S extends string, A extends string> = ReadonlyArray<readonly [from: S, action: A, to: S]>;

export class StateMachine<S extends string, A extends string> {
  constructor(
    readonly name: string,
    private readonly table: Table<S, A>,
  ) {}

  /** The destination of `action` from `from`, or throws. */
  next(from: S, action: A): S {
    for (const [f, a, t] of this.table) if (f === from && a === action) return t;
    throw new InternalError(`${this.name}: invalid transition ${from} --${action}-->`);
  }

  can(from: S, action: A): boolean {
    return this.table.some(([f, a]) => f === from && a === action);
  }
}

/** Workflow execution: running until one close action. */
export type WorkflowState = 'running' | 'completed' | 'failed' | 'canceled' | 'terminated' | 'timed-out' | 'continued-as-new';
export type WorkflowAction = 'complete' | 'fail' | 'cancel' | 'terminate' | 'time-out' | 'continue-as-new';
export const workflowMachine = new StateMachine<WorkflowState, WorkflowAction>('workflow', [
  ['running', 'complete', 'completed'],
  ['running', 'fail', 'failed'],
  ['running', 'cancel', 'canceled'],
  ['running', 'terminate', 'terminated'],
  ['running', 'time-out', 'timed-out'],
  ['running', 'continue-as-new', 'continued-as-new'],
]);

/** Workflow task: none -> scheduled -> started -> (completed | failed | timed-out) = none. */
export type WorkflowTaskState = 'none' | 'scheduled' | 'started';
export type WorkflowTaskAction = 'schedule' | 'start' | 'complete' | 'fail' | 'time-out';
export const workflowTaskMachine = new StateMachine<WorkflowTaskState, WorkflowTaskAction>('workflow task', [
  ['none', 'schedule', 'scheduled'],
  ['scheduled', 'start', 'started'],
  ['scheduled', 'time-out', 'none'],
  ['started', 'complete', 'none'],
  ['started', 'fail', 'none'],
  ['started', 'time-out', 'none'],
]);

/**
 * Activity: scheduled -> started -> closed; a retryable failure or timeout goes to backoff and the
 * retry timer brings it back to scheduled with attempt + 1 (server-side retries write no events).
 */
export type ActivityState = 'scheduled' | 'started' | 'backoff' | 'closed';
export type ActivityAction = 'start' | 'complete' | 'fail' | 'retry' | 'backoff-done' | 'cancel' | 'time-out' | 'heartbeat';
export const activityMachine = new StateMachine<ActivityState, ActivityAction>('activity', [
  ['scheduled', 'start', 'started'],
  ['scheduled', 'cancel', 'closed'],
  ['scheduled', 'time-out', 'closed'],
  ['started', 'heartbeat', 'started'],
  ['started', 'complete', 'closed'],
  ['started', 'fail', 'closed'],
  ['started', 'cancel', 'closed'],
  ['started', 'time-out', 'closed'],
  ['started', 'retry', 'backoff'],
  ['backoff', 'backoff-done', 'scheduled'],
  ['backoff', 'cancel', 'closed'],
  ['backoff', 'time-out', 'closed'],
]);

/** User timer: started -> fired | canceled. */
export type TimerState = 'started' | 'fired' | 'canceled';
export type TimerAction = 'fire' | 'cancel';
export const timerMachine = new StateMachine<TimerState, TimerAction>('timer', [
  ['started', 'fire', 'fired'],
  ['started', 'cancel', 'canceled'],
]);
