/**
 * The history engine's mutable-state cache must never go back in time. A lock-free reader
 * (describe, query, GetWorkflowExecutionHistory, the visibility queue) whose database read is
 * overtaken by a commit used to put its older row into the cache. Found by crash-load.test.ts on
 * PostgreSQL: after a restart (cold cache) the visibility queue read a run while its last workflow
 * task completed; the stale "running" state stayed cached and the run was never listed as
 * Completed (and every further update of such a run failed its db_record_version check).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testHistoryEngine } from '../helpers/history-engine';
import { startWorkflow } from '../../src/history/api/start-workflow';
import { openPersistence, type PersistenceBundle } from '../../src/persistence';
import { tempDbFile } from '../engine/harness';

test('a read overtaken by a commit does not put an old mutable state into the cache', async () => {
  const db = tempDbFile();
  const store = await openPersistence({ pluginName: 'sqlite', host: '', port: 0, databaseName: db.file });
  try {
    // a read that returns late: the row is read now, handed over when `release` is called
    let gate: Promise<void> | undefined;
    let release = (): void => undefined;
    const executions = Object.create(store.executions) as PersistenceBundle['executions'];
    executions.getWorkflowExecution = async (shardId, key) => {
      const row = await store.executions.getWorkflowExecution(shardId, key);
      if (gate) {
        const g = gate;
        gate = undefined;
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
    const opts = { numHistoryShards: 1, longPollTimeoutMs: 1000, hostIdentity: 'test' };

    const first = testHistoryEngine(slowStore, opts);
    await first.start();
    const { runId } = await startWorkflow(first, { id: 'ns-id', name: 'ns' }, { workflowId: 'wf', workflowType: { name: 'T' }, taskQueue: { name: 'tq' } });
    const ref = { namespaceId: 'ns-id', workflowId: 'wf', runId };

    // a fresh engine (as after a restart): nothing cached
    const engine = testHistoryEngine(slowStore, opts);
    await engine.start();
    gate = new Promise<void>((r) => (release = r));
    const lateRead = engine.getMutableState(ref);
    await engine.update(ref, (ctx) => {
      ctx.ms.execution.cancelRequested = true;
      ctx.touch();
    });
    release();
    assert.equal((await lateRead).execution.cancelRequested, false, 'the late read saw the old row (as it should)');

    assert.equal((await engine.getMutableState(ref)).execution.cancelRequested, true, 'the cache went back to the old version');
    await engine.update(ref, (ctx) => ctx.touch()); // and the next write still passes its version check
  } finally {
    await store.close();
    db.cleanup();
  }
});

test('a read while a commit is being acknowledged waits for it: the tasks of the commit never meet the state before it', async () => {
  // Found by test/visibility/load-consistency.test.ts on PostgreSQL and MySQL: the visibility task
  // of a close was read (it is in the database once the transaction commits) while the commit's
  // acknowledgement had not reached the engine, whose cache still held the running state; the run
  // stayed "Running" in visibility for good.
  const db = tempDbFile();
  const store = await openPersistence({ pluginName: 'sqlite', host: '', port: 0, databaseName: db.file });
  try {
    let hold: Promise<void> | undefined;
    let committed = (): void => undefined;
    let ack = (): void => undefined;
    const executions = Object.create(store.executions) as PersistenceBundle['executions'];
    executions.updateWorkflowExecution = async (req) => {
      await store.executions.updateWorkflowExecution(req);
      if (hold) {
        const h = hold;
        hold = undefined;
        committed();
        await h; // committed in the database, not yet acknowledged
      }
    };
    const slowStore: PersistenceBundle = { ...store, executions, close: () => store.close() };
    const engine = testHistoryEngine(slowStore, { numHistoryShards: 1, longPollTimeoutMs: 1000, hostIdentity: 'test' });
    await engine.start();
    const { runId } = await startWorkflow(engine, { id: 'ns-id', name: 'ns' }, { workflowId: 'wf2', workflowType: { name: 'T' }, taskQueue: { name: 'tq' } });
    const ref = { namespaceId: 'ns-id', workflowId: 'wf2', runId };
    await engine.getMutableState(ref); // cached: the state before the change

    const inDatabase = new Promise<void>((r) => (committed = r));
    hold = new Promise<void>((r) => (ack = r));
    const change = engine.update(ref, (ctx) => {
      ctx.ms.execution.cancelRequested = true;
      ctx.touch();
    });
    await inDatabase;
    let read: boolean | undefined;
    const reading = engine.getMutableState(ref).then((ms) => (read = ms.execution.cancelRequested));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(read, undefined, 'the read waits while the commit is unacknowledged');
    ack();
    await change;
    await reading;
    assert.equal(read, true, 'the read sees the committed state, not the one before');
  } finally {
    await store.close();
    db.cleanup();
  }
});
