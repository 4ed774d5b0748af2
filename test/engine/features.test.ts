import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { ENGINES, engineAvailability, sharedWorker, uid as id } from './harness';

for (const plugin of ENGINES) {
  describe(plugin, async () => {
    const skip = await engineAvailability(plugin);
    const env = sharedWorker(plugin, { skip });

    test('execute: start, workflow task, complete, result', { skip }, async () => {
      const { client, taskQueue } = env();
      assert.equal(await client.workflow.execute('greet', { taskQueue, workflowId: id('greet'), args: ['world'] }), 'hello world');
    });

    test('activities and timers', { skip }, async () => {
      const { client, taskQueue } = env();
      assert.equal(await client.workflow.execute('greetViaActivity', { taskQueue, workflowId: id('act'), args: ['bob'] }), 'hello bob from activity');
      assert.equal(await client.workflow.execute('sleeper', { taskQueue, workflowId: id('timer'), args: [300] }), 'slept enough');
      const h = await client.workflow.start('greetViaActivity', { taskQueue, workflowId: id('hist'), args: ['x'] });
      await h.result();
      const types = (await h.fetchHistory()).events!.map((e) => e.eventType);
      // WorkflowExecutionStarted=1 WTScheduled=5 WTStarted=6 WTCompleted=7 ActivityScheduled=10 Started=11 Completed=12 WECompleted=2
      assert.deepEqual(types, [1, 5, 6, 7, 10, 11, 12, 5, 6, 7, 2]);
    });

    test('signals, queries, signal-with-start, describe', { skip }, async () => {
      const { client, taskQueue } = env();
      const h = await client.workflow.start('accumulator', { taskQueue, workflowId: id('acc') });
      await h.signal('add', 2);
      await h.signal('add', 3);
      assert.equal(await h.query<number>('total'), 5);
      const d = await h.describe();
      assert.equal(d.status.name, 'RUNNING');
      assert.equal(d.type, 'accumulator');
      await h.signal('done');
      assert.equal(await h.result(), 5);
      assert.equal((await h.describe()).status.name, 'COMPLETED');
      // query on a closed workflow still replays
      assert.equal(await h.query<number>('total'), 5);

      const wid = id('sws');
      const s = await client.workflow.signalWithStart('accumulator', { taskQueue, workflowId: wid, signal: 'add', signalArgs: [7] });
      await client.workflow.signalWithStart('accumulator', { taskQueue, workflowId: wid, signal: 'add', signalArgs: [1] });
      await s.signal('done');
      assert.equal(await s.result(), 8);
    });

    test('cancel and terminate', { skip }, async () => {
      const { client, taskQueue } = env();
      const h = await client.workflow.start('waitsForever', { taskQueue, workflowId: id('cancel') });
      await h.cancel();
      await assert.rejects(h.result(), (err: unknown) => err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure);
      assert.equal((await h.describe()).status.name, 'CANCELLED');

      const t = await client.workflow.start('waitsForever', { taskQueue, workflowId: id('term') });
      await t.terminate('because');
      await assert.rejects(t.result(), (err: unknown) => err instanceof WorkflowFailedError && err.cause instanceof TerminatedFailure);
      assert.equal((await t.describe()).status.name, 'TERMINATED');
    });

    test('workflow failure, id uniqueness, request-id idempotency, errors', { skip }, async () => {
      const { client, taskQueue } = env();
      await assert.rejects(
        client.workflow.execute('failing', { taskQueue, workflowId: id('fail'), args: ['boom'] }),
        (err: unknown) => err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure && err.cause.message === 'boom',
      );
      const wid = id('dup');
      const h = await client.workflow.start('waitsForever', { taskQueue, workflowId: wid });
      await assert.rejects(client.workflow.start('waitsForever', { taskQueue, workflowId: wid }), (err: unknown) => {
        return err instanceof WorkflowExecutionAlreadyStartedError && err.workflowId === wid;
      });
      // same request id: same run, no error
      const svc = client.workflowService;
      const req = { namespace: 'default', workflowId: id('idem'), workflowType: { name: 'waitsForever' }, taskQueue: { name: taskQueue }, requestId: 'req-1' };
      const a = await svc.startWorkflowExecution(req);
      const b = await svc.startWorkflowExecution(req);
      assert.equal(a.runId, b.runId);
      await h.terminate();
      await svc.terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: req.workflowId } });

      await assert.rejects(client.workflow.getHandle('no-such-workflow').describe(), (err: unknown) => err instanceof WorkflowNotFoundError);
      await assert.rejects(
        svc.startWorkflowExecution({ namespace: 'default', workflowId: '', workflowType: { name: 'x' }, taskQueue: { name: taskQueue } }),
        (err: { code?: number; details?: string }) => err.code === 3 && /workflowId/.test(err.details ?? ''),
      );
      await assert.rejects(
        svc.startWorkflowExecution({ namespace: 'default', workflowId: 'w', workflowType: { name: 'x' }, taskQueue: { name: '' } }),
        (err: { code?: number; details?: string }) => err.code === 3 && /taskQueue/.test(err.details ?? ''),
      );
      await assert.rejects(svc.describeNamespace({ namespace: 'no-such-namespace' }), (err: { code?: number }) => err.code === 5);
    });

    test('activity retries, retry exhaustion, start-to-close timeout', { skip }, async () => {
      const { client, taskQueue } = env();
      assert.equal(await client.workflow.execute('flaky', { taskQueue, workflowId: id('flaky'), args: ['k'] }), 'succeeded on attempt 3');
      await assert.rejects(
        client.workflow.execute('alwaysFails', { taskQueue, workflowId: id('af') }),
        (err: unknown) =>
          err instanceof WorkflowFailedError &&
          err.cause instanceof ActivityFailure &&
          err.cause.cause instanceof ApplicationFailure &&
          /attempt 2 failed/.test(err.cause.cause.message),
      );
      await assert.rejects(
        client.workflow.execute('timesOut', { taskQueue, workflowId: id('to') }),
        (err: unknown) => err instanceof WorkflowFailedError && err.cause instanceof ActivityFailure && err.cause.cause instanceof TimeoutFailure,
      );
    });

    test('activity cancellation reaches the activity via heartbeat', { skip }, async () => {
      const { client, taskQueue } = env();
      const h = await client.workflow.start('cancelActivityOnSignal', { taskQueue, workflowId: id('acancel') });
      await new Promise((r) => setTimeout(r, 1000));
      await h.signal('cancelActivity');
      assert.equal(await h.result(), 'activity cancelled');
    });

    test('GetWorkflowExecutionHistory: paged reads and long poll for the close event', { skip }, async () => {
      const { client, taskQueue } = env();
      const wid = id('paged');
      const h = await client.workflow.start('greetViaActivity', { taskQueue, workflowId: wid, args: ['p'] });
      await h.result();
      const svc = client.workflowService;
      const all: number[] = [];
      let token: Uint8Array | undefined;
      let pages = 0;
      do {
        const page = await svc.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: wid }, maximumPageSize: 3, nextPageToken: token });
        all.push(...page.history!.events!.map((e) => Number(e.eventId)));
        token = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
        pages++;
      } while (token);
      assert.deepEqual(
        all,
        Array.from({ length: 11 }, (_, i) => i + 1),
      );
      assert.equal(pages, 4);
      const close = await svc.getWorkflowExecutionHistory({
        namespace: 'default',
        execution: { workflowId: wid },
        waitNewEvent: true,
        historyEventFilterType: 2,
      });
      assert.equal(close.history!.events!.length, 1);
      assert.equal(close.history!.events![0]!.eventType, 2);
      // long poll on a running workflow answers empty (with a token) when the poll times out
      const r = await client.workflow.start('waitsForever', { taskQueue, workflowId: id('lp') });
      const t0 = Date.now();
      const empty = await svc.getWorkflowExecutionHistory({
        namespace: 'default',
        execution: { workflowId: r.workflowId },
        waitNewEvent: true,
        historyEventFilterType: 2,
      });
      assert.equal(empty.history!.events!.length, 0);
      assert.ok(Date.now() - t0 >= 2500);
      await r.terminate();
    });
  });
}
