/**
 * The state rebuilder reset uses (src/history/rebuild.ts) and reset's choice of point
 * (api/reset-workflow.ts): a history prefix replayed into mutable state leaves exactly what was
 * pending at its end (workflow task, activities, timers, children, external requests, updates), the
 * run's cancel request, search attributes and memo; the base run's chain and parent are kept. And
 * buildResetRun's new history: the copied events, the failed task, re-armed work, reapplied signals.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { api, fromB64, msToDuration, num, temporal, type IHistoryEvent } from '../../src/common/proto';
import { newRunContext } from '../../src/history/api/start-workflow';
import { buildResetRun, eventsBeforeResetPoint, reappliesSignals } from '../../src/history/api/reset-workflow';
import { makeEvent, type EventTypeName } from '../../src/history/events';
import { rebuildMutableState } from '../../src/history/rebuild';

const ET = temporal.api.enums.v1.EventType;
const T0 = Date.UTC(2026, 0, 1);
const payload = (v: string) => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(v)) });

/** A history with ids 1..n from [type, attributes, ms after T0]. */
function history(...events: [EventTypeName, object, number?][]): IHistoryEvent[] {
  return events.map(([type, attrs, at], i) => makeEvent(type, attrs, T0 + (at ?? i * 1000), i + 1));
}

const base = () => {
  const ctx = newRunContext({ id: 'ns-id', name: 'ns' }, { workflowId: 'wf', workflowType: { name: 'T' }, taskQueue: { name: 'tq' } }, 'req', 'base-run', {
    firstRunId: 'first-run',
    parent: { namespaceId: 'ns-id', namespace: 'ns', workflowId: 'parent', runId: 'parent-run', initiatedEventId: 5, parentClosePolicy: 1 },
  });
  return ctx.ms;
};

const started: [EventTypeName, object] = [
  'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
  { workflowType: { name: 'T' }, taskQueue: { name: 'tq' }, memo: { fields: { a: payload('1') } } },
];
const task = (n: number): [EventTypeName, object][] => [
  ['EVENT_TYPE_WORKFLOW_TASK_SCHEDULED', { taskQueue: { name: 'tq' }, attempt: 1 }],
  ['EVENT_TYPE_WORKFLOW_TASK_STARTED', { scheduledEventId: n }],
  ['EVENT_TYPE_WORKFLOW_TASK_COMPLETED', { scheduledEventId: n, startedEventId: n + 1 }],
];

describe('rebuildMutableState', () => {
  test('what is pending at the end of the prefix, and only that', () => {
    const events = history(
      started, // 1
      ...task(2), // 2 3 4
      [
        'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED',
        { activityId: 'a1', activityType: { name: 'A' }, taskQueue: { name: 'acts' }, startToCloseTimeout: msToDuration(30_000) },
      ], // 5
      [
        'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED',
        { activityId: 'a2', activityType: { name: 'A' }, taskQueue: { name: 'acts' }, startToCloseTimeout: msToDuration(30_000) },
      ], // 6
      ['EVENT_TYPE_TIMER_STARTED', { timerId: 't1', startToFireTimeout: msToDuration(60_000) }, 6000], // 7
      ['EVENT_TYPE_TIMER_STARTED', { timerId: 't2', startToFireTimeout: msToDuration(1000) }], // 8
      ['EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED', { workflowId: 'child', workflowType: { name: 'C' } }], // 9
      ['EVENT_TYPE_ACTIVITY_TASK_STARTED', { scheduledEventId: 6 }], // 10
      ['EVENT_TYPE_ACTIVITY_TASK_COMPLETED', { scheduledEventId: 6, startedEventId: 10 }], // 11
      ['EVENT_TYPE_TIMER_FIRED', { timerId: 't2', startedEventId: 8 }], // 12
      ['EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED', { initiatedEventId: 9, workflowExecution: { workflowId: 'child', runId: 'child-run' } }], // 13
      ['EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED', { cause: 'stop' }], // 14
      ['EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', { searchAttributes: { indexedFields: { K: payload('v') } } }], // 15
      ['EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED', { upsertedMemo: { fields: { b: payload('2') } } }], // 16
      ...task(17), // 17 18 19
      ['EVENT_TYPE_WORKFLOW_TASK_SCHEDULED', { taskQueue: { name: 'tq' }, attempt: 1 }], // 20
      ['EVENT_TYPE_WORKFLOW_TASK_STARTED', { scheduledEventId: 20, identity: 'w1' }], // 21
    );
    const now = T0 + 99_000;
    const ms = rebuildMutableState(base().execution, events, 'new-run', now);
    const e = ms.execution;
    assert.deepEqual([e.runId, e.firstRunId, e.parent?.workflowId, e.state], ['new-run', 'first-run', 'parent', 'running']);
    assert.equal(ms.nextEventId, 22);
    assert.deepEqual(ms.workflowTask && [ms.workflowTask.state, ms.workflowTask.scheduledEventId, ms.workflowTask.startedEventId, ms.workflowTask.identity], [
      'started',
      20,
      21,
      'w1',
    ]);
    assert.equal(e.lastCompletedWorkflowTaskStartedEventId, 18);
    assert.deepEqual(Object.keys(ms.activities), ['5']);
    const a1 = ms.activities['5']!;
    assert.deepEqual([a1.activityId, a1.state, a1.attempt, a1.taskQueue, a1.startToCloseMs, a1.scheduledTimeMs], ['a1', 'scheduled', 1, 'acts', 30_000, now]);
    assert.equal(fromB64(api.command.v1.ScheduleActivityTaskCommandAttributes, a1.attributesB64).activityId, 'a1');
    assert.deepEqual(Object.keys(ms.timers), ['t1']);
    assert.equal(ms.timers.t1!.expiryMs, T0 + 6000 + 60_000);
    assert.deepEqual(
      Object.values(ms.children).map((c) => [c.workflowId, c.state, c.runId]),
      [['child', 'started', 'child-run']],
    );
    assert.equal(e.cancelRequested, true);
    assert.deepEqual(Object.keys(fromB64(api.common.v1.SearchAttributes, e.searchAttributesB64!).indexedFields), ['K']);
    assert.deepEqual(Object.keys(fromB64(api.common.v1.Memo, e.memoB64!).fields).sort(), ['a', 'b']);
  });
});

describe('buildResetRun', () => {
  const signal = (v: string): [EventTypeName, object] => ['EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED', { signalName: 'add', input: { payloads: [payload(v)] } }];
  const run = history(
    started, // 1
    ...task(2), // 2 3 4
    ['EVENT_TYPE_TIMER_STARTED', { timerId: 't', startToFireTimeout: msToDuration(3_600_000) }], // 5
    signal('a'), // 6
    ...task(7), // 7 8 9
    signal('b'), // 10
    ...task(11), // 11 12 13
  );
  const opts = { workflowTaskFinishEventId: 9, reason: 'why', requestId: 'r1', reapplyType: 0, reapplyExcludeTypes: [], identity: 'me' };

  test('copied events, the failed task naming both runs, the timer re-armed, later signals reapplied, a new task', () => {
    const ctx = buildResetRun(base(), run, 'new-run', opts, T0 + 50_000);
    const types = ctx.newEvents.map((e) => [num(e.eventId), Number(e.eventType)]);
    assert.deepEqual(types, [
      ...run.slice(0, 8).map((e) => [num(e.eventId), Number(e.eventType)]),
      [9, ET.EVENT_TYPE_WORKFLOW_TASK_FAILED],
      [10, ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED],
      [11, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED],
    ]);
    const failed = ctx.newEvents[8]!.workflowTaskFailedEventAttributes!;
    assert.deepEqual(
      [failed.baseRunId, failed.newRunId, failed.failure?.message, num(failed.scheduledEventId), num(failed.startedEventId)],
      ['base-run', 'new-run', 'why', 7, 8],
    );
    assert.ok(ctx.timerTasks.some((t) => t.task.type === 'user-timer' && t.atMs === T0 + 4000 + 3_600_000));
    assert.ok(ctx.transferTasks.some((t) => t.type === 'workflow-task' && t.scheduledEventId === 11 && t.runId === 'new-run'));
    assert.equal(ctx.ms.execution.createRequestId, 'r1');
  });

  test('reapply NONE or exclude SIGNAL: no signals after the point; a Started event as the point gets a synthetic start', () => {
    const none = buildResetRun(base(), run, 'n1', { ...opts, reapplyType: temporal.api.enums.v1.ResetReapplyType.RESET_REAPPLY_TYPE_NONE }, T0);
    assert.ok(!none.newEvents.slice(8).some((e) => Number(e.eventType) === ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED));
    assert.equal(
      reappliesSignals({ reapplyType: 0, reapplyExcludeTypes: [temporal.api.enums.v1.ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL] }),
      false,
    );
    const atStarted = buildResetRun(base(), run, 'n2', { ...opts, workflowTaskFinishEventId: 8 }, T0);
    assert.deepEqual(
      atStarted.newEvents.slice(7, 9).map((e) => [num(e.eventId), Number(e.eventType), e.workflowTaskStartedEventAttributes?.identity ?? '']),
      [
        [8, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED, 'history-service'],
        [9, ET.EVENT_TYPE_WORKFLOW_TASK_FAILED, ''],
      ],
    );
  });

  test('points that are not workflow task events are refused naming the candidates', () => {
    assert.throws(
      () => eventsBeforeResetPoint(run, 6),
      /event 6 is EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED; a reset point is .*\(this run's WorkflowTaskCompleted events: 4, 9, 13\)/,
    );
    assert.throws(() => eventsBeforeResetPoint(run, 14), /14 is not an event of this run: it must be > 1 and <= 13/);
    const withChild = history(started, ...task(2), ['EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED', { workflowId: 'kid' }], ...task(6));
    assert.throws(() => buildResetRun(base(), withChild, 'x', { ...opts, workflowTaskFinishEventId: 8 }, T0), /the child workflow kid is pending/);
  });
});
