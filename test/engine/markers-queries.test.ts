/**
 * Markers (local activities, patches) with replay from full history, buffered events and
 * force_create_new_workflow_task (the local-activity heartbeat), and queries delivered inside
 * workflow tasks, on every plugin. Some tests drive the protocol by hand through the client's raw
 * WorkflowService on a task queue no worker polls.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ENGINES, engineAvailability, newTaskQueue, runWorkerUntil, sharedWorker, sleep, uid as id } from './harness';

const EventType = temporal.api.enums.v1.EventType;
const QueryResultType = temporal.api.enums.v1.QueryResultType;

for (const plugin of ENGINES) {
  describe(plugin, async () => {
    const skip = await engineAvailability(plugin);
    const env = sharedWorker(plugin, { skip });

    test('patch and local-activity markers replay from full history on a worker without a cache', { skip }, async () => {
      const { client, port } = env();
      const taskQueue = newTaskQueue('nocache');
      const run = async () => {
        const h = await client.workflow.start('markers', { taskQueue, workflowId: id('markers') });
        return { result: await h.result(), events: (await h.fetchHistory()).events! };
      };
      // maxCachedWorkflows 0: every workflow task replays the whole history, markers included
      const { result, events } = await runWorkerUntil(port, taskQueue, run(), { maxCachedWorkflows: 0 });
      assert.equal(result, 'patched | hello la1 from activity | hello act from activity | still patched | hello la2 from activity');
      const types = events.map((e) => e.eventType);
      assert.ok(!types.includes(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED), 'replay found no nondeterminism');
      const names = events.filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED).map((e) => e.markerRecordedEventAttributes!.markerName);
      assert.deepEqual(names.filter((n) => n === 'core_local_activity').length, 2);
      assert.ok(names.filter((n) => n === 'core_patch').length >= 2, `patch markers in ${names.join(',')}`);
      assert.ok(types.includes(EventType.EVENT_TYPE_TIMER_FIRED) && types.includes(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED));
    });

    test(
      'a query arriving while a workflow task is outstanding rides in that task (queries / query_results); otherwise a legacy query task',
      { skip },
      async () => {
        const { client } = env();
        const svc = client.workflowService;
        const taskQueue = newTaskQueue('raw'); // nobody polls it but this test
        const workflowId = id('raw-query');
        await client.workflow.start('accumulator', { taskQueue, workflowId });
        const poll = () => svc.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue, kind: 1 }, identity: 'raw-test' });
        const payload = (v: unknown) => ({ payloads: [defaultPayloadConverter.toPayload(v)] });
        const decoded = (r: temporal.api.workflowservice.v1.IQueryWorkflowResponse) => defaultPayloadConverter.fromPayload(r.queryResult!.payloads![0]!);

        // the first workflow task is scheduled: the query waits for it and goes out with it
        const q1 = svc.queryWorkflow({ namespace: 'default', execution: { workflowId }, query: { queryType: 'total' } });
        await sleep(300);
        const task = await poll();
        assert.ok(task.taskToken?.length, 'a workflow task');
        assert.ok(!task.query, 'not a legacy query task');
        const ids = Object.keys(task.queries ?? {});
        assert.equal(ids.length, 1);
        assert.equal(task.queries![ids[0]!]!.queryType, 'total');
        await svc.respondWorkflowTaskCompleted({
          namespace: 'default',
          taskToken: task.taskToken,
          identity: 'raw-test',
          commands: [],
          queryResults: { [ids[0]!]: { resultType: QueryResultType.QUERY_RESULT_TYPE_ANSWERED, answer: payload(41) } },
        });
        assert.equal(decoded(await q1), 41);

        // no task outstanding: a legacy query task
        const q2 = svc.queryWorkflow({ namespace: 'default', execution: { workflowId }, query: { queryType: 'total' } });
        const legacy = await poll();
        assert.equal(legacy.query?.queryType, 'total');
        assert.equal(Object.keys(legacy.queries ?? {}).length, 0);
        await svc.respondQueryTaskCompleted({
          namespace: 'default',
          taskToken: legacy.taskToken,
          completedType: QueryResultType.QUERY_RESULT_TYPE_ANSWERED,
          queryResult: payload(42),
        });
        assert.equal(decoded(await q2), 42);

        // a query carried by a task that fails goes out again with the next attempt
        await svc.signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId }, signalName: 'add', input: payload(1) });
        const q3 = svc.queryWorkflow({ namespace: 'default', execution: { workflowId }, query: { queryType: 'total' } }).then(
          () => new Error('expected the query to fail'),
          (err: unknown) => err,
        );
        await sleep(300);
        const t2 = await poll();
        const id2 = Object.keys(t2.queries ?? {})[0]!;
        assert.ok(id2);
        await svc.respondWorkflowTaskFailed({
          namespace: 'default',
          taskToken: t2.taskToken,
          cause: 2 /* BAD_SCHEDULE_ACTIVITY_ATTRIBUTES */,
          identity: 'raw-test',
        });
        const t3 = await poll();
        assert.deepEqual(Object.keys(t3.queries ?? {}), [id2]);
        assert.equal(t3.attempt, 2);
        await svc.respondWorkflowTaskCompleted({
          namespace: 'default',
          taskToken: t3.taskToken,
          commands: [],
          queryResults: { [id2]: { resultType: QueryResultType.QUERY_RESULT_TYPE_FAILED, errorMessage: 'no answer for you' } },
        });
        const err = (await q3) as { code?: number; details?: string };
        assert.equal(err.code, 3);
        assert.match(err.details ?? '', /no answer for you/);
        await svc.terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId } });
      },
    );

    test(
      'buffered events: a signal during a started workflow task is written after its completion; closing over it is UNHANDLED_COMMAND; force_create_new_workflow_task',
      { skip },
      async () => {
        const { client } = env();
        const svc = client.workflowService;
        const taskQueue = newTaskQueue('buffered'); // driven by hand
        const workflowId = id('buffered');
        await client.workflow.start('accumulator', { taskQueue, workflowId });
        const poll = () => svc.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue, kind: 1 }, identity: 'raw-test' });
        const history = async () => (await client.workflow.getHandle(workflowId).fetchHistory()).events!.map((e) => e.eventType!);
        const signal = (n: number) =>
          svc.signalWorkflowExecution({
            namespace: 'default',
            workflowExecution: { workflowId },
            signalName: 'add',
            input: { payloads: [defaultPayloadConverter.toPayload(n)] },
          });
        const T = EventType;

        const t1 = await poll();
        await signal(1); // arrives while t1 is started: buffered
        assert.deepEqual(await history(), [T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, T.EVENT_TYPE_WORKFLOW_TASK_STARTED]);
        await svc.respondWorkflowTaskCompleted({ namespace: 'default', taskToken: t1.taskToken, commands: [] });
        assert.deepEqual((await history()).slice(3), [
          T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
          T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
          T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        ]);

        // closing the workflow while a signal is buffered: the task fails with UNHANDLED_COMMAND, the run goes on
        const t2 = await poll();
        await signal(2);
        await svc.respondWorkflowTaskCompleted({
          namespace: 'default',
          taskToken: t2.taskToken,
          commands: [
            { commandType: temporal.api.enums.v1.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} },
          ],
        });
        const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events!;
        const failed = events.find((e) => e.eventType === T.EVENT_TYPE_WORKFLOW_TASK_FAILED)!;
        assert.equal(
          failed.workflowTaskFailedEventAttributes!.cause,
          temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
        );
        assert.deepEqual(
          events.slice(-3).map((e) => e.eventType),
          [T.EVENT_TYPE_WORKFLOW_TASK_FAILED, T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED],
        );
        assert.equal((await client.workflow.getHandle(workflowId).describe()).status.name, 'RUNNING');

        // force_create_new_workflow_task: a new task although nothing new happened
        const t3 = await poll();
        assert.equal(t3.attempt, 1, 'UNHANDLED_COMMAND does not count as a failed attempt');
        await svc.respondWorkflowTaskCompleted({ namespace: 'default', taskToken: t3.taskToken, commands: [], forceCreateNewWorkflowTask: true });
        assert.deepEqual((await history()).slice(-2), [T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED]);
        const t4 = await poll();
        assert.ok(t4.taskToken?.length);
        await svc.respondWorkflowTaskCompleted({ namespace: 'default', taskToken: t4.taskToken, commands: [] });
        assert.deepEqual((await history()).slice(-1), [T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED], 'no task without a reason');
        await svc.terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId } });
      },
    );

    test('a local activity 4x the workflow task timeout: heartbeat tasks (force_create_new_workflow_task) carry queries', { skip }, async () => {
      const { client, taskQueue } = env();
      // a 2 s task timeout (not 1 s): a heartbeat task must complete within it, and on a loaded machine
      // the worker sometimes took longer than 1 s to answer one
      const h = await client.workflow.start('queryDuringLocalActivity', { taskQueue, workflowId: id('la-long'), args: [8000], workflowTaskTimeout: '2s' });
      await sleep(1000);
      const t0 = Date.now();
      // answered inside the next heartbeat task (every ~1.6 s), not held until the activity ends (7 s later)
      assert.equal(await h.query<string>('stage'), 'in local activity');
      assert.ok(Date.now() - t0 < 5000, `the query was held until the local activity ended (${Date.now() - t0} ms)`);
      assert.equal(await h.result(), 'done');
      assert.equal(await h.query<string>('stage'), 'done');
      const events = (await h.fetchHistory()).events!;
      const types = events.map((e) => e.eventType);
      const completedTasks = types.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length;
      assert.ok(completedTasks >= 4, `expected heartbeat workflow tasks, got ${completedTasks} completed tasks`);
      assert.ok(!types.includes(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT), 'no workflow task timed out');
      assert.ok(!types.includes(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED), 'no workflow task failed');
      const markers = events.filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED);
      assert.deepEqual(
        markers.map((e) => e.markerRecordedEventAttributes!.markerName),
        ['core_local_activity'],
      );
    });
  });
}
