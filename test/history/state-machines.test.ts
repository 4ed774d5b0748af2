/**
 * The transition tables of src/history/state-machines, driven with their real effects on a real
 * mutable state (a run built by newRunContext, as StartWorkflowExecution builds it): every listed
 * transition is reached from the entity's birth by the table's own transitions (each destination of
 * a row that lists several), and every action a reachable state does not list is refused with an
 * InvalidTransitionError naming the entity, the state, the action and the recent transitions, and
 * changes nothing. Then what the main effects write, and the engine's own rules.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Deferred } from '../../src/common/async';
import { InternalError } from '../../src/common/errors';
import { msToDuration, num, temporal, WorkflowTaskFailedCause } from '../../src/common/proto';
import { newRunContext } from '../../src/history/api/start-workflow';
import type { MutationContext } from '../../src/history/context';
import type { ActivityInfo, TimerInfo, ChildInfo } from '../../src/history/mutable-state';
import { resolveRetryPolicy } from '../../src/history/retry';
import { activityMachine, timeoutKindAt, type ScheduleActivity } from '../../src/history/state-machines/activity';
import { childMachine } from '../../src/history/state-machines/child';
import { InvalidTransitionError, StateMachine } from '../../src/history/state-machines/machine';
import { queryMachine, type PendingQuery } from '../../src/history/state-machines/query';
import { timerMachine } from '../../src/history/state-machines/timer';
import { updateMachine, type UpdateHandle } from '../../src/history/state-machines/update';
import { workflowMachine } from '../../src/history/state-machines/workflow';
import { scheduleWorkflowTask, transientEvents, workflowTaskMachine, workflowTaskTimeoutForAttempt } from '../../src/history/state-machines/workflow-task';

const ET = temporal.api.enums.v1.EventType;

/** A fresh running run of `wf` with no workflow task yet (its events: WorkflowExecutionStarted). */
function freshRun(): MutationContext {
  return newRunContext(
    { id: 'ns-id', name: 'default' },
    { workflowId: 'wf', workflowType: { name: 'Wf' }, taskQueue: { name: 'tq' }, workflowRunTimeout: msToDuration(3_600_000) },
    'request-1',
    'run-1',
  );
}

const scheduleActivity = (id = 'a1'): ScheduleActivity => ({
  resolved: { activityId: id, activityType: { name: 'Act' }, taskQueue: { name: 'tq', kind: 'TASK_QUEUE_KIND_NORMAL' } },
  activityId: id,
  activityType: 'Act',
  taskQueue: 'tq',
  timeouts: { scheduleToCloseMs: 60_000, scheduleToStartMs: 60_000, startToCloseMs: 10_000, heartbeatMs: 5_000 },
  retryPolicy: resolveRetryPolicy(undefined),
  workflowTaskCompletedEventId: 0,
});

const startTimer = (id = 't1') => ({ attrs: { timerId: id, startToFireTimeout: msToDuration(5_000) }, workflowTaskCompletedEventId: 0 });

/** The untyped face of a machine, for driving any table from one explorer. */
interface AnyMachine<E> {
  entity: string;
  stateOf(e: E): string;
  can(e: E, action: string): boolean;
  fire(ctx: unknown, e: E, action: string, payload?: unknown): string;
  table(): { from: string | null; action: string; to: readonly string[] }[];
}

interface World<E> {
  ctx: MutationContext | undefined;
  entity: E;
}

/** A payload for an action; it may first prepare the world (the data a dynamic row decides on). */
type Variant<E> = (w: World<E>) => unknown;

interface Harness<E> {
  machine: AnyMachine<E>;
  /** a new world holding a newborn entity (through the table's creation row, when it has one) */
  fresh(): World<E>;
  variants: Record<string, Variant<E>[]>;
}

interface Step {
  action: string;
  variant: number;
}

interface Exploration<E> {
  /** a shortest path from birth to every reachable state */
  paths: Map<string, Step[]>;
  /** `from|action|to` of every transition taken */
  taken: Set<string>;
  replay(path: Step[]): World<E>;
}

function explore<E>(h: Harness<E>): Exploration<E> {
  const m = h.machine;
  const replay = (path: Step[]): World<E> => {
    const w = h.fresh();
    for (const s of path) m.fire(w.ctx, w.entity, s.action, h.variants[s.action]![s.variant]!(w));
    return w;
  };
  const taken = new Set<string>();
  const birth = h.fresh();
  for (const r of m.table().filter((r) => r.from === null)) taken.add(`null|${r.action}|${m.stateOf(birth.entity)}`);
  const paths = new Map<string, Step[]>([[m.stateOf(birth.entity), []]]);
  const queue = [m.stateOf(birth.entity)];
  const actions = [...new Set(m.table().map((r) => r.action))];
  while (queue.length > 0) {
    const from = queue.shift()!;
    const path = paths.get(from)!;
    for (const action of actions) {
      const variants = h.variants[action];
      assert.ok(variants, `${m.entity}: the harness has no payload for '${action}'`);
      variants.forEach((variant, i) => {
        const w = replay(path);
        if (!m.can(w.entity, action)) return;
        const to = m.fire(w.ctx, w.entity, action, variant(w));
        taken.add(`${from}|${action}|${to}`);
        if (!paths.has(to)) {
          paths.set(to, [...path, { action, variant: i }]);
          queue.push(to);
        }
      });
    }
  }
  return { paths, taken, replay };
}

function tableTests<E>(name: string, h: Harness<E>): void {
  describe(`${name} table`, () => {
    const m = h.machine;
    const x = explore(h);

    test('every listed transition is reached from birth, each destination of a row that lists several', () => {
      for (const row of m.table()) {
        for (const to of row.to) {
          if (row.from === null) {
            assert.ok(x.taken.has(`null|${row.action}|${to}`), `${name}: creation '${row.action}' -> ${to} was not observed`);
            continue;
          }
          assert.ok(x.taken.has(`${row.from}|${row.action}|${to}`), `${name}: ${row.from} --${row.action}--> ${to} was never taken`);
        }
      }
    });

    test('every action a reachable state does not list is refused, naming entity, state, action and recent transitions, and changes nothing', () => {
      const actions = [...new Set(m.table().map((r) => r.action))];
      let refused = 0;
      for (const [state, path] of x.paths) {
        for (const action of actions) {
          const w = x.replay(path);
          if (m.can(w.entity, action)) continue;
          let payload: unknown;
          try {
            payload = h.variants[action]![0]!(w);
          } catch {
            payload = undefined; // a preparation that needs the listed state: the refusal comes before any payload is read
          }
          const before = JSON.stringify({ entity: w.entity, ms: w.ctx?.ms ?? null });
          const events = w.ctx?.newEvents.length ?? 0;
          assert.throws(
            () => m.fire(w.ctx, w.entity, action, payload),
            (err: unknown) => {
              assert.ok(err instanceof InvalidTransitionError, `${name}: ${String(err)}`);
              assert.ok(err instanceof InternalError, 'an invalid transition is an internal error (gRPC INTERNAL)');
              assert.match(err.message, new RegExp(`^${m.entity}`));
              assert.ok(err.message.includes(`action '${action}' in state '${state}'`), err.message);
              const last = path[path.length - 1];
              if (last) assert.ok(err.message.includes(`--${last.action}--> ${state}`), `recent transitions in: ${err.message}`);
              return true;
            },
          );
          assert.equal(JSON.stringify({ entity: w.entity, ms: w.ctx?.ms ?? null }), before, `${name}: a refused '${action}' in '${state}' changed the state`);
          assert.equal(w.ctx?.newEvents.length ?? 0, events, 'no events written');
          refused++;
        }
      }
      assert.ok(refused > 0, 'some actions are refused somewhere');
    });
  });
}

// ---------------------------------------------------------------- the tables
tableTests<ReturnType<typeof freshRun>['ms']>('workflow', {
  machine: workflowMachine as unknown as AnyMachine<ReturnType<typeof freshRun>['ms']>,
  fresh: () => {
    const ctx = freshRun();
    return { ctx, entity: ctx.ms };
  },
  variants: {
    signal: [() => ({ signalName: 's', input: undefined, header: undefined, identity: 'client', requestId: 'sig-1' })],
    'request-cancel': [() => ({ reason: 'r', identity: 'client', requestId: '' })],
    complete: [() => ({ result: undefined, workflowTaskCompletedEventId: 0 })],
    fail: [() => ({ failure: { message: 'boom' }, workflowTaskCompletedEventId: 0 })],
    'fail-by-server': [
      (w) => {
        scheduleWorkflowTask(w.ctx!);
        workflowTaskMachine.fire(w.ctx!, w.ctx!.ms, 'start', { identity: 'worker' });
        return { cause: 2, failure: { message: 'too big' }, identity: 'worker' };
      },
    ],
    cancel: [() => ({ details: undefined, workflowTaskCompletedEventId: 0 })],
    'continue-as-new': [() => ({ attrs: {}, workflowTaskCompletedEventId: 0 })],
    terminate: [() => ({ reason: 'r', identity: 'client' })],
    'time-out': [() => undefined],
  },
});

tableTests('workflow task', {
  machine: workflowTaskMachine as unknown as AnyMachine<ReturnType<typeof freshRun>['ms']>,
  fresh: () => {
    const ctx = freshRun();
    return { ctx, entity: ctx.ms };
  },
  variants: {
    schedule: [
      () => ({ attempt: 1 }),
      (w) => {
        w.ctx!.ms.execution.firstTaskBackoffPending = true; // startDelay: the backoff timer schedules it
        return { attempt: 1 };
      },
    ],
    'backoff-elapsed': [
      (w) => {
        w.ctx!.ms.execution.firstTaskBackoffPending = true;
      },
    ],
    start: [() => ({ identity: 'worker' })],
    complete: [() => ({ identity: 'worker' })],
    fail: [() => ({ cause: WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE, identity: 'worker' })],
    'time-out': [() => undefined],
    abort: [() => ({ cause: WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND, identity: 'history-service' })],
    drop: [() => undefined],
  },
});

tableTests<ActivityInfo>('activity', {
  machine: activityMachine as unknown as AnyMachine<ActivityInfo>,
  fresh: () => {
    const ctx = freshRun();
    return { ctx, entity: activityMachine.create(ctx, 'schedule', scheduleActivity()) };
  },
  variants: {
    schedule: [() => scheduleActivity('a2')],
    start: [() => ({ identity: 'worker' })],
    heartbeat: [() => ({ details: undefined })],
    complete: [() => ({ result: undefined, identity: 'worker' })],
    fail: [
      () => ({ failure: { message: 'retry me' }, identity: 'worker' }),
      () => ({ failure: { message: 'final', applicationFailureInfo: { nonRetryable: true } }, identity: 'worker' }),
    ],
    cancel: [() => ({ details: undefined, identity: 'worker' })],
    'request-cancel': [() => ({ workflowTaskCompletedEventId: 0, identity: 'worker' })],
    'schedule-to-start-timeout': [() => undefined],
    'schedule-to-close-timeout': [() => undefined],
    'start-to-close-timeout': [
      () => undefined,
      (w) => {
        w.entity.retryPolicy.maximumAttempts = 1;
      },
    ],
    'heartbeat-timeout': [
      (w) => {
        w.entity.lastHeartbeatMs = w.ctx!.nowMs; // heartbeat since the timer was armed: not due yet
      },
      (w) => {
        w.entity.lastHeartbeatMs = 0;
      },
      (w) => {
        w.entity.lastHeartbeatMs = 0;
        w.entity.retryPolicy.maximumAttempts = 1;
      },
    ],
    retry: [() => undefined],
    abandon: [() => undefined],
  },
});

tableTests<TimerInfo>('timer', {
  machine: timerMachine as unknown as AnyMachine<TimerInfo>,
  fresh: () => {
    const ctx = freshRun();
    return { ctx, entity: timerMachine.create(ctx, 'start', startTimer()) };
  },
  variants: {
    start: [() => startTimer('t2')],
    fire: [() => undefined],
    cancel: [() => ({ workflowTaskCompletedEventId: 0, identity: 'worker' })],
    abandon: [() => undefined],
  },
});

const initiateChild = () => ({
  event: { namespace: 'default', workflowId: 'child-1', workflowType: { name: 'Child' } },
  namespace: 'default',
  workflowId: 'child-1',
  workflowType: 'Child',
  parentClosePolicy: temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE,
});

tableTests<ChildInfo>('child workflow', {
  machine: childMachine as unknown as AnyMachine<ChildInfo>,
  fresh: () => {
    const ctx = freshRun();
    return { ctx, entity: childMachine.create(ctx, 'initiate', initiateChild()) };
  },
  variants: {
    initiate: [initiateChild],
    start: [() => ({ runId: 'child-run', namespaceId: 'ns-id' })],
    'start-failed': [() => ({ cause: 1, namespaceId: '', workflowTaskCompletedEventId: 0 })],
    close: [() => ({ outcome: 'completed', closeEvent: { workflowExecutionCompletedEventAttributes: {} }, namespaceId: 'ns-id', runId: 'child-run' })],
  },
});

tableTests<UpdateHandle>('update', {
  machine: updateMachine as unknown as AnyMachine<UpdateHandle>,
  fresh: () => {
    const ctx = freshRun();
    return { ctx, entity: { ms: ctx.ms, updateId: 'u1', admitted: new Map() } };
  },
  variants: {
    admit: [() => ({ request: { meta: { updateId: 'u1' }, input: { name: 'inc' } } })],
    deliver: [() => ({ startedEventId: 3 })],
    accept: [() => ({ acceptance: { acceptedRequestMessageId: 'u1/request', acceptedRequest: { meta: { updateId: 'u1' }, input: { name: 'inc' } } } })],
    complete: [() => ({ response: { meta: { updateId: 'u1' }, outcome: { success: { payloads: [] } } } })],
    reject: [() => ({ rejection: { failure: { message: 'no' } }, forgetAfterMs: 60_000 })],
    forget: [() => undefined],
  },
});

tableTests<PendingQuery>('query', {
  machine: queryMachine as unknown as AnyMachine<PendingQuery>,
  fresh: () => ({
    ctx: undefined,
    entity: {
      id: 'q1',
      ref: { namespaceId: 'ns-id', workflowId: 'wf', runId: 'run-1' },
      query: { queryType: 'state' },
      answer: new Deferred(),
      state: 'buffered',
      startedEventId: 0,
    },
  }),
  variants: {
    attach: [() => ({ startedEventId: 3 })],
    'task-closed': [() => undefined],
    dispatch: [() => undefined],
    answer: [() => ({ answer: { queryResult: { payloads: [] } } })],
  },
});

// ---------------------------------------------------------------- what the effects write
const types = (ctx: MutationContext) => ctx.newEvents.map((e) => ET[Number(e.eventType)]);

describe('effects', () => {
  test('a workflow task failure is written before the events buffered while it ran; those new events make the next task a normal attempt 1', () => {
    for (const cause of [
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
    ]) {
      const ctx = freshRun();
      scheduleWorkflowTask(ctx);
      workflowTaskMachine.fire(ctx, ctx.ms, 'start', { identity: 'worker' });
      workflowMachine.fire(ctx, ctx.ms, 'signal', { signalName: 's', input: undefined, header: undefined, identity: 'c', requestId: '' });
      assert.equal(ctx.ms.bufferedEvents.length, 1, 'a signal during a started task is buffered');
      workflowTaskMachine.fire(ctx, ctx.ms, 'fail', { cause, identity: 'worker' });
      assert.deepEqual(types(ctx).slice(-3), [
        'EVENT_TYPE_WORKFLOW_TASK_FAILED',
        'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED',
        'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED',
      ]);
      assert.equal(ctx.ms.workflowTask?.state, 'scheduled');
      assert.equal(ctx.ms.workflowTask?.attempt, 1);
      assert.equal(ctx.ms.workflowTask?.transient, undefined);
      assert.equal(ctx.ms.execution.stickyTaskQueue, undefined);
    }
  });

  test('transient workflow task: the first failure is written, later failures and timeouts only count the attempt; the completion writes the scheduled and started events', () => {
    const ctx = freshRun();
    scheduleWorkflowTask(ctx);
    workflowTaskMachine.fire(ctx, ctx.ms, 'start', { identity: 'worker' });
    const worker = WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE;
    workflowTaskMachine.fire(ctx, ctx.ms, 'fail', { cause: worker, identity: 'worker' });
    const written = types(ctx);
    assert.equal(written.at(-1), 'EVENT_TYPE_WORKFLOW_TASK_FAILED', 'attempt 2 is scheduled without an event');
    const wt = ctx.ms.workflowTask!;
    assert.deepEqual([wt.state, wt.attempt, wt.transient, wt.scheduledEventId], ['scheduled', 2, true, ctx.ms.nextEventId]);
    assert.equal(ctx.transferTasks.at(-1)?.type, 'workflow-task', 'the transient task still goes to matching');
    assert.deepEqual(
      transientEvents(ctx.ms).map((e) => ET[Number(e.eventType)]),
      ['EVENT_TYPE_WORKFLOW_TASK_SCHEDULED'],
    );
    // attempts 2..5: started, then failed or timed out: no event, the attempt grows, the timeout too
    const timeouts: number[] = [];
    for (let attempt = 2; attempt <= 5; attempt++) {
      workflowTaskMachine.fire(ctx, ctx.ms, 'start', { identity: 'worker' });
      const started = transientEvents(ctx.ms);
      assert.deepEqual(
        started.map((e) => num(e.eventId)),
        [ctx.ms.nextEventId, ctx.ms.nextEventId + 1],
      );
      assert.equal(started[0]!.workflowTaskScheduledEventAttributes?.attempt, attempt);
      timeouts.push(ctx.timerTasks.at(-1)!.atMs - ctx.nowMs);
      if (attempt % 2 === 0) workflowTaskMachine.fire(ctx, ctx.ms, 'fail', { cause: worker, identity: 'worker' });
      else workflowTaskMachine.fire(ctx, ctx.ms, 'time-out');
      assert.deepEqual(types(ctx), written, `attempt ${attempt} wrote no event`);
      assert.equal(ctx.ms.workflowTask?.attempt, attempt + 1);
    }
    const base = ctx.ms.execution.workflowTaskTimeoutMs;
    assert.deepEqual(timeouts, [base, base, base + 5_000, base + 10_000], 'attempts after the third wait longer');
    assert.equal(workflowTaskTimeoutForAttempt(base, 40), base + 600_000, 'at most 10 minutes more');
    workflowTaskMachine.fire(ctx, ctx.ms, 'start', { identity: 'worker' });
    const seen = transientEvents(ctx.ms);
    workflowTaskMachine.fire(ctx, ctx.ms, 'complete', { identity: 'worker' });
    const tail = ctx.newEvents.slice(written.length);
    assert.deepEqual(
      tail.map((e) => ET[Number(e.eventType)]),
      ['EVENT_TYPE_WORKFLOW_TASK_SCHEDULED', 'EVENT_TYPE_WORKFLOW_TASK_STARTED', 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED'],
    );
    assert.deepEqual(tail.slice(0, 2), seen, 'the written events are the ones the worker saw');
    assert.equal(tail[0]!.workflowTaskScheduledEventAttributes?.attempt, 6);
    assert.equal(ctx.ms.execution.lastCompletedWorkflowTaskStartedEventId, num(tail[1]!.eventId));
  });

  test('a transient task whose run got new events meanwhile becomes a normal attempt 1; one failing on the sticky queue keeps attempt 1', () => {
    const ctx = freshRun();
    scheduleWorkflowTask(ctx);
    workflowTaskMachine.fire(ctx, ctx.ms, 'start', { identity: 'worker' });
    workflowTaskMachine.fire(ctx, ctx.ms, 'time-out');
    assert.equal(ctx.ms.workflowTask?.transient, true);
    workflowMachine.fire(ctx, ctx.ms, 'signal', { signalName: 's', input: undefined, header: undefined, identity: 'c', requestId: '' });
    workflowTaskMachine.fire(ctx, ctx.ms, 'start', { identity: 'worker' });
    assert.deepEqual(types(ctx).slice(-3), [
      'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED',
      'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED',
      'EVENT_TYPE_WORKFLOW_TASK_STARTED',
    ]);
    assert.deepEqual([ctx.ms.workflowTask?.attempt, ctx.ms.workflowTask?.transient], [1, undefined]);
    assert.deepEqual(transientEvents(ctx.ms), []);

    ctx.ms.execution.stickyTaskQueue = 'sticky-1';
    const n = ctx.newEvents.length;
    workflowTaskMachine.fire(ctx, ctx.ms, 'fail', {
      cause: WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
      identity: 'w',
    });
    assert.deepEqual(types(ctx).slice(n), ['EVENT_TYPE_WORKFLOW_TASK_FAILED', 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED']);
    assert.deepEqual([ctx.ms.workflowTask?.attempt, ctx.ms.execution.stickyTaskQueue], [1, undefined]);
  });

  test("a schedule-to-close timer of an attempt that never started, with schedule-to-start due no later, is a SCHEDULE_TO_START timeout (Temporal's timer order)", () => {
    const ctx = freshRun();
    const equal = { ...scheduleActivity(), timeouts: { scheduleToCloseMs: 5_000, scheduleToStartMs: 5_000, startToCloseMs: 5_000, heartbeatMs: 0 } };
    const a = activityMachine.create(ctx, 'schedule', equal);
    assert.ok(
      ctx.timerTasks.some((t) => t.task.type === 'activity-timeout' && t.task.timeoutType === 'schedule-to-start'),
      'armed although not shorter',
    );
    assert.equal(timeoutKindAt(a, 'schedule-to-close'), 'schedule-to-start');
    activityMachine.fire(ctx, a, 'start', { identity: 'worker' });
    assert.equal(timeoutKindAt(a, 'schedule-to-close'), 'schedule-to-close', 'a started attempt times out schedule-to-close');
  });

  test('terminating a run with a started transient task writes no WorkflowTaskFailed for it', () => {
    const ctx = freshRun();
    scheduleWorkflowTask(ctx);
    workflowTaskMachine.fire(ctx, ctx.ms, 'start', { identity: 'worker' });
    workflowTaskMachine.fire(ctx, ctx.ms, 'time-out');
    workflowTaskMachine.fire(ctx, ctx.ms, 'start', { identity: 'worker' });
    const n = ctx.newEvents.length;
    workflowMachine.fire(ctx, ctx.ms, 'terminate', { reason: 'enough', identity: 'admin' });
    assert.deepEqual(types(ctx).slice(n), ['EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED']);
    assert.equal(ctx.ms.workflowTask, undefined);
  });

  test('terminate fails a started workflow task first (FORCE_CLOSE_COMMAND), then closes the run and abandons activities and timers without events', () => {
    const ctx = freshRun();
    activityMachine.create(ctx, 'schedule', scheduleActivity());
    timerMachine.create(ctx, 'start', startTimer());
    scheduleWorkflowTask(ctx);
    workflowTaskMachine.fire(ctx, ctx.ms, 'start', { identity: 'worker' });
    const n = ctx.newEvents.length;
    workflowMachine.fire(ctx, ctx.ms, 'terminate', { reason: 'enough', identity: 'admin' });
    assert.deepEqual(types(ctx).slice(n), ['EVENT_TYPE_WORKFLOW_TASK_FAILED', 'EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED']);
    const failed = ctx.newEvents[n]!.workflowTaskFailedEventAttributes!;
    assert.equal(failed.cause, WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND);
    assert.equal(ctx.ms.execution.state, 'terminated');
    assert.equal(ctx.ms.execution.completionEventId, num(ctx.newEvents[n + 1]!.eventId));
    assert.equal(ctx.ms.workflowTask, undefined);
    assert.deepEqual([ctx.ms.activities, ctx.ms.timers], [{}, {}]);
    assert.ok(ctx.transferTasks.some((t) => t.type === 'close-execution'));
  });

  test('a completed run keeps its pending activities and timers (only the closes the server decides abandon them)', () => {
    const ctx = freshRun();
    activityMachine.create(ctx, 'schedule', scheduleActivity());
    workflowMachine.fire(ctx, ctx.ms, 'complete', { result: undefined, workflowTaskCompletedEventId: 0 });
    assert.equal(Object.keys(ctx.ms.activities).length, 1);
  });

  test('a closed activity, timer or child leaves the mutable state; a retried activity stays with its attempt', () => {
    const ctx = freshRun();
    const a = activityMachine.create(ctx, 'schedule', scheduleActivity());
    activityMachine.fire(ctx, a, 'start', { identity: 'worker' });
    assert.equal(activityMachine.fire(ctx, a, 'fail', { failure: { message: 'again' }, identity: 'worker' }), 'backoff');
    activityMachine.fire(ctx, a, 'retry');
    assert.equal(ctx.ms.activities[String(a.scheduledEventId)]?.attempt, 2);
    activityMachine.fire(ctx, a, 'start', { identity: 'worker' });
    activityMachine.fire(ctx, a, 'complete', { result: undefined, identity: 'worker' });
    assert.deepEqual(ctx.ms.activities, {});
    assert.deepEqual(types(ctx).slice(-3), ['EVENT_TYPE_ACTIVITY_TASK_STARTED', 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED', 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED']);
    const started = ctx.newEvents[ctx.newEvents.length - 3]!.activityTaskStartedEventAttributes!;
    assert.equal(started.attempt, 2, 'ActivityTaskStarted carries the final attempt');

    const t = timerMachine.create(ctx, 'start', startTimer());
    timerMachine.fire(ctx, t, 'fire');
    assert.deepEqual(ctx.ms.timers, {});
    const c = childMachine.create(ctx, 'initiate', initiateChild());
    childMachine.fire(ctx, c, 'start-failed', { cause: 1, namespaceId: '', workflowTaskCompletedEventId: 0 });
    assert.deepEqual(ctx.ms.children, {});
  });
});

// ---------------------------------------------------------------- the engine itself
describe('StateMachine', () => {
  type S = 'a' | 'b' | 'c' | 'gone';
  interface E {
    state: S;
  }
  interface Acts {
    go: { to: S };
    stay: void;
  }
  const removed: E[] = [];
  const m = new StateMachine<S, Acts, null, E>(
    {
      entity: 'thing',
      describe: () => 'thing 1',
      stateOf: (e) => e.state,
      setState: (e, s) => {
        e.state = s;
      },
      final: { states: ['gone'], remove: (_ctx, e) => removed.push(e) },
    },
    (t) => {
      t.on('a', 'go', ['b', 'gone'], (_ctx, _e, p) => p.to);
      t.on(['a', 'b'], 'stay', ['a', 'b'], (_ctx, e) => e.state);
    },
  );

  test('a destination the row does not list is an internal error, and the state is left alone', () => {
    const e: E = { state: 'a' };
    assert.throws(
      () => m.fire(null, e, 'go', { to: 'c' }),
      (err: unknown) => err instanceof InternalError && /chose c, not one of b, gone/.test(err.message),
    );
    assert.equal(e.state, 'a');
  });

  test('reaching a final state removes the entity; a row may list several from-states', () => {
    const e: E = { state: 'a' };
    assert.equal(m.fire(null, e, 'stay'), 'a');
    assert.equal(m.fire(null, e, 'go', { to: 'gone' }), 'gone');
    assert.deepEqual(removed, [e]);
    assert.equal(m.can(e, 'stay'), false);
  });

  test('a table that lists a (state, action) twice is refused when it is defined', () => {
    assert.throws(
      () =>
        new StateMachine<S, Acts, null, E>({ entity: 'dup', describe: () => 'd', stateOf: (e) => e.state, setState: () => undefined }, (t) => {
          t.on('a', 'stay', 'a', () => undefined);
          t.on(['b', 'a'], 'stay', 'a', () => undefined);
        }),
      /dup table lists \(a, stay\) twice/,
    );
  });

  test('the recent transitions in an error are the entity\u2019s last ones, bounded', () => {
    const e: E = { state: 'a' };
    for (let i = 0; i < 20; i++) m.fire(null, e, 'stay');
    m.fire(null, e, 'go', { to: 'b' });
    const err = (() => {
      try {
        m.fire(null, e, 'go', { to: 'b' });
      } catch (x) {
        return x as InvalidTransitionError;
      }
      throw new Error('not refused');
    })();
    assert.equal(err.recent.length, 8);
    assert.equal(err.recent[err.recent.length - 1], 'a --go--> b');
    assert.equal(err.state, 'b');
    assert.equal(err.action, 'go');
  });
});
