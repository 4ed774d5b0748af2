import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import { withWorker } from './harness';
import { ENGINES, engineAvailability } from '../helpers/databases';

const id = (p: string) => `${p}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}`;
const CONTINUED_AS_NEW = 28;

for (const plugin of ENGINES) {
  describe(plugin, async () => {
    const skip = await engineAvailability(plugin);

    test('continue-as-new: the client follows the chain to the final result; chain ids in the events', { skip }, async () => {
      await withWorker(plugin, async ({ client, taskQueue }) => {
        const h = await client.workflow.start('countdown', { taskQueue, workflowId: id('can'), args: [3, 0] });
        assert.equal(await h.result(), 'done 6 on attempt 1');
        const first = (await client.workflow.getHandle(h.workflowId, h.firstExecutionRunId).fetchHistory()).events!;
        const close = first[first.length - 1]!;
        assert.equal(Number(close.eventType), CONTINUED_AS_NEW);
        const nextRunId = close.workflowExecutionContinuedAsNewEventAttributes!.newExecutionRunId!;
        assert.ok(nextRunId && nextRunId !== h.firstExecutionRunId);
        const second = (await client.workflow.getHandle(h.workflowId, nextRunId).fetchHistory()).events!;
        const started = second[0]!.workflowExecutionStartedEventAttributes!;
        assert.equal(started.firstExecutionRunId, h.firstExecutionRunId);
        assert.equal(started.originalExecutionRunId, nextRunId);
        assert.equal(started.continuedExecutionRunId, h.firstExecutionRunId);
        // the current run is the last of the chain
        const d = await client.workflow.getHandle(h.workflowId).describe();
        assert.equal(d.status.name, 'COMPLETED');
        assert.notEqual(d.runId, nextRunId);
        assert.equal((await client.workflow.getHandle(h.workflowId, h.firstExecutionRunId).describe()).status.name, 'CONTINUED_AS_NEW');
      });
    });

    test('the execution timeout spans the chain: a continue-as-new chain longer than it times out', { skip }, async () => {
      await withWorker(plugin, async ({ client, taskQueue }) => {
        const t0 = Date.now();
        const h = await client.workflow.start('sleepyChain', { taskQueue, workflowId: id('exto'), args: [10], workflowExecutionTimeout: '2s' });
        await assert.rejects(h.result(), (err: unknown) => err instanceof WorkflowFailedError && err.cause instanceof TimeoutFailure);
        const took = Date.now() - t0;
        assert.ok(took >= 1800 && took < 5000, `timed out after ${took} ms`);
        assert.equal((await client.workflow.getHandle(h.workflowId).describe()).status.name, 'TIMED_OUT');
      });
    });

    test('workflow retry policy: a failed run starts the next attempt after the backoff; exhaustion fails', { skip }, async () => {
      await withWorker(plugin, async ({ client, taskQueue }) => {
        const t0 = Date.now();
        const h = await client.workflow.start('failsUntilAttempt', {
          taskQueue,
          workflowId: id('wretry'),
          args: [3],
          retry: { initialInterval: '300ms', backoffCoefficient: 1, maximumAttempts: 5 },
        });
        assert.equal(await h.result(), 'succeeded on attempt 3');
        assert.ok(Date.now() - t0 >= 600, 'two backoffs of 300 ms');
        const firstRun = (await client.workflow.getHandle(h.workflowId, h.firstExecutionRunId).fetchHistory()).events!;
        const failed = firstRun[firstRun.length - 1]!.workflowExecutionFailedEventAttributes!;
        assert.ok(failed.newExecutionRunId);
        assert.equal(Number(failed.retryState), 1); // RETRY_STATE_IN_PROGRESS
        const second = (await client.workflow.getHandle(h.workflowId, failed.newExecutionRunId!).fetchHistory()).events![0]!
          .workflowExecutionStartedEventAttributes!;
        assert.equal(second.attempt, 2);
        assert.equal(second.firstExecutionRunId, h.firstExecutionRunId);
        assert.ok(second.firstWorkflowTaskBackoff, 'the retry backoff is recorded');
        assert.match(second.continuedFailure?.message ?? '', /attempt 1 failed/);

        await assert.rejects(
          client.workflow.execute('failsUntilAttempt', {
            taskQueue,
            workflowId: id('wretry-x'),
            args: [9],
            retry: { initialInterval: '100ms', maximumAttempts: 2 },
          }),
          (err: unknown) => err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure && /attempt 2 failed/.test(err.cause.message),
        );
      });
    });

    test('startDelay: the first workflow task waits; the started event records the backoff', { skip }, async () => {
      await withWorker(plugin, async ({ client, taskQueue }) => {
        const t0 = Date.now();
        const h = await client.workflow.start('greet', { taskQueue, workflowId: id('delay'), args: ['later'], startDelay: '1500ms' });
        const d = await h.describe();
        assert.ok(d.executionTime && d.executionTime.getTime() - d.startTime.getTime() >= 1400, 'executionTime = start + delay');
        // a signal during the delay does not start it early
        await client.workflow.getHandle(h.workflowId).signal('nothing-handles-this');
        assert.equal(await h.result(), 'hello later');
        assert.ok(Date.now() - t0 >= 1400, `took ${Date.now() - t0} ms`);
        const started = (await h.fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!;
        assert.equal(Number(started.firstWorkflowTaskBackoff?.seconds), 1);
        assert.equal(Number(started.firstWorkflowTaskBackoff?.nanos), 500_000_000);
      });
    });
  });
}
