/** What each kind of timer task does when it fires. All handlers are idempotent (checked against mutable state). */
import type { HistoryEngine } from '../engine';
import { isRunning } from '../mutable-state';
import { timerMachine } from '../state-machines';
import type { ExecutionRef, TimerTask } from '../tasks';
import { activityRetryTimerFired, activityTimedOut } from '../api/activity-task';
import { workflowTaskTimedOut } from '../api/workflow-task';

export async function fireTimerTask(engine: HistoryEngine, t: TimerTask): Promise<void> {
  const ref: ExecutionRef = { namespaceId: t.namespaceId, workflowId: t.workflowId, runId: t.runId };
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
  }
}

async function userTimerFired(engine: HistoryEngine, ref: ExecutionRef, timerId: string, startedEventId: number): Promise<void> {
  await engine.update(ref, (ctx) => {
    const timer = ctx.ms.timers[timerId];
    if (!isRunning(ctx.ms) || !timer || timer.startedEventId !== startedEventId) return;
    timerMachine.next(timer.state, 'fire');
    ctx.addEvent('EVENT_TYPE_TIMER_FIRED', { timerId, startedEventId });
    delete ctx.ms.timers[timerId];
    ctx.scheduleWorkflowTask();
  });
}

async function workflowRunTimedOut(engine: HistoryEngine, ref: ExecutionRef): Promise<void> {
  await engine.update(ref, (ctx) => {
    if (!isRunning(ctx.ms)) return;
    const wt = ctx.ms.workflowTask;
    if (wt?.state === 'started') {
      ctx.completingWorkflowTask = true;
      ctx.addEvent('EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT', {
        scheduledEventId: wt.scheduledEventId,
        startedEventId: wt.startedEventId,
        timeoutType: 'TIMEOUT_TYPE_START_TO_CLOSE',
      });
      ctx.ms.workflowTask = undefined;
      ctx.flushBufferedEvents();
    }
    ctx.closeWorkflow('time-out', 'EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT', { retryState: 'RETRY_STATE_TIMEOUT' });
    ctx.ms.activities = {};
    ctx.ms.timers = {};
  });
}
