/** What each kind of timer task does when it fires. All handlers are idempotent (checked against mutable state). */
import type { HistoryEngine } from '../engine';
import { HistoryLimitExceededError } from '../limits';
import { isRunning } from '../state-machines/states';
import { timerMachine } from '../state-machines/timer';
import { workflowMachine } from '../state-machines/workflow';
import { workflowTaskMachine } from '../state-machines/workflow-task';
import type { TimerTask } from '../tasks';
import type { ExecutionKey } from '../../persistence';
import { activityRetryTimerFired, activityTimedOut } from '../api/activity-task';
import { workflowTaskTimedOut } from '../api/workflow-task';
import { forgetAdmittedUpdates } from '../api/update-workflow';
import { createNextRun, reserveNextRunId } from '../next-run';
import { scheduleWakeup } from '../schedules/driver';

export async function fireTimerTask(engine: HistoryEngine, t: TimerTask): Promise<void> {
  try {
    await fire(engine, t);
  } catch (err) {
    // the workflow was terminated for exceeding a history limit: the timer's work is moot, and done
    if (!(err instanceof HistoryLimitExceededError)) throw err;
  }
}

async function fire(engine: HistoryEngine, t: TimerTask): Promise<void> {
  const ref: ExecutionKey = { namespaceId: t.namespaceId, workflowId: t.workflowId, runId: t.runId };
  switch (t.type) {
    case 'workflow-task-timeout':
      return workflowTaskTimedOut(engine, ref, t.scheduledEventId, t.attempt);
    case 'activity-timeout':
      return activityTimedOut(engine, ref, t.scheduledEventId, t.attempt, t.timeoutType);
    case 'activity-retry':
      return activityRetryTimerFired(engine, ref, t.scheduledEventId, t.attempt);
    case 'user-timer':
      return userTimerFired(engine, ref, t.timerId, t.startedEventId);
    case 'workflow-run-timeout':
      return workflowRunTimedOut(engine, ref);
    case 'workflow-backoff':
      return firstTaskBackoffDone(engine, ref);
    case 'delete-execution':
      return deleteExecutionAfterRetention(engine, ref);
    case 'schedule-wakeup':
      return scheduleWakeup(engine, ref);
  }
}

/** startDelay, cron or retry backoff is over: the first workflow task is scheduled now. */
async function firstTaskBackoffDone(engine: HistoryEngine, ref: ExecutionKey): Promise<void> {
  await engine.update(ref, (ctx) => {
    if (!isRunning(ctx.ms) || !ctx.ms.execution.firstTaskBackoffPending) return;
    workflowTaskMachine.fire(ctx, ctx.ms, 'backoff-elapsed');
  });
}

/** Retention is over: delete the closed run's mutable state, history and (if still its) current row. */
async function deleteExecutionAfterRetention(engine: HistoryEngine, ref: ExecutionKey): Promise<void> {
  const ms = await engine.peekMutableState(ref);
  if (isRunning(ms)) return;
  // the namespace's retention may have changed since the close: re-arm when it is not over yet
  const due = ms.execution.closeTimeMs + (await engine.namespaces.retentionMs(ref.namespaceId));
  if (due > Date.now()) {
    await engine.update(ref, (ctx) => ctx.addTimer(due, { type: 'delete-execution' }));
    return;
  }
  await engine.deleteExecution(ref);
}

async function userTimerFired(engine: HistoryEngine, ref: ExecutionKey, timerId: string, startedEventId: number): Promise<void> {
  await engine.update(ref, (ctx) => {
    const timer = ctx.ms.timers[timerId];
    // a timer of this id started later (after a cancel) is another timer
    if (!isRunning(ctx.ms) || !timer || timer.startedEventId !== startedEventId || !timerMachine.can(timer, 'fire')) return;
    timerMachine.fire(ctx, timer, 'fire');
  });
}

async function workflowRunTimedOut(engine: HistoryEngine, ref: ExecutionKey): Promise<void> {
  await engine.update(ref, async (ctx) => {
    if (!workflowMachine.can(ctx.ms, 'time-out')) return;
    ctx.reservedNextRunId = await reserveNextRunId(engine, ctx.ms);
    workflowMachine.fire(ctx, ctx.ms, 'time-out');
    forgetAdmittedUpdates(engine, ctx);
    await createNextRun(engine, ctx);
  });
}
