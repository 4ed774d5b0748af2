/**
 * Mutable state formats: json/v1 (as 0.1.x wrote it, fields left out) is read as v2 with 0.1.x's own
 * defaults made explicit; v2 round-trips unchanged; a format this release does not know is refused
 * with its name and the formats it reads, never guessed at.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMutableState, encodeMutableState } from '../../src/history/mutable-state';
import { UnsupportedBlobEncodingError } from '../../src/persistence/blob';

// A run as 0.1.0 stored it: no children/externalRequests/updates, no chain fields.
const v1 = {
  execution: {
    namespaceId: 'ns-id',
    namespace: 'default',
    workflowId: 'wf',
    runId: 'run',
    firstRunId: 'run',
    workflowType: 'T',
    taskQueue: 'tq',
    workflowTaskTimeoutMs: 10_000,
    runTimeoutMs: 0,
    executionTimeoutMs: 0,
    startTimeMs: 1_700_000_000_000,
    closeTimeMs: 0,
    createRequestId: 'r',
    state: 'running',
    cancelRequested: false,
    lastCompletedWorkflowTaskStartedEventId: 3,
    completionEventId: 0,
  },
  nextEventId: 5,
  lastTxnId: 2,
  activities: {},
  timers: { t1: { state: 'started', timerId: 't1', startedEventId: 5, expiryMs: 1_700_000_060_000 } },
  bufferedEvents: [],
  signalRequestIds: ['s1'],
  historySizeBytes: 321,
};

test('json/v1 is read with the defaults 0.1.x applied, and written back as json/v2', () => {
  const ms = decodeMutableState({ data: Buffer.from(JSON.stringify(v1)), encoding: 'json/v1' });
  assert.equal(ms.execution.attempt, 1);
  assert.equal(ms.execution.executionExpirationMs, 0);
  assert.equal(ms.execution.firstTaskBackoffPending, false);
  assert.equal(ms.execution.executionTimeMs, v1.execution.startTimeMs);
  assert.deepEqual([ms.children, ms.externalRequests, ms.updates], [{}, {}, {}]);
  assert.deepEqual(ms.timers, v1.timers);
  assert.deepEqual(ms.signalRequestIds, ['s1']);
  const blob = encodeMutableState(ms);
  assert.equal(blob.encoding, 'json/v2');
  const stored = JSON.parse(blob.data.toString()) as Record<string, unknown>;
  assert.deepEqual(stored.updates, {}, 'v2 always carries every collection');
  assert.deepEqual(decodeMutableState(blob), ms);
});

test('fields 0.1.x did write are kept, not replaced by defaults', () => {
  const withFields = {
    ...v1,
    execution: { ...v1.execution, attempt: 3, executionTimeMs: 42, executionExpirationMs: 99 },
    updates: { u: { state: 'accepted', acceptedEventId: 4, completedEventId: 0 } },
  };
  const ms = decodeMutableState({ data: Buffer.from(JSON.stringify(withFields)), encoding: 'json/v1' });
  assert.deepEqual([ms.execution.attempt, ms.execution.executionTimeMs, ms.execution.executionExpirationMs], [3, 42, 99]);
  assert.deepEqual(Object.keys(ms.updates), ['u']);
});

test('a format this release cannot read is refused by name', () => {
  for (const encoding of ['json/v3', 'proto3/v2', 'json']) {
    assert.throws(
      () => decodeMutableState({ data: Buffer.from('{}'), encoding }),
      (err: unknown) => err instanceof UnsupportedBlobEncodingError && err.message.includes(JSON.stringify(encoding)),
    );
  }
  assert.throws(() => decodeMutableState({ data: Buffer.from('{}'), encoding: 'json/v3' }), /this server reads json\/v1, json\/v2/);
});
