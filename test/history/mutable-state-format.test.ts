/**
 * Mutable state formats: v2 round-trips unchanged; json/v1 (as 0.1.x wrote it, 0.2.x's to rewrite)
 * and any format this release does not know are refused with their name and the formats it reads,
 * never guessed at.
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

test('json/v1 (0.1.x) is no longer read: 0.2.x rewrote it, and this release starts only once that rewrite is done', () => {
  assert.throws(
    () => decodeMutableState({ data: Buffer.from(JSON.stringify(v1)), encoding: 'json/v1' }),
    (err: unknown) => err instanceof UnsupportedBlobEncodingError && /"json\/v1" \(this server reads json\/v2\)/.test(err.message),
  );
});

test('json/v2 round-trips unchanged', () => {
  const v2 = {
    ...v1,
    execution: { ...v1.execution, attempt: 3, executionTimeMs: 42, executionExpirationMs: 99, firstTaskBackoffPending: false },
    children: {},
    externalRequests: {},
    updates: {},
  };
  const ms = decodeMutableState({ data: Buffer.from(JSON.stringify(v2)), encoding: 'json/v2' });
  assert.deepEqual(ms, v2);
  const blob = encodeMutableState(ms);
  assert.equal(blob.encoding, 'json/v2');
  assert.deepEqual(decodeMutableState(blob), ms);
});

test('a format this release cannot read is refused by name', () => {
  for (const encoding of ['json/v3', 'proto3/v2', 'json']) {
    assert.throws(
      () => decodeMutableState({ data: Buffer.from('{}'), encoding }),
      (err: unknown) => err instanceof UnsupportedBlobEncodingError && err.message.includes(JSON.stringify(encoding)),
    );
  }
  assert.throws(() => decodeMutableState({ data: Buffer.from('{}'), encoding: 'json/v3' }), /this server reads json\/v2/);
});
