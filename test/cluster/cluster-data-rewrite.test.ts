/**
 * The background data rewrite has one owner in a cluster (PostgreSQL): the owner of its shard
 * (history/data-rewrite.ts, DATA_REWRITE_SHARD). Two members A and B run on a database whose rewrite
 * is recorded under way (a data_format_rewrite row not complete, as an upgrade leaves it; this release
 * changes no format, so its rows are all in the current one already, as after their workflows wrote
 * them, and the rewrite scans them at its rate limit and records completion). Once the version is
 * active exactly one of the two runs the rewrite (before, every member ran it over every row and the
 * saved cursors overwrote each other). That owner is then SIGKILLed: the other takes its shards over
 * after the membership expiry, resumes the rewrite from the saved record and records it complete.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ServerProcess } from '../crash/server-process';
import { postgresCluster } from '../helpers/cluster';
import { engineAvailability } from '../helpers/databases';
import { FORMAT, type DataRewriteRecord, type PersistenceBundle } from '../../src/persistence';

const ROWS = 200;
/** 10 rows a batch, two batches a second: the scan of ROWS takes 10 s, long enough to kill its owner half-way */
const ROWS_PER_SECOND = 20;
const RESUMED = /data format rewrite resumed/g;
const STOPPED = 'data format rewrite: stopped here';
/** how many times a member's log says it resumed the rewrite */
const resumes = (s: ServerProcess) => [...s.output().matchAll(RESUMED)].length;
/** the member runs the rewrite now: its last word on it is "resumed", not "stopped here" */
const running = (s: ServerProcess) => {
  const out = s.output();
  const r = out.lastIndexOf('data format rewrite resumed');
  return r >= 0 && r > out.lastIndexOf(STOPPED);
};
const DONE = /data format rewrite done/;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, deadlineMs = 60_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${deadlineMs} ms`);
    await sleep(200);
  }
}

async function mutableStateRewrite(store: PersistenceBundle): Promise<DataRewriteRecord | undefined> {
  return (await store.dataRewrite.listDataRewrites()).find((r) => r.store === 'mutable_state' && r.targetFormat === FORMAT.mutableState);
}

describe('the data rewrite in a cluster (PostgreSQL)', async () => {
  const skip = await engineAvailability('postgres12');
  test('one member runs it; when that member is killed the other resumes and completes it', { skip, timeout: 180_000 }, async () => {
    const cluster = await postgresCluster('clrw', ['A', 'B'], {
      numHistoryShards: 8,
      logLevel: 'info',
      extra: `upgrade:\n  dataRewriteRowsPerSecond: ${ROWS_PER_SECOND}\nglobal:\n  membership:\n    memberExpiry: 3s\n`,
    });
    const { servers } = cluster;
    await cluster.run(async () => {
      const [a, b] = servers as [ServerProcess, ServerProcess];

      // The rows: workflows started through A alone, never polled.
      await a.start(60_000);
      await cluster.withClient(0, async (client) => {
        for (let i = 0; i < ROWS; i += 25)
          await Promise.all(Array.from({ length: 25 }, (_, j) => client.workflow.start('neverPolled', { taskQueue: 'clrw', workflowId: `clrw-${i + j}` })));
      });
      await a.stop();

      // A rewrite under way (one row looked at, so each runner says "resumed").
      const store = await cluster.store();
      const now = Date.now();
      await store.dataRewrite.saveDataRewrite({
        store: 'mutable_state',
        targetFormat: FORMAT.mutableState,
        cursor: undefined,
        rowsRewritten: 0,
        rowsTotal: ROWS,
        rowsScanned: 1,
        startedMs: now,
        updatedMs: now,
        completedMs: undefined,
      });

      // Both serve once joined: the version is active (a restart of the active one), so each has
      // started whatever it runs of the rewrite (started together, both may begin it while their
      // views of the ring settle; the one without shard 1 stops at once) ...
      await Promise.all([a.start(60_000), b.start(60_000)]);
      // the owner is the one member found running it twice, 1 s apart: a single look could land in the
      // moment when the member without shard 1 has begun and the owner not yet (it stops then)
      const owner = await until('one member running the rewrite', async () => {
        const now = servers.filter(running);
        if (now.length !== 1) return undefined;
        await sleep(1000);
        const later = servers.filter(running);
        return later.length === 1 && later[0] === now[0] ? now[0] : undefined;
      });
      const other = owner === a ? b : a;
      // ... and a member that ran the rewrite too would show it by now.
      await sleep(3000);
      assert.ok(running(owner) && !running(other), `one member runs the rewrite, not both:\n${servers.map((s) => s.output()).join('\n---\n')}`);
      const saved = await mutableStateRewrite(store);
      assert.ok(saved?.cursor && saved.completedMs === undefined, `the owner saves its progress, not done yet: ${JSON.stringify(saved)}`);

      const before = resumes(other);
      await owner.kill9();
      await until('the other member resuming the rewrite', () => (resumes(other) > before && running(other) ? true : undefined), 60_000);
      await until('the rewrite done', () => (DONE.test(other.output()) ? true : undefined), 60_000);
      const done = await mutableStateRewrite(store);
      assert.ok(done?.completedMs !== undefined && done.rowsScanned === ROWS, JSON.stringify(done));
    });
  });
});
