/**
 * A signal retried with the request id of an attempt that was applied succeeds, even when the run has
 * closed since. Found by crash-load.test.ts (SQLite, 20 kills): a signal's answer was lost in a crash,
 * the workflow got it, finished, and every retry of the acknowledged-in-fact signal got NOT_FOUND.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NotFoundError } from '../../src/common/errors';
import { terminateWorkflow } from '../../src/history/api/cancel-terminate';
import { signalWorkflow } from '../../src/history/api/signal-workflow';
import { startWorkflow } from '../../src/history/api/start-workflow';
import { testHistoryEngine } from '../helpers/history-engine';
import { openPersistence } from '../../src/persistence';
import { tempDbFile } from '../engine/harness';

test('a signal retried after the run closed succeeds when its request id was applied', async () => {
  const db = tempDbFile();
  const store = await openPersistence({ pluginName: 'sqlite', host: '', port: 0, databaseName: db.file });
  try {
    const engine = testHistoryEngine(store, { numHistoryShards: 1, longPollTimeoutMs: 1000, hostIdentity: 'test' });
    await engine.start();
    const { runId } = await startWorkflow(engine, { id: 'ns-id', name: 'ns' }, { workflowId: 'wf', workflowType: { name: 'T' }, taskQueue: { name: 'tq' } });
    const ref = { namespaceId: 'ns-id', workflowId: 'wf', runId };
    const signal = (requestId: string) => signalWorkflow(engine, ref, { signalName: 's', input: undefined, header: undefined, identity: 'test', requestId });
    await signal('r1');
    await terminateWorkflow(engine, ref, 'done', undefined, 'test');
    await signal('r1'); // the retry: answered as the first attempt was
    await assert.rejects(signal('r2'), NotFoundError); // a new signal: the run is closed
    const signaled = (await engine.readHistory(ref)).filter((e) => e.workflowExecutionSignaledEventAttributes);
    assert.equal(signaled.length, 1);
  } finally {
    await store.close();
    db.cleanup();
  }
});
