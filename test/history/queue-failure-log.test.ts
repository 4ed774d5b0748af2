/**
 * A queue processor's failure is a warning with its error while the shard is ours, and one info line
 * without a stack once the shard moved on (a hand-over made every old owner's write fail by design;
 * those warnings with stacks read like trouble in a healthy cluster).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShardOwnershipLostError } from '../../src/common/errors';
import type { Logger } from '../../src/common/logger';
import { logQueueFailure } from '../../src/history/queues/task-failure-log';

function recorder(): { log: Pick<Logger, 'warn' | 'info'>; lines: { level: string; o: Record<string, unknown>; msg: string }[] } {
  const lines: { level: string; o: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (o: Record<string, unknown>, msg: string) => lines.push({ level, o, msg });
  return { log: { warn: at('warn'), info: at('info') } as unknown as Pick<Logger, 'warn' | 'info'>, lines };
}

const owned = { shardId: 3, lost: false, released: false };

test('while the shard is owned: a warning carrying the error', () => {
  const { log, lines } = recorder();
  const err = new Error('database is locked');
  logQueueFailure(log, owned, err, { taskId: 7 }, 'transfer task failed; will retry');
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.level, 'warn');
  assert.equal(lines[0]!.o.err, err);
  assert.deepEqual([lines[0]!.o.shardId, lines[0]!.o.taskId], [3, 7]);
});

test('a lost ownership, or a shard lost or released here: info, the reason as text, no error object', () => {
  for (const [shard, err] of [
    [owned, new ShardOwnershipLostError(3, 5)],
    [{ ...owned, released: true }, new Error('the store is closing')],
    [{ ...owned, lost: true }, new Error('conflict')],
  ] as const) {
    const { log, lines } = recorder();
    logQueueFailure(log, shard, err, { queue: 'transfer' }, 'deleting executed tasks failed; will retry');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, 'info');
    assert.equal(lines[0]!.o.err, undefined, 'no error object (no stack)');
    assert.equal(lines[0]!.o.reason, err.message);
    assert.equal(lines[0]!.o.queue, 'transfer');
    assert.match(lines[0]!.msg, /no longer owned here/);
  }
});
