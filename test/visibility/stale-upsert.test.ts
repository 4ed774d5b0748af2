/**
 * A visibility row only moves forward: an upsert carrying a shorter history than the stored row (a
 * task applied late, or one a killed server had in flight) changes nothing, on every plugin; a newer
 * one replaces the row.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, engineAvailability } from '../helpers/databases';
import { openVisibilityStore } from '../../src/visibility/open';
import type { VisibilityRecord } from '../../src/visibility/store';
import { makeVisibilityDb } from './harness';

const RUNNING = 1;
const COMPLETED = 2;

function record(status: number, historyLength: number, closeTimeMs: number | null): VisibilityRecord {
  return {
    namespaceId: 'ns',
    runId: 'run-1',
    workflowId: 'wf-1',
    workflowTypeName: 'T',
    taskQueue: 'q',
    status,
    startTimeMs: 1000,
    executionTimeMs: 1000,
    closeTimeMs,
    historyLength,
    historySizeBytes: 10 * historyLength,
    executionDurationMs: closeTimeMs === null ? null : closeTimeMs - 1000,
    stateTransitionCount: null,
    memo: null,
    encoding: null,
    parentWorkflowId: null,
    parentRunId: null,
    rootWorkflowId: null,
    rootRunId: null,
    searchAttributes: null,
    columns: {},
  };
}

for (const engine of ENGINES) {
  describe(`visibility upserts on ${engine}`, async () => {
    const skip = await engineAvailability(engine);
    test('a stale upsert does not move a closed run back to running; a newer one applies', { skip }, async () => {
      const db = await makeVisibilityDb(engine);
      const store = await openVisibilityStore(db.config);
      try {
        const read = async () =>
          (
            await store.select('SELECT status, history_length, close_time FROM executions_visibility WHERE namespace_id = ? AND run_id = ?', ['ns', 'run-1'])
          )[0]!;
        await store.upsertExecution(record(RUNNING, 3, null));
        await store.upsertExecution(record(COMPLETED, 11, 5000));
        await store.upsertExecution(record(RUNNING, 5, null)); // stale: applied after the close
        let row = await read();
        assert.equal(Number(row.status), COMPLETED);
        assert.equal(Number(row.history_length), 11);
        assert.equal(Number(row.close_time), 5000);
        await store.upsertExecution(record(COMPLETED, 12, 6000)); // e.g. a memo change written later
        row = await read();
        assert.equal(Number(row.history_length), 12);
        assert.equal(Number(row.close_time), 6000);
      } finally {
        await store.close();
        await db.cleanup();
      }
    });
  });
}
