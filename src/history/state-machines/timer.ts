/**
 * The user timer's lifecycle as a transition table:
 *
 *   (new) --start--> started --fire--> fired;  started --cancel / abandon--> canceled
 *
 * A fired or canceled timer leaves the mutable state. Firing writes TimerFired and schedules a
 * workflow task; the CancelTimer command writes TimerCanceled; abandoning (the run closed) writes nothing.
 */
import { durationMs, num, type temporal } from '../../common/proto';
import type { MutationContext } from '../context';
import type { TimerInfo } from '../mutable-state';
import { StateMachine } from './machine';
import type { TimerState } from './states';
import { scheduleWorkflowTask } from './workflow-task';

export interface TimerActions {
  start: { attrs: temporal.api.command.v1.IStartTimerCommandAttributes; workflowTaskCompletedEventId: number };
  fire: void;
  cancel: { workflowTaskCompletedEventId: number; identity: string };
  abandon: void;
}

export const timerMachine = new StateMachine<TimerState, TimerActions, MutationContext, TimerInfo>(
  {
    entity: 'timer',
    describe: (ctx, timer) => `timer ${timer.timerId} (started event ${timer.startedEventId}) of ${ctx.ms.execution.workflowId}/${ctx.ms.execution.runId}`,
    stateOf: (timer) => timer.state,
    setState: (timer, s) => {
      timer.state = s;
    },
    final: { states: ['fired', 'canceled'], remove: (ctx, timer) => delete ctx.ms.timers[timer.timerId] },
  },
  (t) => {
    t.create('start', 'started', start);
    t.on('started', 'fire', 'fired', (ctx, timer) => {
      ctx.addEvent('EVENT_TYPE_TIMER_FIRED', { timerId: timer.timerId, startedEventId: timer.startedEventId });
      scheduleWorkflowTask(ctx);
    });
    t.on('started', 'cancel', 'canceled', (ctx, timer, p) => {
      ctx.addEvent('EVENT_TYPE_TIMER_CANCELED', {
        timerId: timer.timerId,
        startedEventId: timer.startedEventId,
        workflowTaskCompletedEventId: p.workflowTaskCompletedEventId,
        identity: p.identity,
      });
    });
    t.on('started', 'abandon', 'canceled', () => undefined);
  },
);

function start(ctx: MutationContext, { attrs: a, workflowTaskCompletedEventId }: TimerActions['start']): TimerInfo {
  const fireMs = durationMs(a.startToFireTimeout);
  const ev = ctx.addEvent('EVENT_TYPE_TIMER_STARTED', {
    timerId: a.timerId,
    startToFireTimeout: a.startToFireTimeout,
    workflowTaskCompletedEventId,
  })!;
  const startedEventId = num(ev.eventId);
  const timer: TimerInfo = { state: 'started', timerId: a.timerId!, startedEventId, expiryMs: ctx.nowMs + fireMs };
  ctx.ms.timers[a.timerId!] = timer;
  ctx.addTimer(ctx.nowMs + fireMs, { type: 'user-timer', timerId: a.timerId!, startedEventId });
  return timer;
}
