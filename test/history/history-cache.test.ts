/**
 * The in-memory history of runs this process wrote (history/history-cache.ts): it answers only when
 * it holds every batch from event 1 up to what is asked, drops a run whose batches stop being
 * contiguous or that outgrows its per-run bound, and evicts the least recently written runs beyond
 * its total bound. A wrong answer here would hand a worker a history with a gap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryCache } from '../../src/history/history-cache';

const batch = (firstEventId: number, bytes: number) => ({ firstEventId, bytes: Buffer.alloc(bytes, firstEventId) });

test('a run created at event 1 and appended contiguously answers up to its last event, and no further', () => {
  const c = new HistoryCache(1024, 256);
  c.created('r', batch(1, 10), 3);
  c.appended('r', batch(3, 10), 6);
  assert.deepEqual(
    c.batchesUpTo('r', 6)?.map((b) => b.firstEventId),
    [1, 3],
  );
  assert.equal(c.batchesUpTo('r', 7), undefined, 'events it does not hold: read from the database');
  assert.equal(c.batchesUpTo('other', 2), undefined);
});

test('a run not starting at event 1, a gap, or a run past its bound is dropped', () => {
  const c = new HistoryCache(1024, 32);
  c.created('late', batch(5, 10), 8);
  assert.equal(c.batchesUpTo('late', 6), undefined, 'a first batch that is not event 1 is not kept');
  c.created('gap', batch(1, 10), 3);
  c.appended('gap', batch(4, 10), 6);
  assert.equal(c.batchesUpTo('gap', 3), undefined, 'a gap drops the whole run');
  c.appended('gap', batch(6, 10), 8);
  assert.equal(c.batchesUpTo('gap', 3), undefined, 'and it does not come back by later appends');
  c.created('big', batch(1, 20), 3);
  c.appended('big', batch(3, 20), 5);
  assert.equal(c.batchesUpTo('big', 3), undefined, 'a run over its per-run bound is dropped');
});

test('beyond the total bound the least recently written runs go first', () => {
  const c = new HistoryCache(30, 100);
  c.created('a', batch(1, 10), 2);
  c.created('b', batch(1, 10), 2);
  c.appended('a', batch(2, 5), 3); // a is now the most recent
  c.created('c', batch(1, 10), 2); // 35 bytes > 30: b goes
  assert.equal(c.batchesUpTo('b', 2), undefined);
  assert.ok(c.batchesUpTo('a', 3));
  assert.ok(c.batchesUpTo('c', 2));
  c.delete('a');
  assert.equal(c.batchesUpTo('a', 2), undefined);
  c.clear();
  assert.equal(c.batchesUpTo('c', 2), undefined);
});

test('a closed run is dropped once a read took its last event; a partial read or a running run keeps it', () => {
  const c = new HistoryCache(1024, 256);
  c.created('open', batch(1, 10), 3);
  c.read('open', 3);
  assert.ok(c.batchesUpTo('open', 3), 'a running run read to its end stays (its next workflow task reads it)');
  c.created('done', batch(1, 10), 3);
  c.appended('done', batch(3, 10), 6, true);
  c.read('done', 4);
  assert.ok(c.batchesUpTo('done', 6), 'read partly: kept');
  assert.equal(c.size, 2);
  c.read('done', 6);
  assert.equal(c.batchesUpTo('done', 6), undefined, 'its last event read: dropped');
  assert.equal(c.size, 1);
});
