import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ShardOwnershipLostError } from '../../src/common/errors';
import { createLogger } from '../../src/common/logger';
import { ShardContext } from '../../src/history/shard';
import { FORMAT, jsonBlob, openPersistence, readJsonBlob, UnsupportedBlobEncodingError } from '../../src/persistence';
import { createTestDb, ENGINES, engineAvailability } from './harness';

for (const plugin of ENGINES) {
  describe(plugin, async () => {
    const skip = await engineAvailability(plugin);

    test('a stale shard owner can never write (range_id checked inside the transaction)', { skip }, async () => {
      const db = await createTestDb(plugin, 'fence');
      const a = await openPersistence(db.config);
      const b = await openPersistence(db.config);
      try {
        const log = createLogger('silent');
        const shardA = new ShardContext(1, a, 'A', log, 'test');
        await shardA.acquire();
        const shardB = new ShardContext(1, b, 'B', log, 'test');
        await shardB.acquire();
        assert.equal(shardB.rangeId, shardA.rangeId + 1);
        const task = { taskId: shardA.nextTaskId(), task: jsonBlob({ type: 'x' }, FORMAT.task) };
        const write = (rangeId: number, store: typeof a) =>
          store.executions.createWorkflowExecution({
            shardId: 1,
            rangeId,
            current: { previousRunId: undefined, runId: 'r1', createRequestId: 'q', state: 2, status: 1, startTimeMs: 0 },
            execution: {
              key: { namespaceId: 'n', workflowId: 'w', runId: 'r1' },
              nextEventId: 1,
              dbRecordVersion: 1,
              info: jsonBlob({}, 1),
              state: jsonBlob({}, 1),
            },
            historyTree: { treeId: 'r1', branchId: 'r1', info: jsonBlob({}, 1) },
            history: [],
            tasks: { transfer: [task], timer: [], visibility: [] },
          });
        await assert.rejects(write(shardA.rangeId, a), ShardOwnershipLostError);
        assert.equal(await a.executions.getCurrentExecution(1, 'n', 'w'), undefined, 'nothing of the stale write is visible');
        await write(shardB.rangeId, b);
        assert.equal((await b.executions.getCurrentExecution(1, 'n', 'w'))?.runId, 'r1');
        await assert.rejects(a.executions.deleteTransferTasks(1, shardA.rangeId, [task.taskId]), ShardOwnershipLostError);
      } finally {
        await a.close();
        await b.close();
        await db.drop();
      }
    });
  });
}

test('blobs carry codec and format version; unknown versions are refused', () => {
  const blob = jsonBlob({ x: 1 }, 1);
  assert.equal(blob.encoding, 'json/v1');
  assert.deepEqual(readJsonBlob(blob, 1), { x: 1 });
  assert.throws(() => readJsonBlob({ data: blob.data, encoding: 'json/v9' }, 1), UnsupportedBlobEncodingError);
  assert.throws(() => readJsonBlob({ data: blob.data, encoding: 'proto3/v1' }, 1), UnsupportedBlobEncodingError);
});
