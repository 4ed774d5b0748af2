/** What each kind of timer task does when it fires. All handlers are idempotent (checked against mutable state). */
import type { HistoryEngine } from '../engine';
import { HistoryLimitExceededError } from '../limits';
import { isRunning } from '../mutable-state';
import { timerMachine } from '../state-machines';
import type { ExecutionKey } from '../../persistence';
import type { TimerTask } from '../tasks';
import { activityRetryTimerFired, activityTimedOut } from '../api/activity-task';
import { workflowTaskTimedOut } from '../api/workflow-task';
import { forgetAdmittedUpdates } from '../api/update-workflow';
import { createNextRun, planAfterFailure, reserveNextRunId } from '../next-run';
import { TimeoutType } from '../../common/proto';

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
  }
}

/** startDelay, cron or retry backoff is over: the first workflow task is scheduled now. */
async function firstTaskBackoffDone(engine: HistoryEngine, ref: ExecutionKey): Promise<void> {
  await engine.update(ref, (ctx) => {
    if (!isRunning(ctx.ms) || !ctx.ms.execution.firstTaskBackoffPending) return;
    ctx.ms.execution.firstTaskBackoffPending = false;
    ctx.touch();
    ctx.scheduleWorkflowTask();
  });
}

/** Retention is over: delete the closed run's mutable state, history and (if still its) current row. */
async function deleteExecutionAfterRetention(engine: HistoryEngine, ref: ExecutionKey): Promise<void> {
  const ms = await engine.getMutableState(ref);
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
    if (!isRunning(ctx.ms) || !timer || timer.startedEventId !== startedEventId) return;
    timerMachine.next(timer.state, 'fire');
    ctx.addEvent('EVENT_TYPE_TIMER_FIRED', { timerId, startedEventId });
    delete ctx.ms.timers[timerId];
    ctx.scheduleWorkflowTask();
  });
}

async function workflowRunTimedOut(engine: HistoryEngine, ref: ExecutionKey): Promise<void> {
  await engine.update(ref, async (ctx) => {
    if (!isRunning(ctx.ms)) return;
    ctx.reservedNextRunId = await reserveNextRunId(engine, ctx.ms);
    const wt = ctx.ms.workflowTask;
    if (wt?.state === 'started') {
      // as Temporal's TimeoutWorkflow: the in-flight task is failed with FORCE_CLOSE_COMMAND
      ctx.completingWorkflowTask = true;
      ctx.addEvent('EVENT_TYPE_WORKFLOW_TASK_FAILED', {
        scheduledEventId: wt.scheduledEventId,
        startedEventId: wt.startedEventId,
        cause: 'WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND',
        identity: 'history-service',
      });
      ctx.ms.workflowTask = undefined;
      ctx.flushBufferedEvents();
    }
    const failure = { message: 'workflow run timed out', source: 'Server', timeoutFailureInfo: { timeoutType: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE } };
    const { plan, retryState } = planAfterFailure(ctx, failure);
    ctx.closeWorkflow('time-out', 'EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT', {
      retryState: plan ? retryState : 'RETRY_STATE_TIMEOUT',
      newExecutionRunId: plan?.runId,
    });
    ctx.ms.activities = {};
    ctx.ms.timers = {};
    forgetAdmittedUpdates(engine, ref);
    await createNextRun(engine, ctx);
  });
}
