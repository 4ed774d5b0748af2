/**
 * The workflow task's lifecycle as a transition table:
 *
 *   none --schedule--> scheduled --start--> started --complete--> none
 *                                           started --fail / time-out--> scheduled (the next attempt)
 *                                           started --abort--> none (the run closes right after)
 *   scheduled --drop--> none (the run closed)          none --backoff-elapsed--> scheduled
 *
 * Scheduling while a task is scheduled or started does nothing: events that arrive meanwhile are
 * buffered and the task's completion schedules the next one. The effects write the task's events
 * (which are never buffered), its transfer task to matching and its start-to-close timer.
 *
 * Transient workflow tasks (as Temporal's history service): the first failure or timeout of a task is
 * written (WorkflowTaskFailed / WorkflowTaskTimedOut) and the next attempt is *transient*: its
 * WorkflowTaskScheduled and WorkflowTaskStarted events are not written; the poll response carries them
 * after the stored history (`transientEvents`), a later failure or timeout only counts the attempt on
 * the pending task, and the completion finally writes both events before WorkflowTaskCompleted. New
 * events (a signal, events buffered while the task ran) make the next task a normal one again
 * (attempt 1). A task failing while the run has a sticky queue clears the sticky queue and keeps
 * attempt 1 (the normal queue gets one more try before retries count). Attempts after the third get a
 * longer start-to-close timeout (`workflowTaskTimeoutForAttempt`): the timeout is what paces a task
 * that keeps failing, since workers report a failure only on attempt 1 and the server drops its own
 * repeated failures (../api/workflow-task.ts).
 */
import { InternalError } from '../../common/errors';
import { msToDuration, msToTimestamp, num, type IHistoryEvent, type temporal, WorkflowTaskFailedCause, type IFailure } from '../../common/proto';
import { makeEvent } from '../events';
import type { MutationContext } from '../context';
import type { MutableState, WorkflowTaskInfo } from '../mutable-state';
import { StateMachine } from './machine';
import { isRunning, workflowTaskStateOf, type WorkflowTaskState } from './states';

type CompletedRequest = temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest;

export interface WorkflowTaskActions {
  schedule: { attempt: number };
  /** the first task's backoff (startDelay, cron, retry) is over */
  'backoff-elapsed': void;
  start: { identity: string };
  complete: Pick<CompletedRequest, 'binaryChecksum' | 'workerVersionStamp' | 'sdkMetadata' | 'meteringMetadata'> & { identity: string };
  /** the worker (or the server, for a command it refused) failed the task: the next attempt is scheduled */
  fail: { cause: number; failure?: IFailure | null; identity: string };
  'time-out': void;
  /** failed with no next attempt: the run closes in the same change (terminate, run timeout, a refused payload) */
  abort: { cause: number; failure?: IFailure | null; identity: string };
  /** the run closed while a task was scheduled (or none was): nothing to write */
  drop: void;
}

export const workflowTaskMachine = new StateMachine<WorkflowTaskState, WorkflowTaskActions, MutationContext, MutableState>(
  {
    entity: 'workflow task',
    // one key across attempts: the recent transitions then tell the task's story in the run
    key: (_ctx, ms) => `${ms.execution.workflowId}/${ms.execution.runId}`,
    describe: (_ctx, ms) => {
      const wt = ms.workflowTask;
      const which = wt ? ` (scheduled event ${wt.scheduledEventId}, attempt ${wt.attempt})` : '';
      return `workflow task of ${ms.execution.workflowId}/${ms.execution.runId}${which}`;
    },
    stateOf: workflowTaskStateOf,
    setState: (ms, s) => {
      if (s !== 'none') ms.workflowTask!.state = s;
      else if (ms.workflowTask) ms.workflowTask = undefined;
    },
  },
  (t) => {
    t.on('none', 'schedule', ['scheduled', 'none'], schedule);
    t.on('scheduled', 'schedule', 'scheduled', () => undefined);
    t.on('started', 'schedule', 'started', () => undefined);
    t.on('none', 'backoff-elapsed', 'scheduled', backoffElapsed);
    t.on('scheduled', 'start', 'started', start);
    t.on('started', 'complete', 'none', complete);
    t.on('started', 'fail', 'scheduled', fail);
    t.on('started', 'time-out', 'scheduled', timeOut);
    t.on('started', 'abort', 'none', abort);
    t.on(['none', 'scheduled'], 'drop', 'none', () => undefined);
  },
);

/** Schedule a workflow task unless one is already scheduled or started (or the run cannot take one). */
export function scheduleWorkflowTask(ctx: MutationContext, attempt = 1): void {
  workflowTaskMachine.fire(ctx, ctx.ms, 'schedule', { attempt });
}

/** Attempts up to this one keep the run's workflow task timeout (Temporal's workflowTaskRetryBackoffMinAttempts). */
const BACKOFF_MIN_ATTEMPTS = 3;
const BACKOFF_INITIAL_MS = 5_000;
/** Temporal's history.workflowTaskRetryMaxInterval default */
const BACKOFF_MAX_MS = 10 * 60_000;

/**
 * The start-to-close timeout of attempt `attempt`: the run's workflow task timeout, plus from the
 * fourth attempt on 5 s, 10 s, 20 s ... at most 10 min (as Temporal), which paces a task that keeps failing.
 */
export function workflowTaskTimeoutForAttempt(baseMs: number, attempt: number): number {
  if (attempt <= BACKOFF_MIN_ATTEMPTS) return baseMs;
  return baseMs + Math.min(BACKOFF_INITIAL_MS * 2 ** (attempt - BACKOFF_MIN_ATTEMPTS - 1), BACKOFF_MAX_MS);
}

/** Schedules the task; `attempt` > 1 makes it transient (no event) unless `newEvents` were just written. */
function schedule(ctx: MutationContext, ms: MutableState, { attempt, newEvents = false }: { attempt: number; newEvents?: boolean }): WorkflowTaskState {
  const e = ms.execution;
  // a closed run takes no task; before the first task's backoff is over, the backoff timer schedules it
  if (!isRunning(ms) || e.firstTaskBackoffPending) return 'none';
  // new events since the last attempt: this task is a normal one again (Temporal resets the attempt)
  if (newEvents) attempt = 1;
  const transient = attempt > 1;
  let scheduledEventId: number;
  if (transient) {
    scheduledEventId = ms.nextEventId; // the id its WorkflowTaskScheduled event gets when the task completes
    ctx.touch();
  } else {
    const ev = ctx.appendEvent('EVENT_TYPE_WORKFLOW_TASK_SCHEDULED', {
      taskQueue: { name: e.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
      startToCloseTimeout: msToDuration(workflowTaskTimeoutForAttempt(e.workflowTaskTimeoutMs, attempt)),
      attempt,
    });
    scheduledEventId = num(ev.eventId);
  }
  ms.workflowTask = {
    state: 'scheduled',
    scheduledEventId,
    startedEventId: 0,
    attempt,
    taskQueue: e.taskQueue,
    scheduledTimeMs: ctx.nowMs,
    startedTimeMs: 0,
    requestId: '',
    identity: '',
    ...(transient ? { transient: true } : {}),
  };
  // the worker that completed the last task keeps the run cached: a first attempt goes to its sticky queue
  const sticky = attempt === 1 && e.stickyTaskQueue ? { stickyTaskQueue: e.stickyTaskQueue } : {};
  ctx.addTransfer({ type: 'workflow-task', scheduledEventId, taskQueue: e.taskQueue, ...sticky });
  return 'scheduled';
}

function backoffElapsed(ctx: MutationContext, ms: MutableState): WorkflowTaskState {
  ms.execution.firstTaskBackoffPending = false;
  ctx.touch();
  return schedule(ctx, ms, { attempt: 1 });
}

function scheduledAttributes(ms: MutableState, wt: WorkflowTaskInfo): object {
  return {
    taskQueue: { name: ms.execution.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
    startToCloseTimeout: msToDuration(workflowTaskTimeoutForAttempt(ms.execution.workflowTaskTimeoutMs, wt.attempt)),
    attempt: wt.attempt,
  };
}

function startedAttributes(wt: WorkflowTaskInfo, historySizeBytes: number): object {
  return { scheduledEventId: wt.scheduledEventId, identity: wt.identity, requestId: wt.requestId, historySizeBytes };
}

function start(ctx: MutationContext, ms: MutableState, { identity }: { identity: string }): void {
  const wt = ms.workflowTask!;
  if (wt.transient && wt.scheduledEventId !== ms.nextEventId) {
    // events were written since the transient task was scheduled: it becomes a normal task (attempt 1)
    wt.transient = undefined;
    wt.attempt = 1;
    wt.scheduledEventId = num(ctx.appendEvent('EVENT_TYPE_WORKFLOW_TASK_SCHEDULED', scheduledAttributes(ms, wt)).eventId);
  }
  wt.startedTimeMs = ctx.nowMs;
  wt.identity = identity;
  wt.requestId = `${wt.scheduledEventId}-${wt.attempt}`;
  if (wt.transient) {
    wt.startedEventId = wt.scheduledEventId + 1;
    ctx.touch();
  } else {
    wt.startedEventId = num(ctx.appendEvent('EVENT_TYPE_WORKFLOW_TASK_STARTED', startedAttributes(wt, ms.historySizeBytes)).eventId);
  }
  const timeoutMs = workflowTaskTimeoutForAttempt(ms.execution.workflowTaskTimeoutMs, wt.attempt);
  ctx.addTimer(ctx.nowMs + timeoutMs, { type: 'workflow-task-timeout', scheduledEventId: wt.scheduledEventId, attempt: wt.attempt });
}

/**
 * The WorkflowTaskScheduled (and, once started, WorkflowTaskStarted) events of a transient task, as
 * the worker sees them after the stored history; none for a normal task.
 */
export function transientEvents(ms: MutableState): IHistoryEvent[] {
  const wt = ms.workflowTask;
  if (!wt?.transient) return [];
  const out = [makeEvent('EVENT_TYPE_WORKFLOW_TASK_SCHEDULED', scheduledAttributes(ms, wt), wt.scheduledTimeMs, wt.scheduledEventId)];
  if (wt.state === 'started')
    out.push(makeEvent('EVENT_TYPE_WORKFLOW_TASK_STARTED', startedAttributes(wt, ms.historySizeBytes), wt.startedTimeMs, wt.startedEventId));
  return out;
}

/** A transient task that completes writes its scheduled and started events first, with their own times. */
function writeTransientEvents(ctx: MutationContext, ms: MutableState, wt: WorkflowTaskInfo): void {
  if (!wt.transient) return;
  if (ms.nextEventId !== wt.scheduledEventId) {
    throw new InternalError(
      `transient workflow task of ${ms.execution.workflowId}/${ms.execution.runId}: scheduled event id ${wt.scheduledEventId}, next event id ${ms.nextEventId}`,
    );
  }
  ctx.appendEvent('EVENT_TYPE_WORKFLOW_TASK_SCHEDULED', scheduledAttributes(ms, wt)).eventTime = msToTimestamp(wt.scheduledTimeMs);
  ctx.appendEvent('EVENT_TYPE_WORKFLOW_TASK_STARTED', startedAttributes(wt, ms.historySizeBytes)).eventTime = msToTimestamp(wt.startedTimeMs);
  wt.transient = undefined;
}

function complete(ctx: MutationContext, ms: MutableState, p: WorkflowTaskActions['complete']): void {
  const wt = ms.workflowTask!;
  writeTransientEvents(ctx, ms, wt);
  ctx.appendEvent('EVENT_TYPE_WORKFLOW_TASK_COMPLETED', {
    scheduledEventId: wt.scheduledEventId,
    startedEventId: wt.startedEventId,
    identity: p.identity,
    binaryChecksum: p.binaryChecksum,
    workerVersion: p.workerVersionStamp,
    sdkMetadata: p.sdkMetadata,
    meteringMetadata: p.meteringMetadata,
  });
  ms.execution.lastCompletedWorkflowTaskStartedEventId = wt.startedEventId;
}

/**
 * Close the started task (its event only when it is not transient), write the events buffered
 * meanwhile and schedule the next attempt. The attempt counts up only when the run had no sticky
 * queue (a failure on the sticky queue first retries on the normal queue) and the cause is the
 * workflow's (UNHANDLED_COMMAND keeps attempt 1: the worker did nothing wrong, new events came in).
 */
function closeAndReschedule(ctx: MutationContext, ms: MutableState, closeEvent: () => void, countAttempt: boolean): WorkflowTaskState {
  const wt = ms.workflowTask!;
  const wasSticky = ms.execution.stickyTaskQueue !== undefined;
  // the worker may have lost the run (RESET_STICKY_TASK_QUEUE) or be gone (timeout): full history next time
  ms.execution.stickyTaskQueue = undefined;
  if (!wt.transient) closeEvent();
  const nextAttempt = countAttempt && !wasSticky ? wt.attempt + 1 : 1;
  ms.workflowTask = undefined;
  const newEvents = ctx.flushBufferedEvents() > 0;
  return schedule(ctx, ms, { attempt: nextAttempt, newEvents });
}

function fail(ctx: MutationContext, ms: MutableState, p: WorkflowTaskActions['fail']): WorkflowTaskState {
  const wt = ms.workflowTask!;
  const unhandled = p.cause === WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND;
  const event = () =>
    ctx.appendEvent('EVENT_TYPE_WORKFLOW_TASK_FAILED', {
      scheduledEventId: wt.scheduledEventId,
      startedEventId: wt.startedEventId,
      cause: p.cause,
      failure: p.failure,
      identity: p.identity,
    });
  return closeAndReschedule(ctx, ms, event, !unhandled);
}

function timeOut(ctx: MutationContext, ms: MutableState): WorkflowTaskState {
  const wt = ms.workflowTask!;
  const event = () =>
    ctx.appendEvent('EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT', {
      scheduledEventId: wt.scheduledEventId,
      startedEventId: wt.startedEventId,
      timeoutType: 'TIMEOUT_TYPE_START_TO_CLOSE',
    });
  return closeAndReschedule(ctx, ms, event, true);
}

/** A transient task closes without an event: the run's history keeps the first failure of the series. */
function abort(ctx: MutationContext, ms: MutableState, p: WorkflowTaskActions['abort']): void {
  const wt = ms.workflowTask!;
  if (!wt.transient) {
    ctx.appendEvent('EVENT_TYPE_WORKFLOW_TASK_FAILED', {
      scheduledEventId: wt.scheduledEventId,
      startedEventId: wt.startedEventId,
      cause: p.cause,
      failure: p.failure,
      identity: p.identity,
    });
  }
  ms.workflowTask = undefined;
  ctx.flushBufferedEvents();
}
