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
 * Room for later rows (issue 14): a transient failure (an attempt > 1 counted on the pending task
 * without events), a schedule-to-start timeout of a sticky task (scheduled --time-out--> scheduled),
 * a reset (started --abort--> none on the old run).
 */
import { msToDuration, num, type temporal, WorkflowTaskFailedCause, type IFailure } from '../../common/proto';
import type { MutationContext } from '../context';
import type { MutableState } from '../mutable-state';
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

function schedule(ctx: MutationContext, ms: MutableState, { attempt }: { attempt: number }): WorkflowTaskState {
  const e = ms.execution;
  // a closed run takes no task; before the first task's backoff is over, the backoff timer schedules it
  if (!isRunning(ms) || e.firstTaskBackoffPending) return 'none';
  const ev = ctx.appendEvent('EVENT_TYPE_WORKFLOW_TASK_SCHEDULED', {
    taskQueue: { name: e.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
    startToCloseTimeout: msToDuration(e.workflowTaskTimeoutMs),
    attempt,
  });
  const scheduledEventId = num(ev.eventId);
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

function start(ctx: MutationContext, ms: MutableState, { identity }: { identity: string }): void {
  const wt = ms.workflowTask!;
  const ev = ctx.appendEvent('EVENT_TYPE_WORKFLOW_TASK_STARTED', {
    scheduledEventId: wt.scheduledEventId,
    identity,
    requestId: `${wt.scheduledEventId}-${wt.attempt}`,
    historySizeBytes: ms.historySizeBytes,
  });
  wt.startedEventId = num(ev.eventId);
  wt.startedTimeMs = ctx.nowMs;
  wt.identity = identity;
  ctx.addTimer(ctx.nowMs + ms.execution.workflowTaskTimeoutMs, { type: 'workflow-task-timeout', scheduledEventId: wt.scheduledEventId, attempt: wt.attempt });
}

function complete(ctx: MutationContext, ms: MutableState, p: WorkflowTaskActions['complete']): void {
  const wt = ms.workflowTask!;
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
 * Close the started task, write the events buffered meanwhile and schedule the next attempt
 * (UNHANDLED_COMMAND keeps attempt 1: the worker did nothing wrong, new events came in).
 */
function closeAndReschedule(ctx: MutationContext, ms: MutableState, closeEvent: () => void, nextAttempt: number): WorkflowTaskState {
  // the worker may have lost the run (RESET_STICKY_TASK_QUEUE) or be gone (timeout): full history next time
  ms.execution.stickyTaskQueue = undefined;
  closeEvent();
  ms.workflowTask = undefined;
  ctx.flushBufferedEvents();
  return schedule(ctx, ms, { attempt: nextAttempt });
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
  return closeAndReschedule(ctx, ms, event, unhandled ? 1 : wt.attempt + 1);
}

function timeOut(ctx: MutationContext, ms: MutableState): WorkflowTaskState {
  const wt = ms.workflowTask!;
  const event = () =>
    ctx.appendEvent('EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT', {
      scheduledEventId: wt.scheduledEventId,
      startedEventId: wt.startedEventId,
      timeoutType: 'TIMEOUT_TYPE_START_TO_CLOSE',
    });
  return closeAndReschedule(ctx, ms, event, wt.attempt + 1);
}

function abort(ctx: MutationContext, ms: MutableState, p: WorkflowTaskActions['abort']): void {
  const wt = ms.workflowTask!;
  ctx.appendEvent('EVENT_TYPE_WORKFLOW_TASK_FAILED', {
    scheduledEventId: wt.scheduledEventId,
    startedEventId: wt.startedEventId,
    cause: p.cause,
    failure: p.failure,
    identity: p.identity,
  });
  ms.workflowTask = undefined;
  ctx.flushBufferedEvents();
}
