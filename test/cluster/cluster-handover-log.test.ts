/**
 * A shard handed over to a member that joins is no error (PostgreSQL). A serves alone and takes a
 * steady stream of workflow starts; B joins and acquires its share at once, while A still routes
 * starts to those shards until its next refresh (under a second): those writes find the shard taken.
 * A says so at info (`shard N handed over to <B> …`), not at error level: it was a hand-over to a
 * live member, and the start is retried on B. No line of A's log is at error level.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ServerProcess } from '../crash/server-process';
import { postgresCluster } from '../helpers/cluster';
import { engineAvailability } from '../helpers/databases';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const HANDED_OVER = /"level":30,.*shard \d+ handed over to /;

/** Lines at pino level 50 (error) and above. */
function errorLines(out: string): string[] {
  return out.split('\n').filter((line) => Number(/"level":(\d+)/.exec(line)?.[1] ?? 0) >= 50);
}

describe('a shard handed over to a joining member (PostgreSQL)', async () => {
  const skip = await engineAvailability('postgres12');
  test('is logged at info by the member that had it, with no error line', { skip, timeout: 120_000 }, async () => {
    const cluster = await postgresCluster('clhand', ['A', 'B'], { numHistoryShards: 16, logLevel: 'info' });
    const { servers } = cluster;
    await cluster.run(async () => {
      const [a, b] = servers as [ServerProcess, ServerProcess];
      await a.start(60_000);
      await cluster.withClient(0, async (client) => {
        let streaming = true;
        let n = 0;
        // starts through A, spread over every shard, until B's share has surely moved
        const stream = Promise.all(
          Array.from({ length: 16 }, async () => {
            while (streaming) await client.workflow.start('neverPolled', { taskQueue: 'clhand', workflowId: `clhand-${n++}` });
          }),
        );
        await sleep(1000);
        await b.start(60_000);
        // until A has handed a shard over mid-write (its refresh comes within a second of B's join)
        for (let i = 0; i < 100 && !HANDED_OVER.test(a.output()); i++) await sleep(100);
        await sleep(2000);
        streaming = false;
        await stream;
        assert.ok(n > 0);
      });
      const errors = errorLines(a.output());
      assert.deepEqual(errors, [], `A logged errors:\n${errors.join('\n')}`);
      assert.match(a.output(), HANDED_OVER, 'a write of A met a shard B had taken (the case under test)');
    });
  });
});
