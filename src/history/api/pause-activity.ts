/**
 * PauseActivity and UnpauseActivity, as Temporal: a paused activity gets no new attempt. An attempt
 * waiting in matching is refused when a worker polls it, a retry backoff that ends does not dispatch,
 * and a running attempt goes on (its heartbeats answer `activityPaused`; if it fails, the retry waits
 * for the unpause). Unpausing dispatches the waiting attempt at once (`resetAttempts`: from attempt 1).
 * Timeouts keep running (a schedule-to-close deadline passes while paused). No history events: a
 * pause is an operator's state of the activity, not something the workflow sees.
 */
import { InvalidArgumentError, NotFoundError } from '../../common/errors';
import type { MutationContext } from '../context';
import type { HistoryEngine } from '../engine';
import type { ActivityInfo } from '../mutable-state';
import { activityMachine } from '../state-machines/activity';
import { isRunning } from '../state-machines/states';
import type { ExecutionKey } from '../../persistence';

/** Which activities a call names: one by id, all of a type, or every pending one. */
export interface ActivitySelector {
  id?: string;
  type?: string;
  all?: boolean;
}

export function selectActivities(ctx: MutationContext, ref: ExecutionKey, sel: ActivitySelector): ActivityInfo[] {
  if (!isRunning(ctx.ms)) throw new NotFoundError('workflow execution already completed', ref);
  const pending = Object.values(ctx.ms.activities);
  const chosen = sel.all ? pending : pending.filter((a) => (sel.id ? a.activityId === sel.id : a.activityType === sel.type));
  if (chosen.length === 0 && !sel.all) {
    const what = sel.id ? `activity ${sel.id}` : `an activity of type ${sel.type ?? ''}`;
    const names = pending.map((a) => `${a.activityId} (${a.activityType})`);
    throw new NotFoundError(
      `${what} is not pending in ${ref.workflowId}/${ref.runId}${names.length > 0 ? ` (pending: ${names.join(', ')})` : ' (no activity is pending)'}`,
      ref,
    );
  }
  return chosen;
}

/** Exactly one way of naming activities (`allFlag`: the request's match-all field, when it has one). */
export function checkSelector(sel: ActivitySelector, allFlag?: string): void {
  const given = [sel.id, sel.type, sel.all ? 'all' : ''].filter((v) => !!v).length;
  if (given !== 1) throw new InvalidArgumentError('id', `name the activity: exactly one of id${allFlag ? ', type or ' + allFlag : ' or type'}`);
}

export async function pauseActivity(engine: HistoryEngine, ref: ExecutionKey, sel: ActivitySelector): Promise<void> {
  await engine.update(ref, (ctx) => {
    for (const a of selectActivities(ctx, ref, sel)) {
      if (a.paused) continue;
      a.paused = true;
      ctx.touch();
    }
  });
}

export async function unpauseActivity(engine: HistoryEngine, ref: ExecutionKey, sel: ActivitySelector, resetAttempts: boolean): Promise<void> {
  await engine.update(ref, (ctx) => {
    for (const a of selectActivities(ctx, ref, sel)) {
      if (!a.paused) continue;
      a.paused = false;
      ctx.touch();
      if (a.state === 'backoff') {
        if (resetAttempts) a.attempt = 0; // retry counts it up to 1
        activityMachine.fire(ctx, a, 'retry');
      } else if (a.state === 'scheduled') {
        if (resetAttempts) a.attempt = 1;
        // the attempt's task may have been refused while paused: hand it to matching again (a duplicate is stale at start)
        a.currentAttemptScheduledTimeMs = ctx.nowMs;
        ctx.addTransfer({ type: 'activity-task', scheduledEventId: a.scheduledEventId, attempt: a.attempt, taskQueue: a.taskQueue });
      } else if (resetAttempts) {
        a.attempt = 1;
      }
    }
  });
}
