/** StartTimer and CancelTimer: their checks and their application through the timer table (../state-machines/timer.ts). */
import { api, fromB64, num, temporal } from '../../common/proto';
import type { MutableState } from '../mutable-state';
import { timerMachine } from '../state-machines/timer';
import { badWith, defineCommand } from './command';

const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;
const HistoryEvent = api.history.v1.HistoryEvent;

export const startTimer = defineCommand<temporal.api.command.v1.IStartTimerCommandAttributes>({
  attributes: (c) => c.startTimerCommandAttributes,
  badAttributesCause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
  validate(a, scope) {
    if (!a?.timerId) return badWith(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES)('TimerId is not set');
    if (scope.timerIds.has(a.timerId)) return badWith(Cause.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID)(`timer id ${a.timerId} is already in use`);
    scope.timerIds.add(a.timerId);
  },
  apply({ ctx, workflowTaskCompletedEventId }, a) {
    timerMachine.create(ctx, 'start', { attrs: a, workflowTaskCompletedEventId });
  },
});

/** The index in the buffer of the TimerFired of `timerId` (it fired while this workflow task ran), or -1. */
function bufferedFire(ms: MutableState, timerId: string): number {
  return ms.bufferedEvents.findIndex((b64) => fromB64(HistoryEvent, b64).timerFiredEventAttributes?.timerId === timerId);
}

export const cancelTimer = defineCommand<temporal.api.command.v1.ICancelTimerCommandAttributes>({
  attributes: (c) => c.cancelTimerCommandAttributes,
  badAttributesCause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES,
  validate(a, scope) {
    const bad = badWith(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES);
    const timerId = a?.timerId ?? '';
    if (!timerId) return bad('TimerId is not set');
    if (scope.canceledTimers.has(timerId)) return bad(`timer ${timerId} is already canceled`);
    if (!scope.timerIds.has(timerId) && bufferedFire(scope.ms, timerId) < 0) return bad(`no pending timer ${timerId}`);
    scope.canceledTimers.add(timerId);
  },
  apply({ ctx, workflowTaskCompletedEventId, identity }, a) {
    const timerId = a.timerId!;
    const timer = ctx.ms.timers[timerId];
    if (timer) {
      timerMachine.fire(ctx, timer, 'cancel', { workflowTaskCompletedEventId, identity });
      return;
    }
    // it fired while this workflow task ran: as Temporal, the cancel wins and the buffered fire is dropped
    const i = bufferedFire(ctx.ms, timerId);
    const fired = fromB64(HistoryEvent, ctx.ms.bufferedEvents[i]!).timerFiredEventAttributes!;
    ctx.ms.bufferedEvents.splice(i, 1);
    ctx.addEvent('EVENT_TYPE_TIMER_CANCELED', { timerId, startedEventId: num(fired.startedEventId), workflowTaskCompletedEventId, identity });
  },
});
