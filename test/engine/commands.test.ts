/**
 * Workflow task commands through the command registry, driven by hand through the official client's
 * raw WorkflowService on task queues no worker polls, on every plugin: a command type the API does
 * not know is INVALID_ARGUMENT and writes nothing (the task stays started, as in Temporal); a command
 * the server does not implement (Nexus) fails the task with FEATURE_DISABLED; a CancelTimer naming no
 * timer fails it with BAD_CANCEL_TIMER_ATTRIBUTES; a timer that fires while the task that cancels it
 * runs is canceled, not fired.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { ENGINES, engineAvailability, newTaskQueue, sharedWorker, sleep, uid as id } from './harness';

const T = temporal.api.enums.v1.EventType;
const CT = temporal.api.enums.v1.CommandType;
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;
type Command = temporal.api.command.v1.ICommand;
const dur = (seconds: number) => ({ seconds }) as never;

for (const plugin of ENGINES) {
  describe(plugin, async () => {
    const skip = await engineAvailability(plugin);
    const env = sharedWorker(plugin, { skip });

    /** A run of `accumulator` on a queue only this test polls, with its first workflow task started. */
    async function startedTask(name: string) {
      const { client } = env();
      const svc = client.workflowService;
      const taskQueue = newTaskQueue(name);
      const workflowId = id(name);
      await client.workflow.start('accumulator', { taskQueue, workflowId });
      const poll = () => svc.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue, kind: 1 }, identity: 'raw-test' });
      const respond = (taskToken: Uint8Array | null | undefined, commands: Command[], force = false) =>
        svc.respondWorkflowTaskCompleted({ namespace: 'default', taskToken, commands, forceCreateNewWorkflowTask: force, identity: 'raw-test' });
      const events = async () => (await client.workflow.getHandle(workflowId).fetchHistory()).events!;
      const task = await poll();
      assert.ok(task.taskToken?.length, 'a workflow task');
      const done = () => svc.terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId } });
      return { svc, poll, respond, events, task, done };
    }

    test('a command type the API does not know: INVALID_ARGUMENT naming it, nothing written, the task still started', { skip }, async () => {
      const { respond, events, task, done } = await startedTask('unknown-cmd');
      const before = (await events()).map((e) => e.eventType);
      await assert.rejects(respond(task.taskToken, [{ commandType: 99 as never }]), (err: { code?: number; details?: string }) => {
        assert.equal(err.code, 3, 'INVALID_ARGUMENT');
        assert.match(err.details ?? '', /Unknown command type: 99/);
        return true;
      });
      assert.deepEqual(
        (await events()).map((e) => e.eventType),
        before,
      );
      assert.equal(before[before.length - 1], T.EVENT_TYPE_WORKFLOW_TASK_STARTED);
      await done();
    });

    test('a Nexus command fails the task with FEATURE_DISABLED and the next attempt is scheduled', { skip }, async () => {
      const { respond, events, task, poll, done } = await startedTask('nexus-cmd');
      await assert.rejects(
        respond(task.taskToken, [{ commandType: CT.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION, scheduleNexusOperationCommandAttributes: {} }]),
        (err: { code?: number; details?: string }) => {
          assert.equal(err.code, 3);
          assert.match(err.details ?? '', /COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION is not supported by this server/);
          return true;
        },
      );
      const history = await events();
      const failed = history.find((e) => e.eventType === T.EVENT_TYPE_WORKFLOW_TASK_FAILED)!;
      assert.equal(failed.workflowTaskFailedEventAttributes!.cause, Cause.WORKFLOW_TASK_FAILED_CAUSE_FEATURE_DISABLED);
      // the retry is a transient task: its WorkflowTaskScheduled/Started are not stored, the poll carries them
      assert.equal(history[history.length - 1]!.eventType, T.EVENT_TYPE_WORKFLOW_TASK_FAILED);
      const retry = await poll();
      assert.equal(retry.attempt, 2);
      assert.deepEqual(
        (retry.history?.events ?? []).slice(-2).map((e) => e.eventType),
        [T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, T.EVENT_TYPE_WORKFLOW_TASK_STARTED],
      );
      await done();
    });

    test('CancelTimer of no timer fails the task with BAD_CANCEL_TIMER_ATTRIBUTES; nothing of the batch is applied', { skip }, async () => {
      const { respond, events, task, done } = await startedTask('cancel-no-timer');
      const startTimer: Command = {
        commandType: CT.COMMAND_TYPE_START_TIMER,
        startTimerCommandAttributes: { timerId: 'real', startToFireTimeout: dur(60) },
      };
      await assert.rejects(
        respond(task.taskToken, [startTimer, { commandType: CT.COMMAND_TYPE_CANCEL_TIMER, cancelTimerCommandAttributes: { timerId: 'ghost' } }]),
        /no pending timer ghost/,
      );
      const history = await events();
      const failed = history.find((e) => e.eventType === T.EVENT_TYPE_WORKFLOW_TASK_FAILED)!;
      assert.equal(failed.workflowTaskFailedEventAttributes!.cause, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES);
      assert.ok(!history.some((e) => e.eventType === T.EVENT_TYPE_TIMER_STARTED), 'the valid StartTimer of the batch was not applied');
      await done();
    });

    test('a timer that fires while the task that cancels it runs: TimerCanceled, never TimerFired, no task for it', { skip }, async () => {
      const { respond, events, task, poll, done } = await startedTask('cancel-fired-timer');
      // start a 1 s timer and ask for another task at once: the timer fires while that one is started
      await respond(
        task.taskToken,
        [{ commandType: CT.COMMAND_TYPE_START_TIMER, startTimerCommandAttributes: { timerId: 't', startToFireTimeout: dur(1) } }],
        true,
      );
      const t2 = await poll();
      await sleep(2500); // the timer fires meanwhile: its TimerFired waits in the buffer (the unit test pins the race down)
      assert.ok(!(await events()).some((e) => e.eventType === T.EVENT_TYPE_TIMER_FIRED), 'buffered, not written');
      await respond(t2.taskToken, [{ commandType: CT.COMMAND_TYPE_CANCEL_TIMER, cancelTimerCommandAttributes: { timerId: 't' } }]);
      const types = (await events()).map((e) => e.eventType);
      assert.deepEqual(types.slice(-2), [T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, T.EVENT_TYPE_TIMER_CANCELED]);
      assert.ok(!types.includes(T.EVENT_TYPE_TIMER_FIRED));
      await done();
    });
  });
}
