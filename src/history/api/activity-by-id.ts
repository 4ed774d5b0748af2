/**
 * The four activity calls addressed by workflow id, run id and activity id instead of a task token
 * (RecordActivityTaskHeartbeatById, RespondActivityTaskCompleted/Failed/CanceledById): an activity
 * completed by something other than the worker that polled it (`temporal activity complete`, an
 * external system). The activity's current attempt stands in for the token; then each is the
 * token-addressed call of activity-task.ts, with its checks. As in Temporal, completing, failing or
 * canceling by id an attempt no worker has picked up yet starts it first (the Started event is then
 * written with the caller's identity); a heartbeat needs a started attempt.
 */
import { NotFoundError } from '../../common/errors';
import type { HistoryEngine } from '../engine';
import { activityMachine } from '../state-machines/activity';
import { isRunning } from '../state-machines/states';
import type { ExecutionKey } from '../../persistence';
import type { ActivityTaskToken } from './task-token';

/** The token of the activity's current attempt; NotFound naming what is missing. */
export async function activityTokenById(
  engine: HistoryEngine,
  ref: ExecutionKey,
  activityId: string,
  startIfScheduled: { identity: string } | undefined,
): Promise<ActivityTaskToken> {
  if (startIfScheduled) await startScheduledAttempt(engine, ref, activityId, startIfScheduled.identity);
  const ms = await engine.getMutableState(ref);
  if (!isRunning(ms)) throw new NotFoundError(`workflow execution ${ref.workflowId}/${ref.runId} already completed`, ref);
  const act = Object.values(ms.activities).find((a) => a.activityId === activityId);
  if (!act) {
    const pending = Object.values(ms.activities).map((a) => a.activityId);
    const hint = pending.length > 0 ? ` (pending activities: ${pending.join(', ')})` : ' (the run has no pending activity)';
    throw new NotFoundError(`activity ${activityId} of workflow ${ref.workflowId}/${ref.runId} not found${hint}`, ref);
  }
  if (act.state !== 'started') {
    throw new NotFoundError(
      `activity ${activityId} of workflow ${ref.workflowId}/${ref.runId} is not started (a worker has not picked up attempt ${act.attempt} yet)`,
      ref,
    );
  }
  return { k: 'at', ns: ref.namespaceId, wid: ref.workflowId, rid: ref.runId, sched: act.scheduledEventId, attempt: act.attempt, aid: act.activityId };
}

/** An attempt waiting in matching is started by the by-id caller (its task in matching then finds it started and is dropped). */
async function startScheduledAttempt(engine: HistoryEngine, ref: ExecutionKey, activityId: string, identity: string): Promise<void> {
  await engine.update(ref, (ctx) => {
    const act = Object.values(ctx.ms.activities).find((a) => a.activityId === activityId);
    if (!isRunning(ctx.ms) || !act || act.state !== 'scheduled') return;
    activityMachine.fire(ctx, act, 'start', { identity: identity || 'history-service' });
  });
}
