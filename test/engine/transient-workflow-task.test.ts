/**
 * Transient workflow tasks on every plugin, as Temporal: a workflow task that keeps failing leaves
 * exactly one WorkflowTaskFailed in history; later attempts are counted on the pending task
 * (DescribeWorkflowExecution's pendingWorkflowTask.attempt) without events, at the pace of the task's
 * start-to-close timeout (longer from the fourth attempt), and the worker keeps serving other runs.
 * Both kinds: the server fails the task (an upserted search attribute the namespace does not define)
 * and the worker fails it (workflow code throws, as a non-determinism error would).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { makeVisibilityDb } from '../visibility/harness';
import { ENGINES, engineAvailability, sharedWorker, sleep, uid as id } from './harness';

const ET = temporal.api.enums.v1.EventType;
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;

async function eventTypes(client: Client, workflowId: string): Promise<number[]> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  events.forEach((e, i) => assert.equal(Number(e.eventId), i + 1, 'event ids are dense from 1'));
  return events.map((e) => Number(e.eventType));
}

const count = (types: number[], t: number) => types.filter((x) => x === t).length;

async function pendingAttempt(client: Client, workflowId: string): Promise<number> {
  const d = await client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } });
  return d.pendingWorkflowTask?.attempt ?? 0;
}

for (const plugin of ENGINES) {
  describe(plugin, async () => {
    const skip = await engineAvailability(plugin);
    // a visibility store: search attributes a workflow upserts are checked against the namespace's
    const vis = skip ? undefined : await makeVisibilityDb(plugin);
    after(() => vis?.cleanup());
    const env = sharedWorker(plugin, { skip, server: { visibility: vis?.config } });

    test(
      'the server fails the task (unknown search attribute): one WorkflowTaskFailed after 10 s, the attempt grows at a bounded pace, the worker keeps working',
      { skip },
      async () => {
        const { client, taskQueue } = env();
        const workflowId = id('bad-sa');
        const h = await client.workflow.start('upsertsUnknownAttribute', { taskQueue, workflowId, workflowTaskTimeout: '3s' });
        await sleep(10_000);
        const types = await eventTypes(client, workflowId);
        assert.deepEqual(types, [
          ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
          ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
          ET.EVENT_TYPE_WORKFLOW_TASK_STARTED,
          ET.EVENT_TYPE_WORKFLOW_TASK_FAILED,
        ]);
        const failed = (await h.fetchHistory()).events![3]!.workflowTaskFailedEventAttributes!;
        assert.equal(failed.cause, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES);
        assert.match(failed.failure?.message ?? '', /NoSuchAttributeAnywhere/);
        // a 3 s task timeout (1 s lets a busy machine time the first attempt out before its failure is
        // reported): attempt 2 at once, 3 and 4 after 3 s each, then 3 s + 5 s: 4 after 10 s (3 when
        // slow), never a flood
        const attempt = await pendingAttempt(client, workflowId);
        assert.ok(attempt >= 3 && attempt <= 6, `pending attempt after 10 s: ${attempt}`);
        // the same worker runs other workflows meanwhile
        assert.equal(await client.workflow.execute('greet', { taskQueue, workflowId: id('still-ok'), args: ['there'] }), 'hello there');
        await h.terminate('enough');
        const closed = await eventTypes(client, workflowId);
        assert.deepEqual(closed.slice(4), [ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED], 'the transient task ends without an event');
      },
    );

    test(
      'the worker fails the task (workflow code throws): one WorkflowTaskFailed, attempts counted; a signal makes the next task normal and the run completes',
      { skip },
      async () => {
        const { client, taskQueue } = env();
        const workflowId = id('throws');
        const h = await client.workflow.start('failsUntilFixed', { taskQueue, workflowId, workflowTaskTimeout: '2s' });
        await sleep(5_000);
        let types = await eventTypes(client, workflowId);
        assert.equal(count(types, ET.EVENT_TYPE_WORKFLOW_TASK_FAILED), 1, `history: ${types.join(',')}`);
        assert.equal(count(types, ET.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT), 0);
        assert.equal(types.length, 4);
        const failed = (await h.fetchHistory()).events![3]!.workflowTaskFailedEventAttributes!;
        assert.match(failed.failure?.message ?? '', /not fixed yet/);
        const attempt = await pendingAttempt(client, workflowId);
        assert.ok(attempt >= 3 && attempt <= 5, `pending attempt after 5 s: ${attempt}`);
        await h.signal('fix');
        assert.equal(await h.result(), 'fixed');
        types = await eventTypes(client, workflowId);
        assert.equal(count(types, ET.EVENT_TYPE_WORKFLOW_TASK_FAILED), 1, `history: ${types.join(',')}`);
        const events = (await h.fetchHistory()).events!;
        const scheduled = events.filter((e) => Number(e.eventType) === ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
        assert.equal(scheduled.at(-1)!.workflowTaskScheduledEventAttributes!.attempt, 1, 'the signal made the next task a normal one');
      },
    );
  });
}
