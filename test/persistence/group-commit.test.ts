/**
 * SQLite group commit (src/persistence/sqlite/group-commit.ts): writes submitted in one
 * event-loop turn share one transaction, each keeps its own conditions, a failing one does not take
 * the others down, and nobody is answered before COMMIT.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { connectSqlite, type SqliteConnection, type SqliteSynchronous } from '../../src/persistence/sqlite/connect';
import { WalSync } from '../../src/persistence/sqlite/wal-sync';
import { SqliteExecutor } from '../../src/persistence/sqlite/executor';
import { SqlPersistence } from '../../src/persistence/sql/persistence';
import type { CreateExecutionRequest, DataBlob, ExecutionKey, UpdateExecutionRequest } from '../../src/persistence';
import { ConditionFailedError, ShardOwnershipLostError } from '../../src/common/errors';

const REPO = resolve(__dirname, '..', '..', '..');
const bl = (s: string): DataBlob => ({ data: Buffer.from(s), encoding: 'json/v1' });
const NO_TASKS = { transfer: [], timer: [], visibility: [] };
let tid = 100;

/** The shared stores over a SQLite executor, with its committer and raw connection in reach. */
function fresh(synchronous: SqliteSynchronous = 'FULL'): {
  store: SqlPersistence;
  committer: SqliteExecutor['committer'];
  conn: SqliteConnection;
  raw: Database.Database;
  file: string;
  cleanup(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'tts-gc-'));
  const file = join(dir, 'temporal.db');
  const db = new Database(file);
  db.exec(readFileSync(join(REPO, 'schema/sqlite/v3/temporal/schema.sql'), 'utf8'));
  db.close();
  const conn = connectSqlite(file, synchronous);
  const executor = new SqliteExecutor(conn);
  return {
    store: new SqlPersistence(executor),
    committer: executor.committer,
    conn,
    raw: conn.db,
    file,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function createReq(shardId: number, rangeId: number, key: ExecutionKey): CreateExecutionRequest {
  return {
    shardId,
    rangeId,
    current: { runId: key.runId, createRequestId: `r-${key.runId}`, state: 2, status: 1, startTimeMs: 1, previousRunId: undefined },
    execution: { key, nextEventId: 3, dbRecordVersion: 1, info: bl(`v1-${key.workflowId}`), state: bl('{}') },
    historyTree: { treeId: key.runId, branchId: key.runId, info: bl('{}') },
    history: [{ treeId: key.runId, branchId: key.runId, nodeId: 1, txnId: ++tid, prevTxnId: 0, events: bl('e1') }],
    tasks: NO_TASKS,
  };
}

function updateReq(shardId: number, rangeId: number, key: ExecutionKey, expected: number): UpdateExecutionRequest {
  return {
    shardId,
    rangeId,
    execution: { key, nextEventId: 5, dbRecordVersion: expected + 1, info: bl(`v${expected + 1}-${key.workflowId}`), state: bl('{}') },
    expectedDbRecordVersion: expected,
    current: { state: 2, status: 1 },
    history: [{ treeId: key.runId, branchId: key.runId, nodeId: 3, txnId: ++tid, prevTxnId: 1, events: bl('e3') }],
    tasks: { transfer: [{ taskId: ++tid, task: bl(`transfer-${key.workflowId}`) }], timer: [], visibility: [] },
  };
}

/** A table of ids for operations to write, and a reader of the committed ids in order. */
function probeTable(raw: Database.Database): () => number[] {
  raw.exec('CREATE TABLE probe (id INTEGER PRIMARY KEY)');
  return () => (raw.prepare('SELECT id FROM probe ORDER BY id').all() as { id: number }[]).map((r) => r.id);
}

test('two executions of one shard commit in one transaction; the one with a failing condition gets its error, the other commits', async () => {
  const { store, committer, file, cleanup } = fresh();
  try {
    await store.shards.getOrCreateShard(1, bl('{}'));
    await store.shards.updateShard(1, 0, 1, bl('{}'));
    const a: ExecutionKey = { namespaceId: 'ns', workflowId: 'wf-a', runId: 'run-a' };
    const b: ExecutionKey = { namespaceId: 'ns', workflowId: 'wf-b', runId: 'run-b' };
    await Promise.all([store.executions.createWorkflowExecution(createReq(1, 1, a)), store.executions.createWorkflowExecution(createReq(1, 1, b))]);

    const before = { ...committer.stats };
    // same turn of the event loop: one batch. b expects a version it does not have.
    const pa = store.executions.updateWorkflowExecution(updateReq(1, 1, a, 1));
    const pb = store.executions.updateWorkflowExecution(updateReq(1, 1, b, 7));
    const [ra, rb] = await Promise.allSettled([pa, pb]);
    assert.equal(committer.stats.batches - before.batches, 1, 'one transaction');
    assert.equal(committer.stats.operations - before.operations, 2);
    assert.equal(ra.status, 'fulfilled');
    assert.equal(rb.status, 'rejected');
    assert.ok((rb as PromiseRejectedResult).reason instanceof ConditionFailedError);

    // what is on disk, read by another connection: a fully updated, b untouched (no history, no task)
    const db = new Database(file, { readonly: true });
    const ver = (wf: string) => (db.prepare('SELECT db_record_version AS v FROM executions WHERE workflow_id = ?').get(wf) as { v: number }).v;
    assert.equal(ver('wf-a'), 2);
    assert.equal(ver('wf-b'), 1);
    const nodes = (run: string) => (db.prepare('SELECT COUNT(*) AS n FROM history_node WHERE tree_id = ?').get(run) as { n: number }).n;
    assert.equal(nodes('run-a'), 2);
    assert.equal(nodes('run-b'), 1);
    const transfers = (db.prepare('SELECT data FROM transfer_tasks').all() as { data: Buffer }[]).map((r) => r.data.toString());
    assert.deepEqual(transfers, ['transfer-wf-a']);
    db.close();
  } finally {
    await store.close();
    cleanup();
  }
});

test('a stale range_id fails only its own write in a batch; a range renewal is ordered after writes submitted before it', async () => {
  const { store, cleanup } = fresh();
  try {
    await store.shards.getOrCreateShard(1, bl('{}'));
    await store.shards.updateShard(1, 0, 1, bl('{}'));
    await store.shards.getOrCreateShard(2, bl('{}'));
    await store.shards.updateShard(2, 0, 5, bl('{}'));
    const a: ExecutionKey = { namespaceId: 'ns', workflowId: 'wf-a', runId: 'run-a' };
    const b: ExecutionKey = { namespaceId: 'ns', workflowId: 'wf-b', runId: 'run-b' };
    const c: ExecutionKey = { namespaceId: 'ns', workflowId: 'wf-c', runId: 'run-c' };
    const results = await Promise.allSettled([
      store.executions.createWorkflowExecution(createReq(1, 1, a)),
      store.executions.createWorkflowExecution(createReq(2, 4, b)), // stale owner of shard 2
      store.shards.updateShard(1, 1, 2, bl('{}')), // renewal: submitted after a, so a still commits under 1
      store.executions.createWorkflowExecution(createReq(1, 1, c)), // submitted after the renewal: fenced out
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled', 'rejected'],
    );
    assert.ok((results[1] as PromiseRejectedResult).reason instanceof ShardOwnershipLostError);
    assert.ok((results[3] as PromiseRejectedResult).reason instanceof ShardOwnershipLostError);
    assert.ok(await store.executions.getWorkflowExecution(1, a));
    assert.equal(await store.executions.getWorkflowExecution(2, b), undefined);
    assert.equal(await store.executions.getWorkflowExecution(1, c), undefined);
  } finally {
    await store.close();
    cleanup();
  }
});

test('an operation alone in its batch runs without a savepoint: if it fails after writing, nothing of it stays; if not, it commits', async () => {
  const { store, committer, raw, cleanup } = fresh();
  try {
    const rows = probeTable(raw);
    const noSavepoint = () => assert.throws(() => raw.prepare('RELEASE op').run(), /no such savepoint/);
    const before = { ...committer.stats };
    await assert.rejects(
      committer.submit(() => {
        noSavepoint();
        raw.prepare('INSERT INTO probe (id) VALUES (1)').run();
        throw new ConditionFailedError('condition failed after a write');
      }),
      /condition failed after a write/,
    );
    assert.equal(committer.stats.batches - before.batches, 1, 'alone in its transaction');
    assert.deepEqual(rows(), [], 'the failed operation left nothing');
    assert.equal(raw.inTransaction, false);
    await committer.submit(() => {
      noSavepoint();
      raw.prepare('INSERT INTO probe (id) VALUES (2)').run();
    });
    assert.deepEqual(rows(), [2]);
  } finally {
    await store.close();
    cleanup();
  }
});

test('a batch runs without savepoints; when one operation fails, the batch is rolled back and the others run again in savepoints, in their order', async () => {
  const { store, committer, raw, cleanup } = fresh();
  try {
    const rows = probeTable(raw);
    // ROLLBACK TO at an operation's start undoes nothing and keeps the savepoint; without one it fails
    const inSavepoint = (): boolean => {
      try {
        raw.prepare('ROLLBACK TO op').run();
        return true;
      } catch {
        return false;
      }
    };
    const runs: string[] = [];
    const op = (id: number, fails: boolean) =>
      committer.submit(() => {
        runs.push(`${id}${inSavepoint() ? '+sp' : ''}`);
        const seen = rows().length;
        raw.prepare('INSERT INTO probe (id) VALUES (?)').run(id);
        if (fails) throw new Error(`op ${id} fails after seeing ${seen} rows`);
        return id;
      });
    // no failure: one transaction, no savepoint anywhere
    let before = { ...committer.stats };
    assert.deepEqual(await Promise.all([op(1, false), op(2, false), op(3, false)]), [1, 2, 3]);
    assert.deepEqual(runs.splice(0), ['1', '2', '3']);
    assert.equal(committer.stats.batches - before.batches, 1);
    assert.equal(committer.stats.rerun, 0);
    assert.deepEqual(rows(), [1, 2, 3]);

    // the second of four fails (after seeing what the first wrote); the third fails too, but only in
    // the run again: each keeps its own error, and only the first and the fourth commit
    before = { ...committer.stats };
    const rs = await Promise.allSettled([op(11, false), op(12, true), op(13, true), op(14, false)]);
    assert.deepEqual(
      rs.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      [11, 'op 12 fails after seeing 4 rows', 'op 13 fails after seeing 4 rows', 14],
    );
    assert.deepEqual(runs.splice(0), ['11', '12', '11+sp', '13+sp', '14+sp'], 'optimistic run up to the failure, then the others in savepoints, in order');
    assert.equal(committer.stats.batches - before.batches, 1);
    assert.equal(committer.stats.rerun - before.rerun, 1);
    assert.deepEqual(rows(), [1, 2, 3, 11, 14]);
    assert.equal(raw.inTransaction, false);
  } finally {
    await store.close();
    cleanup();
  }
});

test('callers are answered only after COMMIT: a failing COMMIT fails every write of the batch', async () => {
  const { store, committer, raw, cleanup } = fresh();
  try {
    await store.shards.getOrCreateShard(1, bl('{}'));
    await store.shards.updateShard(1, 0, 1, bl('{}'));
    let answered = 0;
    const a: ExecutionKey = { namespaceId: 'ns', workflowId: 'wf-a', runId: 'run-a' };
    const p = store.executions.createWorkflowExecution(createReq(1, 1, a)).then(() => answered++);
    assert.equal(answered, 0, 'not answered before the batch ran');
    await p;
    assert.equal(answered, 1);
    // a deferred foreign key violation makes COMMIT itself fail
    raw.exec(
      'CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (pid INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED); PRAGMA foreign_keys = ON;',
    );
    const b: ExecutionKey = { namespaceId: 'ns', workflowId: 'wf-b', runId: 'run-b' };
    const good = store.executions.createWorkflowExecution(createReq(1, 1, b));
    const bad = committer.submit(() => raw.prepare('INSERT INTO child (pid) VALUES (42)').run());
    const rs = await Promise.allSettled([good, bad]);
    assert.deepEqual(
      rs.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.equal(await store.executions.getWorkflowExecution(1, b), undefined, 'nothing of the failed batch is visible');
  } finally {
    await store.close();
    cleanup();
  }
});

test('FULL: writes are answered after an fdatasync of the WAL, commits of the meantime share one, and a read waits for what it saw to be on disk', async () => {
  const { store, conn, cleanup } = fresh('FULL');
  const wal = conn.walSync!;
  try {
    await store.shards.getOrCreateShard(1, bl('{}'));
    await store.shards.updateShard(1, 0, 1, bl('{}'));
    const syncsBefore = wal.syncs;
    // 100 creates in 100 event-loop turns: 100 commits, far fewer syncs (each covers the commits made while the one before ran)
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 100; i++) {
      writes.push(store.executions.createWorkflowExecution(createReq(1, 1, { namespaceId: 'ns', workflowId: `wf-${i}`, runId: `run-${i}` })));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(writes);
    const syncs = wal.syncs - syncsBefore;
    assert.ok(syncs >= 1, 'the WAL was synced');
    assert.ok(syncs < 100, `commits share syncs (${syncs} for 100 commits)`);

    // a read right after a commit is answered only once that commit is durable
    const key = { namespaceId: 'ns', workflowId: 'wf-r', runId: 'run-r' };
    const write = store.executions.createWorkflowExecution(createReq(1, 1, key));
    await new Promise((r) => setImmediate(r)); // the batch commits in this turn
    const seq = wal.committedSeq;
    assert.ok(wal.durableSeq < seq, 'its sync is still running');
    const row = await store.executions.getWorkflowExecution(1, key);
    assert.ok(row, 'the read saw the commit');
    assert.ok(wal.durableSeq >= seq, 'and was answered only once the commit was on disk');
    await write;
  } finally {
    await store.close();
    cleanup();
  }
});

test('NORMAL: no sync of our own (acknowledged after COMMIT, durable against a process crash only)', async () => {
  const { store, conn, cleanup } = fresh('NORMAL');
  try {
    assert.equal(conn.walSync, undefined);
    await store.shards.getOrCreateShard(1, bl('{}'));
    await store.shards.updateShard(1, 0, 1, bl('{}'));
    await store.executions.createWorkflowExecution(createReq(1, 1, { namespaceId: 'ns', workflowId: 'wf-n', runId: 'run-n' }));
    assert.ok(await store.executions.getWorkflowExecution(1, { namespaceId: 'ns', workflowId: 'wf-n', runId: 'run-n' }));
  } finally {
    await store.close();
    cleanup();
  }
});

test('a WAL that cannot be synced fails the writes waiting on it and every later one, with an error that says to restart', async () => {
  const wal = new WalSync(join(tmpdir(), `tts-no-such-dir-${process.pid}`, 'x.db-wal'));
  const waiting = wal.whenDurable(wal.committedNow());
  await assert.rejects(waiting, /could not be synced to disk; restart the server/);
  assert.throws(() => wal.assertHealthy(), /could not be synced/);
  await assert.rejects(wal.whenDurable(), /could not be synced/);
});

test('checkpoints run on their own thread: committed writes reach the database file without the server checkpointing', async () => {
  const { store, file, cleanup } = fresh('FULL');
  try {
    await store.shards.getOrCreateShard(1, bl('{}'));
    await store.shards.updateShard(1, 0, 1, bl('{}'));
    for (let i = 0; i < 20; i++)
      await store.executions.createWorkflowExecution(createReq(1, 1, { namespaceId: 'ns', workflowId: `wf-c${i}`, runId: `run-c${i}` }));
    // the server's connection never checkpoints (wal_autocheckpoint=0); wait for the checkpoint thread
    const copy = `${file}.copy`;
    let found = 0;
    for (let attempt = 0; attempt < 40 && found < 20; attempt++) {
      await new Promise((r) => setTimeout(r, 250));
      copyFileSync(file, copy); // the database file alone, without its WAL
      const db = new Database(copy, { readonly: true });
      found = (db.prepare("SELECT COUNT(*) AS n FROM executions WHERE workflow_id LIKE 'wf-c%'").get() as { n: number }).n;
      db.close();
    }
    assert.equal(found, 20, 'every committed row is in the database file');
  } finally {
    await store.close();
    cleanup();
  }
});
