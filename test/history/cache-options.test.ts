/**
 * The history service's in-memory caches are configurable under Temporal's dynamic config names:
 * `history.cacheMaxSize` (mutable states) and `history.eventsCacheMaxSizeBytes` (stored history; 0
 * turns it off), in the server's YAML (`history:` section) and in `start-dev --dynamic-config-value`.
 * Bad values and unknown keys are refused naming the key; the engine honours what it is given.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseDynamicConfig } from '../../src/cli/dev-server-options';
import { ConfigError } from '../../src/config/server-config';
import { startWorkflow } from '../../src/history/api/start-workflow';
import { workflowMachine } from '../../src/history/state-machines/workflow';
import { openPersistence, type PersistenceBundle } from '../../src/persistence';
import { UsageError } from '../../src/schema/errors';
import { tempDbFile } from '../engine/harness';
import { testHistoryEngine } from '../helpers/history-engine';
import { configLoader, POSTGRES_CONFIG_BASE } from '../helpers/server-config';

const tmp = mkdtempSync(join(tmpdir(), 'cache-options-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const config = configLoader(tmp, POSTGRES_CONFIG_BASE);

describe('history cache options', () => {
  test('YAML: the history section sets both caches; absent, the defaults apply', () => {
    assert.deepEqual(config('').historyCaches, { mutableStates: undefined, historyBytes: undefined });
    assert.deepEqual(config('history:\n  cacheMaxSize: 500\n  eventsCacheMaxSizeBytes: 0\n').historyCaches, { mutableStates: 500, historyBytes: 0 });
    assert.deepEqual(config('history: { eventsCacheMaxSizeBytes: 1048576 }\n').historyCaches, { mutableStates: undefined, historyBytes: 1_048_576 });
  });

  test('YAML: an unknown key or a bad value is refused, naming it', () => {
    assert.throws(
      () => config('history:\n  cacheMaxsize: 500\n'),
      (e: unknown) => e instanceof ConfigError && /history\.cacheMaxsize is not a key temporal-ts knows/.test(e.message),
    );
    assert.throws(() => config('history:\n  cacheMaxSize: 0\n'), /history\.cacheMaxSize must be a whole number from 1/);
    assert.throws(() => config('history:\n  eventsCacheMaxSizeBytes: -1\n'), /history\.eventsCacheMaxSizeBytes must be a whole number from 0/);
    assert.throws(() => config('history:\n  eventsCacheMaxSizeBytes: lots\n'), /history\.eventsCacheMaxSizeBytes must be a whole number/);
    assert.throws(() => config('history: 5\n'), /history must be a mapping/);
  });

  test('start-dev: --dynamic-config-value takes both keys; bad values are refused', () => {
    assert.deepEqual(parseDynamicConfig(['history.cacheMaxSize=100', 'history.eventsCacheMaxSizeBytes=0']).caches, { mutableStates: 100, historyBytes: 0 });
    assert.throws(
      () => parseDynamicConfig(['history.cacheMaxSize=0']),
      (e: unknown) => e instanceof UsageError && /history\.cacheMaxSize: 0 is not a whole number above 0/.test(e.message),
    );
    assert.throws(() => parseDynamicConfig(['history.eventsCacheMaxSizeBytes=-5']), /history\.eventsCacheMaxSizeBytes: -5 is not a whole number of bytes/);
  });

  test('the engine honours the history cache size (with 0 every history read goes to the database) and drops a closed run once read', async () => {
    const db = tempDbFile();
    const store = await openPersistence({ pluginName: 'sqlite', host: '', port: 0, databaseName: db.file });
    try {
      // count the reads of stored history
      let historyReads = 0;
      const executions = Object.create(store.executions) as PersistenceBundle['executions'];
      executions.readHistoryBranchFrom = (...a) => {
        historyReads++;
        return store.executions.readHistoryBranchFrom(...a);
      };
      const counted: PersistenceBundle = { ...store, executions, close: () => store.close() };
      const readsFor = async (historyCacheBytes: number | undefined, workflowId: string): Promise<number> => {
        const engine = testHistoryEngine(counted, { numHistoryShards: 1, longPollTimeoutMs: 1000, hostIdentity: 'test', historyCacheBytes });
        await engine.start();
        const { runId } = await startWorkflow(engine, { id: 'ns-id', name: 'ns' }, { workflowId, workflowType: { name: 'T' }, taskQueue: { name: 'tq' } });
        const before = historyReads;
        const page = await engine.readEncodedHistoryFrom({ namespaceId: 'ns-id', workflowId, runId }, 1, 3, 100);
        assert.equal(page.count, 2, 'the started and the workflow task scheduled events');
        return historyReads - before;
      };
      assert.equal(await readsFor(undefined, 'wf-default'), 0, 'by default the run this engine wrote is answered from memory');

      // a closed run is answered from memory once more (its result), then read from the database
      const engine = testHistoryEngine(counted, { numHistoryShards: 1, longPollTimeoutMs: 1000, hostIdentity: 'test' });
      await engine.start();
      const { runId } = await startWorkflow(
        engine,
        { id: 'ns-id', name: 'ns' },
        { workflowId: 'wf-closed', workflowType: { name: 'T' }, taskQueue: { name: 'tq' } },
      );
      const ref = { namespaceId: 'ns-id', workflowId: 'wf-closed', runId };
      await engine.update(ref, (ctx) => workflowMachine.fire(ctx, ctx.ms, 'terminate', { reason: 'test', identity: 'test' }));
      const end = (await engine.getMutableState(ref)).nextEventId;
      let before = historyReads;
      assert.equal((await engine.readEncodedHistoryFrom(ref, 1, end, 100)).lastEventId, end - 1);
      assert.equal(historyReads - before, 0, "the closed run's history, to its end, from memory");
      before = historyReads;
      await engine.readEncodedHistoryFrom(ref, 1, end, 100);
      assert.equal(historyReads - before, 1, 'read to its end once: dropped, the next read goes to the database');
      assert.equal(await readsFor(0, 'wf-off'), 1, 'with the cache off it is read from the database');
    } finally {
      await store.close();
      db.cleanup();
    }
  });
});
