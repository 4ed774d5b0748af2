/**
 * Matching's half of "no task lives only in memory": a sync-matched task is handed to a poller and
 * `add` (which history's transfer queue awaits before it deletes its own durable copy) resolves only
 * once the poller is done with it (started or stale) or the task is in the backlog table.
 *
 * Before: `add` resolved as soon as a waiting poller took the task, the transfer task row was deleted,
 * and a SIGKILL before the poller's RecordActivityTaskStarted lost the activity for good (found by
 * crash-load.test.ts on PostgreSQL: a workflow waited forever on an activity in state "scheduled").
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openPersistence } from '../../src/persistence';
import { Deferred } from '../../src/common/async';
import { StickyTaskQueue } from '../../src/matching/sticky-queue';
import { PhysicalTaskQueue } from '../../src/matching/task-queue';
import { tempDbFile } from '../engine/harness';

const key = { namespaceId: 'ns', name: 'tq', taskType: 2 };
const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
};

test('a sync-matched task is not dropped by its adder until the poller is done with it', async () => {
  const db = tempDbFile();
  const store = await openPersistence({ pluginName: 'sqlite', host: '', port: 0, databaseName: db.file });
  try {
    const q = new PhysicalTaskQueue<{ n: number }>(key, store.tasks);
    await q.ready;

    // the poller records the start: add resolves then, nothing is persisted
    let polled = q.take(5000, undefined);
    let added = q.add({ n: 1 });
    let item = await polled;
    assert.equal(item?.kind, 'task');
    assert.equal(await settled(added), false, 'add resolved before the poller finished with the task');
    await q.ack(item!);
    await added;
    assert.equal((await store.tasks.getTasks(key, 0, 10)).length, 0);

    // the poller fails to start the task (history failed): it is persisted
    polled = q.take(5000, undefined);
    added = q.add({ n: 2 });
    item = await polled;
    assert.equal(await settled(added), false);
    await q.fail(item!);
    await added;
    const rows = await store.tasks.getTasks(key, 0, 10);
    assert.equal(rows.length, 1);

    // and the next poller gets it from the backlog
    const next = await q.take(1000, undefined);
    assert.deepEqual(next?.kind === 'task' && next.ref, { n: 2 });
  } finally {
    await store.close();
    db.cleanup();
  }
});

test('a poll cancelled after the match keeps the adder waiting until another poller starts the task', async () => {
  const db = tempDbFile();
  const store = await openPersistence({ pluginName: 'sqlite', host: '', port: 0, databaseName: db.file });
  try {
    const q = new PhysicalTaskQueue<{ n: number }>(key, store.tasks);
    await q.ready;
    const ac = new AbortController();
    const polled = q.take(5000, ac.signal);
    const added = q.add({ n: 3 });
    ac.abort();
    assert.equal(await polled, undefined);
    assert.equal(await settled(added), false, 'the transfer task would be deleted while the task lives only in memory');
    const next = await q.take(1000, undefined);
    assert.deepEqual(next?.kind === 'task' && next.ref, { n: 3 });
    await q.ack(next!);
    await added;
  } finally {
    await store.close();
    db.cleanup();
  }
});

test('a sticky task handed back while the normal queue cannot take it fails its adder, not the process', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown): void => {
    unhandled.push(err);
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    const sticky = new StickyTaskQueue<{ n: number }>(async (item) => {
      const err = new Error('database unavailable');
      if (item.kind === 'task') item.done?.reject(err);
      throw err;
    });
    const ac = new AbortController();
    const polled = sticky.take(5000, ac.signal);
    const done = new Deferred<void>();
    assert.ok(sticky.offer({ kind: 'task', ref: { n: 4 }, taskId: undefined, done }));
    ac.abort();
    assert.equal(await polled, undefined);
    await assert.rejects(done.promise, /database unavailable/);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('a task matched to a poll that is cancelled as its queue moves fails back to its adder, not into the unloaded queue', async () => {
  const db = tempDbFile();
  const store = await openPersistence({ pluginName: 'sqlite', host: '', port: 0, databaseName: db.file });
  try {
    const q = new PhysicalTaskQueue<{ n: number }>(key, store.tasks);
    await q.ready;
    // a cluster member's refresh: the queue moved, its polls are cancelled and the queue unloaded in one
    // turn, after a poller was handed a task and before that poller saw its cancellation
    const ac = new AbortController();
    const polled = q.take(5000, ac.signal);
    const added = q.add({ n: 5 });
    const moved = new Error('task queue tq moved to another member');
    // runs after add's offer to the poller and before the poller's own continuation
    queueMicrotask(() => {
      ac.abort();
      q.unload(moved);
    });
    assert.equal(await polled, undefined);
    // before: the task went back into the unloaded queue's memory, and the adder (history's transfer
    // task, which is re-dispatched only once it settles) waited forever
    const outcome = added.then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    assert.equal(await settled(outcome), true, 'the adder still waits on a task no owner holds');
    assert.match(await outcome, /moved to another member/);
    // nor is it taken from the unloaded queue, or persisted under it
    assert.equal(await q.take(50, undefined), undefined);
    await assert.rejects(q.add({ n: 6 }), /moved to another member/);
    assert.equal((await store.tasks.getTasks(key, 0, 10)).length, 0);
  } finally {
    await store.close();
    db.cleanup();
  }
});
