/**
 * Eager activity dispatch: RespondWorkflowTaskCompleted answers with the activities its commands
 * scheduled with requestEagerExecution on the workflow's task queue, already started (as Temporal
 * does). Through the official SDK worker (which asks for it by default): activities run, the history
 * shows ActivityTaskStarted with the attempt that ran, and retries of an eager first attempt work.
 * At the protocol level: what the response carries, a start-to-close timeout of an eagerly
 * dispatched attempt that the worker never answers (the next attempt goes through matching),
 * another task queue and a closing completion get no eager activity.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { metricsRegistry } from '../../src/common/metrics';
import { msToDuration } from '../../src/common/proto';
import { ENGINES, engineAvailability, newTaskQueue, sharedWorker, uid as id, type Env } from './harness';

const E = temporal.api.enums.v1;
const ET = E.EventType;
type Command = temporal.api.command.v1.ICommand;

async function eagerCount(): Promise<number> {
  const m = await metricsRegistry.getSingleMetric('temporal_ts_activity_eager_execution_total')!.get();
  return m.values[0]?.value ?? 0;
}

const payload = (v: unknown) => ({ payloads: [defaultPayloadConverter.toPayload(v)] });

/** Poll one workflow task of `taskQueue` with the raw API (no SDK worker polls it). */
async function pollWorkflowTask(env: Env, taskQueue: string) {
  for (let i = 0; i < 10; i++) {
    const t = await env.client.workflowService.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, identity: 'raw-test' });
    if (t.taskToken?.length) return t;
  }
  throw new Error(`no workflow task on ${taskQueue}`);
}

async function pollActivityTask(env: Env, taskQueue: string) {
  for (let i = 0; i < 10; i++) {
    const t = await env.client.workflowService.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, identity: 'raw-test' });
    if (t.taskToken?.length) return t;
  }
  throw new Error(`no activity task on ${taskQueue}`);
}

function scheduleActivity(activityId: string, taskQueue: string, extra: temporal.api.command.v1.IScheduleActivityTaskCommandAttributes = {}): Command {
  return {
    commandType: E.CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
    scheduleActivityTaskCommandAttributes: {
      activityId,
      activityType: { name: 'rawActivity' },
      taskQueue: { name: taskQueue },
      input: payload(activityId),
      startToCloseTimeout: msToDuration(10_000),
      requestEagerExecution: true,
      ...extra,
    },
  };
}

function respond(env: Env, taskToken: Uint8Array, commands: Command[]) {
  return env.client.workflowService.respondWorkflowTaskCompleted({ namespace: 'default', taskToken, identity: 'raw-test', commands });
}

for (const plugin of ENGINES) {
  describe(plugin, async () => {
    const skip = await engineAvailability(plugin);
    const env = sharedWorker(plugin, { skip });

    test('official worker: the activity is dispatched eagerly, runs, and the history shows it started and completed', { skip }, async () => {
      const { client, taskQueue } = env();
      const before = await eagerCount();
      const h = await client.workflow.start('greetViaActivity', { taskQueue, workflowId: id('eager-sdk'), args: ['eager'] });
      assert.equal(await h.result(), 'hello eager from activity');
      assert.ok((await eagerCount()) > before, 'the SDK asked for eager execution and the server answered with the activity');
      const events = (await h.fetchHistory()).events!;
      const scheduled = events.find((e) => e.eventType === ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)!;
      const started = events.find((e) => e.eventType === ET.EVENT_TYPE_ACTIVITY_TASK_STARTED)!;
      const completed = events.find((e) => e.eventType === ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)!;
      assert.equal(Number(started.activityTaskStartedEventAttributes!.scheduledEventId), Number(scheduled.eventId));
      assert.equal(started.activityTaskStartedEventAttributes!.attempt, 1);
      assert.ok(started.activityTaskStartedEventAttributes!.identity, 'the worker that took it');
      assert.equal(Number(completed.activityTaskCompletedEventAttributes!.startedEventId), Number(started.eventId));
      assert.equal(Number(started.eventId) + 1, Number(completed.eventId));
    });

    test('official worker: an eager first attempt that fails is retried (through matching) until it succeeds', { skip }, async () => {
      const { client, taskQueue } = env();
      const h = await client.workflow.start('flaky', { taskQueue, workflowId: id('eager-retry'), args: ['k'] });
      assert.equal(await h.result(), 'succeeded on attempt 3');
      const started = (await h.fetchHistory()).events!.filter((e) => e.eventType === ET.EVENT_TYPE_ACTIVITY_TASK_STARTED);
      assert.equal(started.length, 1, 'ActivityTaskStarted is written once, with the attempt that closed it');
      assert.equal(started[0]!.activityTaskStartedEventAttributes!.attempt, 3);
    });

    test(
      'protocol: the response carries the started activity; a start-to-close timeout of the unanswered attempt retries through matching',
      { skip },
      async () => {
        const e = env();
        const tq = newTaskQueue('eager-raw');
        const other = newTaskQueue('eager-other');
        const h = await e.client.workflow.start('greet', { taskQueue: tq, workflowId: id('eager-raw'), args: ['x'] });
        const wt = await pollWorkflowTask(e, tq);
        const resp = await respond(e, wt.taskToken!, [
          scheduleActivity('a1', tq, {
            startToCloseTimeout: msToDuration(1000),
            retryPolicy: { initialInterval: msToDuration(100), maximumAttempts: 2 },
          }),
          // another task queue: never eager, it goes to that queue through matching
          scheduleActivity('a2', other),
          // eager not asked for
          scheduleActivity('a3', tq, { requestEagerExecution: false }),
        ]);
        assert.equal(resp.activityTasks?.length, 1, 'only a1 is eager');
        const a1 = resp.activityTasks![0]!;
        assert.equal(a1.activityId, 'a1');
        assert.equal(a1.attempt, 1);
        assert.equal(a1.activityType?.name, 'rawActivity');
        assert.equal(a1.workflowExecution?.workflowId, h.workflowId);
        assert.equal(a1.workflowType?.name, 'greet');
        assert.equal(defaultPayloadConverter.fromPayload(a1.input!.payloads![0]!), 'a1');
        assert.ok(a1.startedTime && a1.scheduledTime && a1.taskToken?.length);

        // a2 and a3 go through matching
        const a2 = await pollActivityTask(e, other);
        assert.equal(a2.activityId, 'a2');
        const a3 = await pollActivityTask(e, tq);
        assert.equal(a3.activityId, 'a3');
        // a1 is not answered: its start-to-close timeout (1 s) retries it; attempt 2 comes through matching
        const retried = await pollActivityTask(e, tq);
        assert.equal(retried.activityId, 'a1');
        assert.equal(retried.attempt, 2);
        // the eager attempt's token is stale now
        await assert.rejects(
          e.client.workflowService.respondActivityTaskCompleted({ namespace: 'default', taskToken: a1.taskToken, result: payload('late') }),
          /not found/i,
        );
        for (const t of [retried, a2, a3]) {
          await e.client.workflowService.respondActivityTaskCompleted({
            namespace: 'default',
            taskToken: t.taskToken,
            identity: 'raw-test',
            result: payload(t.activityId),
          });
        }
        const events = (await h.fetchHistory()).events!;
        const startedA1 = events.filter((ev) => ev.eventType === ET.EVENT_TYPE_ACTIVITY_TASK_STARTED).map((ev) => ev.activityTaskStartedEventAttributes!);
        assert.deepEqual(startedA1.map((a) => a.attempt).sort(), [1, 1, 2]);
        await h.terminate();
      },
    );

    test('protocol: an eager activity of a completion that also closes the run is not dispatched', { skip }, async () => {
      const e = env();
      const tq = newTaskQueue('eager-close');
      const h = await e.client.workflow.start('greet', { taskQueue: tq, workflowId: id('eager-close'), args: ['x'] });
      const wt = await pollWorkflowTask(e, tq);
      const resp = await respond(e, wt.taskToken!, [
        scheduleActivity('a1', tq),
        { commandType: E.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: { result: payload('done') } },
      ]);
      assert.equal(resp.activityTasks?.length ?? 0, 0);
      assert.equal(await h.result(), 'done');
    });

    test('protocol: an eagerly dispatched activity completed at once closes like any other', { skip }, async () => {
      const e = env();
      const tq = newTaskQueue('eager-done');
      const h = await e.client.workflow.start('greet', { taskQueue: tq, workflowId: id('eager-done'), args: ['x'] });
      const wt = await pollWorkflowTask(e, tq);
      const resp = await respond(e, wt.taskToken!, [scheduleActivity('a1', tq)]);
      const a1 = resp.activityTasks![0]!;
      await e.client.workflowService.respondActivityTaskCompleted({
        namespace: 'default',
        taskToken: a1.taskToken,
        identity: 'raw-eager',
        result: payload('r1'),
      });
      const wt2 = await pollWorkflowTask(e, tq);
      const newEvents = wt2.history!.events!.filter((ev) => Number(ev.eventId) > Number(wt.startedEventId));
      const types = newEvents.map((ev) => ev.eventType);
      assert.deepEqual(types.slice(0, 4), [
        ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
        ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        ET.EVENT_TYPE_ACTIVITY_TASK_STARTED,
        ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
      ]);
      const started = newEvents[2]!.activityTaskStartedEventAttributes!;
      assert.equal(started.identity, 'raw-test', 'started by the worker that completed the workflow task');
      assert.equal(started.attempt, 1);
      await respond(e, wt2.taskToken!, [
        { commandType: E.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: { result: payload('ok') } },
      ]);
      assert.equal(await h.result(), 'ok');
    });
  });
}
