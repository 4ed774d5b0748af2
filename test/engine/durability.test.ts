import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { runWorkerUntil, startServer, tempDbFile, withWorker } from './harness';

const id = (p: string) => `${p}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForEvent(client: Client, workflowId: string, eventType: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const h = await client.workflow.getHandle(workflowId).fetchHistory();
    if (h.events!.some((e) => e.eventType === eventType)) return;
    await sleep(100);
  }
  throw new Error(`event type ${eventType} not seen in ${workflowId}`);
}

test('restart: a timer started before the server stopped fires after a new server starts on the same file', async () => {
  const db = tempDbFile();
  const workflowId = id('restart');
  const taskQueue = `tq-restart-${process.pid}`;
  try {
    // first server: start the workflow; it schedules a 2 s timer
    let server = await startServer(db.file);
    let conn = await Connection.connect({ address: `127.0.0.1:${server.port}` });
    let client = new Client({ connection: conn });
    await client.workflow.start('sleeper', { taskQueue, workflowId, args: [2000] });
    await runWorkerUntil(server.port, taskQueue, waitForEvent(client, workflowId, 17 /* TimerStarted */));
    await conn.close();
    await server.stop();

    await sleep(2500); // the timer is due while no server runs

    server = await startServer(db.file);
    conn = await Connection.connect({ address: `127.0.0.1:${server.port}` });
    client = new Client({ connection: conn });
    const result = await runWorkerUntil(server.port, taskQueue, client.workflow.getHandle(workflowId).result());
    assert.equal(result, 'slept enough');
    const types = (await client.workflow.getHandle(workflowId).fetchHistory()).events!.map((e) => e.eventType);
    assert.ok(types.includes(18 /* TimerFired */));
    await conn.close();
    await server.stop();
  } finally {
    db.cleanup();
  }
});

test('restart: an activity task scheduled while no worker ran is dispatched by the next server', async () => {
  const db = tempDbFile();
  const workflowId = id('restart-act');
  const taskQueue = `tq-restart-act-${process.pid}`;
  try {
    let server = await startServer(db.file);
    let conn = await Connection.connect({ address: `127.0.0.1:${server.port}` });
    let client = new Client({ connection: conn });
    await client.workflow.start('greetViaActivity', { taskQueue, workflowId, args: ['again'] });
    await conn.close();
    await server.stop();
    server = await startServer(db.file);
    conn = await Connection.connect({ address: `127.0.0.1:${server.port}` });
    client = new Client({ connection: conn });
    assert.equal(await runWorkerUntil(server.port, taskQueue, client.workflow.getHandle(workflowId).result()), 'hello again from activity');
    await conn.close();
    await server.stop();
  } finally {
    db.cleanup();
  }
});

test('workflow task failure then start-to-close timeouts with growing attempts; a signal fixes it', async () => {
  await withWorker(async ({ client, taskQueue }) => {
    const h = await client.workflow.start('failsUntilFixed', { taskQueue, workflowId: id('wft'), workflowTaskTimeout: '1s' });
    await sleep(2800);
    const events = (await h.fetchHistory()).events!;
    const types = events.map((e) => e.eventType);
    assert.ok(types.includes(8 /* WorkflowTaskFailed */), `expected WorkflowTaskFailed in ${types}`);
    assert.ok(types.includes(9 /* WorkflowTaskTimedOut */), `expected WorkflowTaskTimedOut in ${types}`);
    const attempts = events.filter((e) => e.eventType === 5).map((e) => e.workflowTaskScheduledEventAttributes!.attempt);
    assert.deepEqual(attempts.slice(0, 3), [1, 2, 3]);
    await h.signal('fix');
    assert.equal(await h.result(), 'fixed');
  });
});

test('system info, cluster info, namespace, sdk metadata persisted in WorkflowTaskCompleted', async () => {
  await withWorker(async ({ client, taskQueue }) => {
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
    assert.ok(completed.some((e) => e.workflowTaskCompletedEventAttributes?.sdkMetadata?.sdkName || e.workflowTaskCompletedEventAttributes?.sdkMetadata?.coreUsedFlags?.length));
  });
});
