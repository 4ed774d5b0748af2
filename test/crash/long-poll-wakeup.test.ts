/**
 * The long poll of GetWorkflowExecutionHistory (the SDK's `handle.result()`) must not miss a commit
 * that lands between its read of the mutable state and the start of its wait: it subscribed only
 * after the read, so such a close left `result()` waiting out the whole long-poll timeout (60 s on
 * `server start`). Found while reading the code behind a crash-load stall (whose cause was another
 * bug); likeliest after a restart, when every read of a run goes to the database.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { terminateWorkflow } from '../../src/history/api/cancel-terminate';
import { getWorkflowHistory } from '../../src/history/api/get-history';
import { startWorkflow } from '../../src/history/api/start-workflow';
import { testHistoryEngine } from '../helpers/history-engine';
import { openPersistence, type PersistenceBundle } from '../../src/persistence';
import { tempDbFile } from '../engine/harness';

test('a close committed while the long poll reads the state wakes the poll at once', async () => {
  const db = tempDbFile();
  const store = await openPersistence({ pluginName: 'sqlite', host: '', port: 0, databaseName: db.file });
  try {
    let gate: Promise<void> | undefined;
    let release = (): void => undefined;
    let readStarted = (): void => undefined;
    const executions = Object.create(store.executions) as PersistenceBundle['executions'];
    executions.getWorkflowExecution = async (shardId, key) => {
      const row = await store.executions.getWorkflowExecution(shardId, key);
      if (gate) {
        const g = gate;
        gate = undefined;
        readStarted();
        await g;
      }
      return row;
    };
    const slowStore: PersistenceBundle = {
      ...store,
      shards: store.shards,
      tasks: store.tasks,
      namespaces: store.namespaces,
      cluster: store.cluster,
      executions,
      close: () => store.close(),
    };
    const opts = { numHistoryShards: 1, longPollTimeoutMs: 5000, hostIdentity: 'test' };
    const first = testHistoryEngine(slowStore, opts);
    await first.start();
    const { runId } = await startWorkflow(first, { id: 'ns-id', name: 'ns' }, { workflowId: 'wf', workflowType: { name: 'T' }, taskQueue: { name: 'tq' } });
    const ref = { namespaceId: 'ns-id', workflowId: 'wf', runId };
    const engine = testHistoryEngine(slowStore, opts); // cold cache, as after a restart
    await engine.start();

    gate = new Promise<void>((r) => (release = r));
    const reading = new Promise<void>((r) => (readStarted = r));
    const began = Date.now();
    const poll = getWorkflowHistory(
      engine,
      ref,
      { waitNewEvent: true, historyEventFilterType: temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT },
      5000,
    );
    await reading;
    await terminateWorkflow(engine, ref, 'done', undefined, 'test'); // commits while the poll's read is in flight
    release();
    const resp = (await poll) as temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryResponse;
    assert.equal(resp.history?.events?.length, 1, 'the close event');
    assert.ok(Date.now() - began < 2000, `the poll answered after ${Date.now() - began} ms`);
  } finally {
    await store.close();
    db.cleanup();
  }
});
