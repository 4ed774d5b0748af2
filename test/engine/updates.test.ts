import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkflowIdConflictPolicy, WorkflowUpdateFailedError, WorkflowUpdateStage, WithStartWorkflowOperation } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { withWorker, type Env } from './harness';
import { ENGINES, engineAvailability } from '../helpers/databases';

const id = (p: string) => `${p}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}`;
const ET = { accepted: 41, completed: 43 } as const; // EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED / _COMPLETED

async function updateScenarios({ client, taskQueue }: Env): Promise<void> {
  const h = await client.workflow.start('updatable', { taskQueue, workflowId: id('upd') });
  // wait stage COMPLETED
  assert.equal(await h.executeUpdate<number, [number]>('inc', { args: [2] }), 2);
  // wait stage ACCEPTED, then the outcome through PollWorkflowExecutionUpdate
  const started = await h.startUpdate<number, [number]>('slowInc', { args: [3], waitForStage: WorkflowUpdateStage.ACCEPTED });
  assert.equal(await started.result(), 5);
  // a handle on an existing update id polls its outcome
  assert.equal(await h.getUpdateHandle<number>(started.updateId).result(), 5);

  // validator rejection: a failure, and no update events
  const before = (await h.fetchHistory()).events!.length;
  await assert.rejects(
    h.executeUpdate('inc', { args: [-1] }),
    (err: unknown) => err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && /negative/.test(err.cause.message),
  );
  const afterRejection = (await h.fetchHistory()).events!;
  assert.ok(
    afterRejection.slice(before).every((e) => e.eventType !== ET.accepted && e.eventType !== ET.completed),
    'a rejection writes no update events',
  );
  // a handler failure: accepted, then completed with a failure outcome
  await assert.rejects(
    h.executeUpdate('inc', { args: [13] }),
    (err: unknown) => err instanceof WorkflowUpdateFailedError && /unlucky/.test(String((err.cause as Error)?.message)),
  );

  // deduplication: the same update id answers the first outcome and runs the handler once
  const handledBefore = await h.query<number>('handled');
  const first = await h.executeUpdate<number, [number]>('inc', { args: [10], updateId: 'same-id' });
  const second = await h.executeUpdate<number, [number]>('inc', { args: [10], updateId: 'same-id' });
  assert.equal(first, 15);
  assert.equal(second, 15);
  assert.equal(await h.query<number>('handled'), handledBefore + 1);

  // the raw API: wait stage ADMITTED answers before the worker saw it; unknown update id is NOT_FOUND
  const svc = client.workflowService;
  const admitted = await svc.updateWorkflowExecution({
    namespace: 'default',
    workflowExecution: { workflowId: h.workflowId },
    waitPolicy: { lifecycleStage: 1 },
    request: { meta: { updateId: 'raw-1' }, input: { name: 'inc', args: { payloads: [defaultPayloadConverter.toPayload(1)] } } },
  });
  assert.ok(Number(admitted.stage) >= 1);
  const polled = await svc.pollWorkflowExecutionUpdate({
    namespace: 'default',
    updateRef: { workflowExecution: { workflowId: h.workflowId }, updateId: 'raw-1' },
    waitPolicy: { lifecycleStage: 3 },
  });
  assert.equal(Number(polled.stage), 3);
  assert.ok(polled.outcome?.success);
  await assert.rejects(
    svc.pollWorkflowExecutionUpdate({ namespace: 'default', updateRef: { workflowExecution: { workflowId: h.workflowId }, updateId: 'no-such-update' } }),
    (err: { code?: number }) => err.code === 5,
  );
  await assert.rejects(
    svc.updateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: h.workflowId }, request: { meta: {}, input: { name: 'inc' } } }),
    (err: { code?: number; details?: string }) => err.code === 3 && /updateId/.test(err.details ?? ''),
  );

  // a first execution run id that is not this chain's: NOT_FOUND
  await assert.rejects(
    svc.updateWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: h.workflowId },
      firstExecutionRunId: 'not-this-chain',
      waitPolicy: { lifecycleStage: 2 },
      request: { meta: { updateId: 'raw-2' }, input: { name: 'inc', args: { payloads: [defaultPayloadConverter.toPayload(1)] } } },
    }),
    (err: { code?: number }) => err.code === 5,
  );

  await h.signal('finish');
  assert.equal(await h.result(), 16);
  // history: accepted events carry the request, message id and sequencing event id; completed events the outcome
  const events = (await h.fetchHistory()).events!;
  const accepted = events.filter((e) => e.eventType === ET.accepted);
  const completed = events.filter((e) => e.eventType === ET.completed);
  assert.equal(accepted.length, 5); // inc 2, slowInc 3, inc 13, inc 10 (once), raw-1
  assert.equal(completed.length, 5);
  for (const e of accepted) {
    const a = e.workflowExecutionUpdateAcceptedEventAttributes!;
    assert.equal(a.acceptedRequestMessageId, `${a.protocolInstanceId}/request`);
    assert.ok(Number(a.acceptedRequestSequencingEventId) > 0);
    assert.equal(a.acceptedRequest?.meta?.updateId, a.protocolInstanceId);
  }
  for (const e of completed) {
    const c = e.workflowExecutionUpdateCompletedEventAttributes!;
    assert.ok(accepted.some((a) => Number(a.eventId) === Number(c.acceptedEventId)));
  }
  // updates on a closed workflow: a completed id still answers; a new one is NOT_FOUND
  assert.equal(await h.executeUpdate<number, [number]>('inc', { args: [10], updateId: 'same-id' }), 15);
  await assert.rejects(h.executeUpdate('inc', { args: [1] }), (err: unknown) =>
    /not found|completed/i.test(String((err as Error).message) + String((err as { cause?: Error }).cause?.message)),
  );
}

for (const plugin of ENGINES) {
  describe(plugin, async () => {
    const skip = await engineAvailability(plugin);

    test('updates: wait stages, poll, validators, rejection, dedup, events (worker without a cache: every task replays)', { skip }, async () => {
      await withWorker(plugin, updateScenarios, { worker: { maxCachedWorkflows: 0 } });
    });

    test('updates with a caching worker', { skip }, async () => {
      await withWorker(plugin, async ({ client, taskQueue }) => {
        const h = await client.workflow.start('updatable', { taskQueue, workflowId: id('updc') });
        const results = await Promise.all([1, 2, 3].map((n) => h.executeUpdate<number, [number]>('slowInc', { args: [n] })));
        assert.equal(Math.max(...results), 6);
        await h.signal('finish');
        assert.equal(await h.result(), 6);
      });
    });

    test('update-with-start (ExecuteMultiOperation)', { skip }, async () => {
      await withWorker(plugin, async ({ client, taskQueue }) => {
        const workflowId = id('uws');
        const op = new WithStartWorkflowOperation('updatable', { workflowId, taskQueue, workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING });
        assert.equal(await client.workflow.executeUpdateWithStart('inc', { args: [4], startWorkflowOperation: op }), 4);
        const h = await op.workflowHandle();
        // again: the existing workflow is used
        const op2 = new WithStartWorkflowOperation('updatable', { workflowId, taskQueue, workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING });
        const uh = await client.workflow.startUpdateWithStart('slowInc', {
          args: [5],
          waitForStage: WorkflowUpdateStage.ACCEPTED,
          startWorkflowOperation: op2,
        });
        assert.equal(await uh.result(), 9);
        assert.equal((await (await op2.workflowHandle()).describe()).runId, (await h.describe()).runId);
        await h.signal('finish');
        assert.equal(await h.result(), 9);
        // conflict policy FAIL on a running workflow: ALREADY_EXISTS
        const w2 = id('uws2');
        await client.workflow.start('updatable', { taskQueue, workflowId: w2 });
        const op3 = new WithStartWorkflowOperation('updatable', { workflowId: w2, taskQueue, workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL });
        await assert.rejects(client.workflow.executeUpdateWithStart('inc', { args: [1], startWorkflowOperation: op3 }));
        await client.workflow.getHandle(w2).terminate();
      });
    });
  });
}
