/**
 * A request near the frontend's receive limit (4 MiB) crosses the cluster's internal API intact
 * (PostgreSQL). Two members A and B; a workflow whose shard B owns is started through A with an
 * input and a memo of 1.9 MiB each (each under the 2 MiB blob limit, together 3.8 MiB: the frontend
 * accepts it), so A forwards the start to B, whose internal API receives it as JSON (bytes in base64,
 * a third larger: over 5 MiB). Its history is then read through A (forwarded to B, the answer as
 * large). Before the internal API had limits of its own it was served with the frontend's 4 MiB and
 * refused the forwarded start (RESOURCE_EXHAUSTED).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { type ServerProcess } from '../crash/server-process';
import { postgresCluster } from '../helpers/cluster';
import { engineAvailability } from '../helpers/databases';
import { FORMAT, readJsonBlob, READABLE, type PersistenceBundle } from '../../src/persistence';
import { shardIdFor } from '../../src/common/ids';

const SHARDS = 4;
const BLOB = Math.floor(1.9 * 1024 * 1024);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Which pid holds each shard, from the shards table. */
async function shardPids(store: PersistenceBundle): Promise<Map<number, number>> {
  const rows = await store.shards.listShards();
  return new Map(
    rows.map((r) => {
      const owner = readJsonBlob<{ owner: string }>(r.info, FORMAT.shardInfo, READABLE.shardInfo).owner;
      return [r.shardId, Number(owner.slice(owner.lastIndexOf(':') + 1))];
    }),
  );
}

describe('large payloads across the internal API (PostgreSQL)', async () => {
  const skip = await engineAvailability('postgres12');
  test('a 3.8 MiB start through a member that does not own the shard, and its history read back through it', { skip, timeout: 120_000 }, async () => {
    const cluster = await postgresCluster('cllarge', ['A', 'B'], { numHistoryShards: SHARDS, logLevel: 'warn' });
    const { servers } = cluster;
    await cluster.run(async () => {
      const [a, b] = servers as [ServerProcess, ServerProcess];
      await a.start(60_000);
      await b.start(60_000);
      const store = await cluster.store();
      // B holds its share (and A has let it go)
      for (let i = 0; ; i++) {
        const pids = new Set((await shardPids(store)).values());
        if (pids.has(b.pid!) && pids.has(a.pid!)) break;
        assert.ok(i < 150, 'B never took its shards');
        await sleep(200);
      }
      await sleep(1500); // A's ring has refreshed since

      await cluster.withClient(0, async (client) => {
        const ns = await client.workflowService.describeNamespace({ namespace: 'default' });
        const owners = await shardPids(store);
        const workflowId = Array.from({ length: 100 }, (_, i) => `large-${i}`).find(
          (id) => owners.get(shardIdFor(ns.namespaceInfo!.id!, id, SHARDS)) === b.pid,
        )!;
        const input = randomBytes(BLOB);
        const memo = randomBytes(BLOB);
        // a deadline: a refused forward is retried by the SDK (UNAVAILABLE) until it runs out
        const handle = await client.connection.withDeadline(Date.now() + 30_000, () =>
          client.workflow.start('neverPolled', { taskQueue: 'large', workflowId, args: [input], memo: { big: memo } }),
        );
        const history = await handle.fetchHistory();
        const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
        assert.deepEqual(Buffer.from(defaultPayloadConverter.fromPayload<Uint8Array>(started.input!.payloads![0]!)), input);
        const described = await handle.describe();
        assert.deepEqual(Buffer.from(described.memo!.big as Uint8Array), memo);
      });
    });
  });
});
