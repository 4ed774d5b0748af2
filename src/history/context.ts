/**
 * MutationContext: the buffer of one change to one execution (new events, transfer and timer tasks).
 * The engine commits it in one transaction together with the new mutable state. Events that arrive
 * while a workflow task is started are buffered in the mutable state and written after the task
 * closes, so the history the worker sees always ends with WorkflowTaskStarted.
 *
 * Owns the event buffer and the task outbox of one change. Does not own what changes: that is the
 * transition tables in ./state-machines (their effects call addEvent / appendEvent / addTimer ...).
 */
import { api, EventType, fromB64, num, toB64, type IFailure, type IHistoryEvent, type IPayloads, type temporal } from '../common/proto';
import { makeEvent, type EventTypeName } from './events';
import type { MutableState } from './mutable-state';
import { isWorkflowTaskStarted } from './state-machines/states';
import type { TimerTask, TransferTask } from './tasks';
import type { ExecutionKey } from '../persistence';

export { executionStatus } from './state-machines/states'; // kept here for src/visibility/manager.ts

type Distribute<T> = T extends unknown ? Omit<T, keyof ExecutionKey> : never;

const HistoryEvent = api.history.v1.HistoryEvent;

/** The run that follows a closing run (continue-as-new, retry, cron), planned by the close (next-run-plan.ts). */
export interface NextRunPlan {
  kind: 'continue-as-new' | 'retry' | 'cron';
  runId: string;
  backoffMs: number;
  attempt: number;
  failure?: IFailure | null;
  lastCompletionResult?: IPayloads | null;
  /** continue-as-new: the command's attributes (unset fields keep the current run's values) */
  can?: temporal.api.command.v1.IContinueAsNewWorkflowExecutionCommandAttributes;
}

export class MutationContext {
  readonly newEvents: IHistoryEvent[] = [];
  readonly transferTasks: TransferTask[] = [];
  readonly timerTasks: { atMs: number; task: TimerTask }[] = [];
  /** the transfer tasks with the ids they were committed under (set by the engine's write) */
  committedTransfer: { taskId: number; task: TransferTask }[] = [];
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

  /** The id of the last event of `type` this change wrote to history (0: none). */
  lastAppended(type: EventTypeName): number {
    const t = EventType[type];
    for (let i = this.newEvents.length - 1; i >= 0; i--) if (Number(this.newEvents[i]!.eventType) === t) return num(this.newEvents[i]!.eventId);
    return 0;
  }

  /** Append an event, or buffer it while a workflow task is started. Returns it when appended. */
  addEvent(type: EventTypeName, attrs: object): IHistoryEvent | undefined {
    if (isWorkflowTaskStarted(this.ms)) {
      this.dirty = true;
      this.ms.bufferedEvents.push(toB64(HistoryEvent, makeEvent(type, attrs, this.nowMs)));
      return undefined;
    }
    return this.appendEvent(type, attrs);
  }

  /**
   * Append an event now, even while a workflow task is started: the events that close the task
   * itself, and the close of the run.
   */
  appendEvent(type: EventTypeName, attrs: object): IHistoryEvent {
    this.dirty = true;
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
}
