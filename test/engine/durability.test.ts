/**
 * Durability on every plugin: timers, run timeouts and pending tasks survive a server restart on the
 * same database; workflow task failure and start-to-close timeout attempts; system info and the SDK
 * metadata persisted in history.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { createTestDb, ENGINES, engineAvailability, newTaskQueue, runWorkerUntil, sharedWorker, sleep, startServer, uid as id } from './harness';

async function waitForEvent(client: Client, workflowId: string, eventType: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const h = await client.workflow.getHandle(workflowId).fetchHistory();
    if (h.events!.some((e) => e.eventType === eventType)) return;
    await sleep(100);
  }
  throw new Error(`event type ${eventType} not seen in ${workflowId}`);
}

for (const plugin of ENGINES) {
  describe(plugin, async () => {
    const skip = await engineAvailability(plugin);
    const env = sharedWorker(plugin, { skip });

    test(
      'restart: a timer and a run timeout due while no server runs fire on the next server; a task scheduled before the stop is dispatched',
      { skip },
      async () => {
        const db = await createTestDb(plugin, 'restart');
        const timerWf = id('restart-timer');
        const timeoutWf = id('restart-timeout');
        const actWf = id('restart-act');
        const taskQueue = newTaskQueue('restart');
        const idleQueue = newTaskQueue('restart-idle');
        try {
          let server = await startServer(db, { longPollTimeoutMs: 1000 });
          let conn = await Connection.connect({ address: `127.0.0.1:${server.port}` });
          let client = new Client({ connection: conn });
          await client.workflow.start('waitsForever', { taskQueue, workflowId: timeoutWf, workflowRunTimeout: '2s' });
          await client.workflow.start('greetViaActivity', { taskQueue: idleQueue, workflowId: actWf, args: ['again'] }); // no worker yet
          await client.workflow.start('sleeper', { taskQueue, workflowId: timerWf, args: [2000] });
          await runWorkerUntil(server.port, taskQueue, waitForEvent(client, timerWf, 17 /* TimerStarted */));
          await conn.close();
          await server.stop();

          await sleep(2500); // the timer and the run timeout are due while no server runs

          server = await startServer(db, { longPollTimeoutMs: 1000 });
          conn = await Connection.connect({ address: `127.0.0.1:${server.port}` });
          client = new Client({ connection: conn });
          assert.equal(await runWorkerUntil(server.port, taskQueue, client.workflow.getHandle(timerWf).result()), 'slept enough');
          const types = (await client.workflow.getHandle(timerWf).fetchHistory()).events!.map((e) => e.eventType);
          assert.ok(types.includes(18 /* TimerFired */));
          assert.equal((await client.workflow.getHandle(timeoutWf).describe()).status.name, 'TIMED_OUT');
          assert.equal(await runWorkerUntil(server.port, idleQueue, client.workflow.getHandle(actWf).result()), 'hello again from activity');
          await conn.close();
          await server.stop();
        } finally {
          await db.drop();
        }
      },
    );

    test(
      'workflow task failure then start-to-close timeouts: one WorkflowTaskFailed, the attempts counted on the pending task; a signal fixes it',
      { skip },
      async () => {
        const { client, taskQueue } = env();
        const h = await client.workflow.start('failsUntilFixed', { taskQueue, workflowId: id('wft'), workflowTaskTimeout: '500ms' });
        await sleep(1600);
        const types = (await h.fetchHistory()).events!.map((e) => e.eventType);
        // the first attempt fails (or, on a slow machine, times out before the worker reports): that one is written, no later one
        const closes = types.filter((t) => t === 8 /* WorkflowTaskFailed */ || t === 9 /* WorkflowTaskTimedOut */);
        assert.equal(closes.length, 1, `expected one WorkflowTaskFailed or TimedOut in ${types}`);
        assert.equal(types.length, 4, `transient attempts write no events: ${types}`);
        const d = await client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: h.workflowId } });
        assert.ok((d.pendingWorkflowTask?.attempt ?? 0) >= 3, `attempt ${d.pendingWorkflowTask?.attempt}`);
        await h.signal('fix');
        assert.equal(await h.result(), 'fixed');
      },
    );

    test('system info, cluster info, namespace, sdk metadata persisted in WorkflowTaskCompleted', { skip }, async () => {
      const { client, taskQueue } = env();
      const svc = client.workflowService;
      const info = await svc.getSystemInfo({});
      assert.equal(info.capabilities?.sdkMetadata, true);
      assert.equal(info.capabilities?.signalAndQueryHeader, true);
      assert.equal(info.capabilities?.encodedFailureAttributes, true);
      const cluster = await svc.getClusterInfo({});
      assert.equal(cluster.historyShardCount, 4);
      const ns = await svc.describeNamespace({ namespace: 'default' });
      assert.equal(ns.namespaceInfo?.name, 'default');
      const h = await client.workflow.start('greet', { taskQueue, workflowId: id('meta'), args: ['m'] });
      await h.result();
      const completed = (await h.fetchHistory()).events!.filter((e) => e.eventType === 7);
      assert.ok(
        completed.some(
          (e) => e.workflowTaskCompletedEventAttributes?.sdkMetadata?.sdkName || e.workflowTaskCompletedEventAttributes?.sdkMetadata?.coreUsedFlags?.length,
        ),
      );
    });
  });
}
