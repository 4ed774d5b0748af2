/**
 * MutationContext: the buffer of one change to one execution (new events, transfer and timer tasks).
 * The engine commits it in one transaction together with the new mutable state. Events that arrive
 * while a workflow task is started are buffered in the mutable state and written after the task
 * completes, so the history the worker sees always ends with WorkflowTaskStarted.
 */
import { api, fromB64, msToDuration, num, toB64, WorkflowExecutionStatus, type IHistoryEvent } from '../common/proto';
import { makeEvent, type EventTypeName } from './events';
import type { MutableState } from './mutable-state';
import type { NextRunPlan } from './next-run';
import { workflowMachine, workflowTaskMachine, type WorkflowAction } from './state-machines';
import type { ExecutionKey } from '../persistence';
import type { TimerTask, TransferTask } from './tasks';

type Distribute<T> = T extends unknown ? Omit<T, keyof ExecutionKey> : never;

const HistoryEvent = api.history.v1.HistoryEvent;

export class MutationContext {
  readonly newEvents: IHistoryEvent[] = [];
  readonly transferTasks: TransferTask[] = [];
  readonly timerTasks: { atMs: number; task: TimerTask }[] = [];
  /** the transfer tasks with the ids they were committed under (set by the engine's write) */
  committedTransfer: { taskId: number; task: TransferTask }[] = [];
  /** true while applying a workflow task completion: its events are never buffered */
  completingWorkflowTask = false;
  /** set when anything in the mutable state changed */
  dirty = false;
  /**
   * Set when this change closed the run and a next run (continue-as-new, retry, cron) was already
   * created: the current_executions row points at the new run, so this commit must leave it alone.
   */
  currentRowMovedOn = false;
  /** the run id a next run would get (reserved before applying close commands; see next-run.ts) */
  reservedNextRunId: string | undefined;
  /** the namespace's retention as last seen by the engine (undefined: not known yet) */
  retentionHintMs: number | undefined;
  /** the next run (continue-as-new, retry, cron) this change plans; created by createNextRun */
  nextRun: NextRunPlan | undefined;

  constructor(
    readonly ms: MutableState,
    readonly nowMs: number,
  ) {}

  get ref(): ExecutionKey {
    const e = this.ms.execution;
    return { namespaceId: e.namespaceId, workflowId: e.workflowId, runId: e.runId };
  }

  /** Append an event (or buffer it while a workflow task is started). Returns it when appended. */
  addEvent(type: EventTypeName, attrs: object): IHistoryEvent | undefined {
    this.dirty = true;
    if (this.ms.workflowTask?.state === 'started' && !this.completingWorkflowTask) {
      this.ms.bufferedEvents.push(toB64(HistoryEvent, makeEvent(type, attrs, this.nowMs)));
      return undefined;
    }
    const e = makeEvent(type, attrs, this.nowMs, this.ms.nextEventId++);
    this.newEvents.push(e);
    return e;
  }

  /** Write buffered events into history (after a workflow task closed). Returns how many. */
  flushBufferedEvents(): number {
    const n = this.ms.bufferedEvents.length;
    const childStarted = new Map<number, number>();
    for (const b64 of this.ms.bufferedEvents) {
      const e = fromB64(HistoryEvent, b64);
      e.eventId = this.ms.nextEventId++ as unknown as typeof e.eventId;
      // activity close events buffered with their started event refer to it as -1 ("the event before me")
      const closeAttrs =
        e.activityTaskCompletedEventAttributes ??
        e.activityTaskFailedEventAttributes ??
        e.activityTaskTimedOutEventAttributes ??
        e.activityTaskCanceledEventAttributes;
      if (closeAttrs && num(closeAttrs.startedEventId) === -1) closeAttrs.startedEventId = (num(e.eventId) - 1) as never;
      this.fixBufferedChildEvent(e, childStarted);
      this.newEvents.push(e);
    }
    this.ms.bufferedEvents = [];
    return n;
  }

  /** A buffered ChildWorkflowExecutionStarted gets its id now: the child entry (and a close event in the same batch) learn it. */
  private fixBufferedChildEvent(e: IHistoryEvent, childStarted: Map<number, number>): void {
    const started = e.childWorkflowExecutionStartedEventAttributes;
    if (started) {
      const initiated = num(started.initiatedEventId);
      childStarted.set(initiated, num(e.eventId));
      const child = this.ms.children?.[String(initiated)];
      if (child && child.startedEventId === -1) child.startedEventId = num(e.eventId);
      return;
    }
    const close =
      e.childWorkflowExecutionCompletedEventAttributes ??
      e.childWorkflowExecutionFailedEventAttributes ??
      e.childWorkflowExecutionCanceledEventAttributes ??
      e.childWorkflowExecutionTerminatedEventAttributes ??
      e.childWorkflowExecutionTimedOutEventAttributes;
    if (close && num(close.startedEventId) === -1) close.startedEventId = (childStarted.get(num(close.initiatedEventId)) ?? 0) as never;
  }

  addTransfer(t: Distribute<TransferTask>): void {
    this.transferTasks.push({ ...this.ref, ...t } as TransferTask);
  }

  addTimer(atMs: number, t: Distribute<TimerTask>): void {
    this.timerTasks.push({ atMs, task: { ...this.ref, ...t } as TimerTask });
  }

  touch(): void {
    this.dirty = true;
  }

  // ---------------------------------------------------------------- workflow task
  /** Schedule a workflow task unless one is already scheduled or started. */
  scheduleWorkflowTask(attempt = 1): void {
    if (this.ms.workflowTask || this.ms.execution.state !== 'running') return;
    // before the first task's backoff (startDelay, cron, retry) is over, the backoff timer schedules it
    if (this.ms.execution.firstTaskBackoffPending) return;
    workflowTaskMachine.next('none', 'schedule');
    const e = this.ms.execution;
    const ev = this.addEvent('EVENT_TYPE_WORKFLOW_TASK_SCHEDULED', {
      taskQueue: { name: e.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
      startToCloseTimeout: msToDuration(e.workflowTaskTimeoutMs),
      attempt,
    });
    const scheduledEventId = num(ev!.eventId);
    this.ms.workflowTask = {
      state: 'scheduled',
      scheduledEventId,
      startedEventId: 0,
      attempt,
      taskQueue: e.taskQueue,
      scheduledTimeMs: this.nowMs,
      startedTimeMs: 0,
      requestId: '',
      identity: '',
    };
    const sticky = attempt === 1 && e.stickyTaskQueue ? { stickyTaskQueue: e.stickyTaskQueue } : {};
    this.addTransfer({ type: 'workflow-task', scheduledEventId, taskQueue: e.taskQueue, ...sticky });
  }

  // ---------------------------------------------------------------- workflow close
  /** Close the run with `action`; writes the close event and drops pending work. */
  closeWorkflow(action: WorkflowAction, type: EventTypeName, attrs: object): IHistoryEvent {
    const wasCompleting = this.completingWorkflowTask;
    this.completingWorkflowTask = true; // the close event is never buffered
    this.ms.execution.state = workflowMachine.next(this.ms.execution.state, action);
    const ev = this.addEvent(type, attrs)!;
    this.completingWorkflowTask = wasCompleting;
    this.ms.execution.completionEventId = num(ev.eventId);
    this.ms.execution.closeTimeMs = this.nowMs;
    this.ms.workflowTask = undefined;
    this.ms.bufferedEvents = [];
    // retention: deletion is scheduled with the close when the namespace's retention is known here
    // (the timer re-checks the retention when it fires); else the close-execution task does it
    if (this.retentionHintMs !== undefined) {
      this.addTimer(this.nowMs + this.retentionHintMs, { type: 'delete-execution' });
      this.ms.execution.retentionTimerSet = true;
    }
    // parent notification, parent close policy, retention (queues/transfer-handlers.ts)
    this.addTransfer({ type: 'close-execution' });
    return ev;
  }
}

const STATUS: Record<MutableState['execution']['state'], number> = {
  running: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
  completed: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
  failed: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED,
  canceled: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED,
  terminated: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED,
  'continued-as-new': WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
  'timed-out': WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TIMED_OUT,
};

export function executionStatus(ms: MutableState): number {
  return STATUS[ms.execution.state];
}
