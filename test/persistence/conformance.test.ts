/**
 * Conformance of the persistence plugins: ONE suite, run against sqlite, postgres12 and mysql8
 * (MariaDB stands in for MySQL 8 here). Each plugin gets a fresh database built by the schema tool
 * (create-database, setup-schema -v 0.0, update-schema through schema/<dir>/temporal/versioned) and is
 * opened through openPersistence, twice: two bundles play two server processes ("owners").
 *
 * "Nothing written" is checked on the raw tables (row counts of every shard table, read with the
 * engine's own driver), not only through the store API.
 *
 * The stores are written once over a per-plugin dialect and executor (src/persistence/sql), so the
 * last tests check what that split could break on one plugin only: error classification (duplicate
 * key, retryable), the retry of a whole transaction after a real deadlock, multi-row inserts past
 * one statement's worth of rows, and keyset paging.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import mysql from 'mysql2/promise';
import Database from 'better-sqlite3';
import { ENGINES, type Engine, MYSQL, PG, dropDatabase, engineAvailability, toolConnectionFlags, uniqueDbName } from '../helpers/databases';
import { sqlTool } from '../helpers/processes';
import { openPersistence, openSqlExecutor, stmt, type Program, type SqlExecutor } from '../../src/persistence';
import { PooledExecutor } from '../../src/persistence/sql/pooled-executor';
import { SqlExecutionStore, fenceShard } from '../../src/persistence/sql/execution-store';
import type {
  CreateExecutionRequest,
  DataBlob,
  ExecutionKey,
  HistoryBatchRow,
  MemberRole,
  MemberRow,
  NewTasks,
  PersistenceBundle,
  TaskQueueKey,
  UpdateExecutionRequest,
} from '../../src/persistence';
import { ConditionFailedError, ShardOwnershipLostError } from '../../src/common/errors';
import type { SqlConnectConfig } from '../../src/persistence/sql-config';
import { shippedVersionedPath } from '../../src/schema/shipped';

const SHARD_TABLES = ['executions', 'current_executions', 'history_tree', 'history_node', 'transfer_tasks', 'timer_tasks', 'visibility_tasks'] as const;

// ---------------------------------------------------------------- fixtures
/** A blob with bytes that are not valid UTF-8, so BYTEA/MEDIUMBLOB/BLOB round trips are checked. */
function bl(text: string, encoding = 'json/v1'): DataBlob {
  return { data: Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0x00, 0xff, 0x80, 0x0a])]), encoding };
}
const same = (a: DataBlob | undefined, b: DataBlob, what: string) => {
  assert.ok(a, `${what}: missing`);
  assert.ok(Buffer.isBuffer(a.data), `${what}: data is not a Buffer`);
  assert.equal(a.data.toString('hex'), b.data.toString('hex'), `${what}: bytes`);
  assert.equal(a.encoding, b.encoding, `${what}: encoding`);
};

let nextTaskId = 1000;
const tid = () => ++nextTaskId;
const NO_TASKS: NewTasks = { transfer: [], timer: [], visibility: [] };

function someTasks(tag: string, timerAt = 5_000): NewTasks {
  return {
    transfer: [{ taskId: tid(), task: bl(`transfer-${tag}`) }],
    timer: [{ visibilityTimestampMs: timerAt, taskId: tid(), task: bl(`timer-${tag}`) }],
    visibility: [{ taskId: tid(), task: bl(`visibility-${tag}`) }],
  };
}

function batch(key: ExecutionKey, nodeId: number, txnId: number, tag = `${nodeId}/${txnId}`): HistoryBatchRow {
  return { treeId: key.runId, branchId: `${key.runId}-b`, nodeId, txnId, prevTxnId: txnId - 1, events: bl(`events-${tag}`) };
}

function createReq(
  shardId: number,
  rangeId: number,
  key: ExecutionKey,
  opts: { previousRunId?: string; tasks?: NewTasks; history?: HistoryBatchRow[] } = {},
): CreateExecutionRequest {
  return {
    shardId,
    rangeId,
    current: { runId: key.runId, createRequestId: `req-${key.runId}`, state: 1, status: 1, startTimeMs: 1_700_000_000_123, previousRunId: opts.previousRunId },
    execution: { key, nextEventId: 3, dbRecordVersion: 1, info: bl(`info-${key.runId}`), state: bl(`state-${key.runId}`, 'proto3/v1') },
    historyTree: { treeId: key.runId, branchId: `${key.runId}-b`, info: bl(`tree-${key.runId}`) },
    history: opts.history ?? [batch(key, 1, 1)],
    tasks: opts.tasks ?? someTasks(key.runId),
  };
}

function updateReq(
  shardId: number,
  rangeId: number,
  key: ExecutionKey,
  expected: number,
  opts: { current?: { state: number; status: number }; tasks?: NewTasks; history?: HistoryBatchRow[]; tag?: string } = {},
): UpdateExecutionRequest {
  const tag = opts.tag ?? `v${expected + 1}`;
  return {
    shardId,
    rangeId,
    execution: { key, nextEventId: 3 + expected, dbRecordVersion: expected + 1, info: bl(`info-${tag}`), state: bl(`state-${tag}`, 'proto3/v1') },
    expectedDbRecordVersion: expected,
    current: opts.current,
    history: opts.history ?? [],
    tasks: opts.tasks ?? NO_TASKS,
  };
}

const key = (workflowId: string, runId: string): ExecutionKey => ({ namespaceId: 'ns-1', workflowId, runId });

// ---------------------------------------------------------------- per-engine database
interface Db {
  config: SqlConnectConfig;
  /** rows of each shard table for one shard */
  counts(shardId: number): Promise<Record<string, number>>;
  close(): Promise<void>;
}

function tool(engine: Engine, db: string, args: string[]): void {
  const r = sqlTool([...toolConnectionFlags(engine, db), ...args]);
  assert.equal(r.status, 0, `temporal-sql-tool ${args.join(' ')} exited ${String(r.status)}\n${r.stderr}\n${r.stdout}`);
}

async function makeDb(engine: Engine, name: string): Promise<Db> {
  tool(engine, name, ['create-database']);
  tool(engine, name, ['setup-schema', '-v', '0.0']);
  tool(engine, name, ['update-schema', '-d', shippedVersionedPath(engine, 'temporal')]);
  const countSql = (t: string, ph: string) => `SELECT COUNT(*) AS n FROM ${t} WHERE shard_id = ${ph}`;
  switch (engine) {
    case 'sqlite': {
      const d = new Database(name, { readonly: true, fileMustExist: true });
      return {
        config: { pluginName: 'sqlite', host: '', port: 0, databaseName: name },
        async counts(shardId) {
          const out: Record<string, number> = {};
          for (const t of SHARD_TABLES) out[t] = Number((d.prepare(countSql(t, '?')).get(shardId) as { n: number }).n);
          return out;
        },
        async close() {
          d.close();
        },
      };
    }
    case 'postgres12': {
      const c = new PgClient({ ...PG, database: name });
      await c.connect();
      return {
        config: { pluginName: 'postgres12', host: PG.host, port: PG.port, user: PG.user, password: PG.password, databaseName: name },
        async counts(shardId) {
          const out: Record<string, number> = {};
          for (const t of SHARD_TABLES) out[t] = Number((await c.query<{ n: string }>(countSql(t, '$1'), [shardId])).rows[0]!.n);
          return out;
        },
        async close() {
          await c.end();
        },
      };
    }
    case 'mysql8': {
      const c = await mysql.createConnection({ ...MYSQL, database: name });
      return {
        config: { pluginName: 'mysql8', host: MYSQL.host, port: MYSQL.port, user: MYSQL.user, password: MYSQL.password, databaseName: name },
        async counts(shardId) {
          const out: Record<string, number> = {};
          for (const t of SHARD_TABLES) {
            const [rows] = await c.query<mysql.RowDataPacket[]>(countSql(t, '?'), [shardId]);
            out[t] = Number(rows[0]!.n);
          }
          return out;
        },
        async close() {
          await c.end();
        },
      };
    }
  }
}

async function rejectsWith(p: Promise<unknown>, cls: abstract new (...args: never[]) => Error, what: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof cls, `${what}: expected ${cls.name}, got ${String((err as Error)?.stack ?? err)}`);
    return true;
  });
}

// ---------------------------------------------------------------- the suite
for (const engine of ENGINES) {
  describe(`persistence conformance: ${engine}`, async () => {
    const skip = await engineAvailability(engine);
    const name = engine === 'sqlite' ? join(tmpdir(), `${uniqueDbName('conf')}.db`) : uniqueDbName('conf');
    let db: Db | undefined;
    /** owner A and owner B: two opened bundles on the same database */
    let a: PersistenceBundle;
    let b: PersistenceBundle;
    let shardSeq = 0;
    /** a fresh shard, owned at rangeId 1 */
    const freshShard = async (): Promise<number> => {
      const id = ++shardSeq;
      await a.shards.getOrCreateShard(id, bl('shard-info'));
      await a.shards.updateShard(id, 0, 1, bl('shard-info-1'));
      return id;
    };

    before(async () => {
      if (skip) return;
      db = await makeDb(engine, name);
      a = await openPersistence(db.config);
      b = await openPersistence(db.config);
    });
    after(async () => {
      if (skip) return;
      await a?.close();
      await b?.close();
      await db?.close();
      if (engine === 'sqlite') for (const f of [name, `${name}-wal`, `${name}-shm`, `${name}-journal`]) rmSync(f, { force: true });
      else await dropDatabase(engine, name);
    });

    test('shards: getOrCreateShard creates at range_id 0 once; updateShard is a compare-and-set', { skip }, async () => {
      const id = ++shardSeq;
      const created = await a.shards.getOrCreateShard(id, bl('first'));
      assert.equal(created.shardId, id);
      assert.equal(created.rangeId, 0);
      same(created.info, bl('first'), 'initial info');
      const again = await b.shards.getOrCreateShard(id, bl('second'));
      assert.equal(again.rangeId, 0);
      same(again.info, bl('first'), 'getOrCreateShard must not overwrite an existing shard');

      await a.shards.updateShard(id, 0, 1, bl('owner-a'));
      await rejectsWith(b.shards.updateShard(id, 0, 2, bl('owner-b')), ShardOwnershipLostError, 'CAS from a stale range_id');
      const now = await b.shards.getOrCreateShard(id, bl('x'));
      assert.equal(now.rangeId, 1);
      same(now.info, bl('owner-a'), 'info after the successful CAS');
      await b.shards.updateShard(id, 1, 2, bl('owner-b'));
      assert.equal((await a.shards.getOrCreateShard(id, bl('x'))).rangeId, 2);
      // renewal with the same range id is a CAS too
      await b.shards.updateShard(id, 2, 2, bl('owner-b-renewed'));
      same((await a.shards.getOrCreateShard(id, bl('x'))).info, bl('owner-b-renewed'), 'info after renewal');
      await rejectsWith(a.shards.updateShard(9_999_999, 0, 1, bl('x')), ShardOwnershipLostError, 'CAS of a missing shard');
    });

    test('createWorkflowExecution writes execution, current, tree, history and all tasks together', { skip }, async () => {
      const shard = await freshShard();
      const k = key('wf-create', 'run-c1');
      const req = createReq(shard, 1, k);
      await a.executions.createWorkflowExecution(req);

      const ex = await b.executions.getWorkflowExecution(shard, k);
      assert.ok(ex);
      assert.deepEqual(ex.key, k);
      assert.equal(ex.nextEventId, 3);
      assert.equal(ex.dbRecordVersion, 1);
      same(ex.info, req.execution.info, 'execution info');
      same(ex.state, req.execution.state, 'execution state');

      assert.deepEqual(await b.executions.getCurrentExecution(shard, 'ns-1', 'wf-create'), {
        runId: 'run-c1',
        createRequestId: 'req-run-c1',
        state: 1,
        status: 1,
        startTimeMs: 1_700_000_000_123,
      });
      const hist = await b.executions.readHistoryBranch(shard, k.runId, `${k.runId}-b`);
      assert.equal(hist.length, 1);
      same(hist[0]!.events, req.history[0]!.events, 'history events');
      assert.deepEqual(
        (await b.executions.getTransferTasks(shard, 0, 10)).map((t) => t.taskId),
        req.tasks.transfer.map((t) => t.taskId),
      );
      assert.deepEqual(
        (await b.executions.getVisibilityTasks(shard, 0, 10)).map((t) => t.taskId),
        req.tasks.visibility.map((t) => t.taskId),
      );
      const timers = await b.executions.getTimerTasks(shard, Number.MAX_SAFE_INTEGER, 10);
      assert.deepEqual(
        timers.map((t) => [t.visibilityTimestampMs, t.taskId]),
        req.tasks.timer.map((t) => [t.visibilityTimestampMs, t.taskId]),
      );
      same(timers[0]!.task, req.tasks.timer[0]!.task, 'timer task blob');
      assert.deepEqual(await db!.counts(shard), {
        executions: 1,
        current_executions: 1,
        history_tree: 1,
        history_node: 1,
        transfer_tasks: 1,
        timer_tasks: 1,
        visibility_tasks: 1,
      });
      // other shards see none of it
      assert.equal(await b.executions.getWorkflowExecution(shard + 1000, k), undefined);
      assert.equal(await b.executions.getCurrentExecution(shard + 1000, 'ns-1', 'wf-create'), undefined);

      // a failure late in the transaction (duplicate task id on the last insert) rolls all of it back
      const before = await db!.counts(shard);
      const dupTask = tid();
      await assert.rejects(
        a.executions.createWorkflowExecution(
          createReq(shard, 1, key('wf-late-fail', 'run-lf'), {
            history: [batch(key('wf-late-fail', 'run-lf'), 1, 1), batch(key('wf-late-fail', 'run-lf'), 3, 2)],
            tasks: {
              transfer: [{ taskId: tid(), task: bl('t') }],
              timer: [{ visibilityTimestampMs: 9, taskId: tid(), task: bl('t') }],
              visibility: [
                { taskId: dupTask, task: bl('v') },
                { taskId: dupTask, task: bl('v') },
              ],
            },
          }),
        ),
      );
      assert.deepEqual(await db!.counts(shard), before, 'a create that failed on its last insert left rows behind');
      assert.equal(await b.executions.getCurrentExecution(shard, 'ns-1', 'wf-late-fail'), undefined);

      // workflow ids are case-sensitive
      await a.executions.createWorkflowExecution(createReq(shard, 1, key('WF-CREATE', 'run-c2')));
      assert.equal((await b.executions.getCurrentExecution(shard, 'ns-1', 'WF-CREATE'))?.runId, 'run-c2');
      assert.equal((await b.executions.getCurrentExecution(shard, 'ns-1', 'wf-create'))?.runId, 'run-c1');
    });

    test('a stale shard owner cannot create, update or delete tasks, and nothing of its transaction is written', { skip }, async () => {
      const shard = await freshShard(); // owner A holds range 1
      const k = key('wf-stale', 'run-s1');
      await a.executions.createWorkflowExecution(createReq(shard, 1, k));
      // owner B steals the shard
      await b.shards.updateShard(shard, 1, 2, bl('owner-b'));
      const before = await db!.counts(shard);

      await rejectsWith(a.executions.createWorkflowExecution(createReq(shard, 1, key('wf-stale-2', 'run-s2'))), ShardOwnershipLostError, 'stale create');
      await rejectsWith(
        a.executions.updateWorkflowExecution(
          updateReq(shard, 1, k, 1, { history: [batch(k, 3, 2)], tasks: someTasks('stale'), current: { state: 3, status: 2 } }),
        ),
        ShardOwnershipLostError,
        'stale update',
      );
      const [tr] = await a.executions.getTransferTasks(shard, 0, 1);
      const [ti] = await a.executions.getTimerTasks(shard, Number.MAX_SAFE_INTEGER, 1);
      const [vi] = await a.executions.getVisibilityTasks(shard, 0, 1);
      assert.ok(tr && ti && vi);
      await rejectsWith(a.executions.deleteTransferTasks(shard, 1, [tr.taskId]), ShardOwnershipLostError, 'stale transfer delete');
      await rejectsWith(
        a.executions.deleteTimerTasks(shard, 1, [{ visibilityTimestampMs: ti.visibilityTimestampMs, taskId: ti.taskId }]),
        ShardOwnershipLostError,
        'stale timer delete',
      );
      await rejectsWith(a.executions.deleteVisibilityTasks(shard, 1, [vi.taskId]), ShardOwnershipLostError, 'stale visibility delete');
      // a range id from the future is just as wrong
      await rejectsWith(a.executions.deleteTransferTasks(shard, 3, [tr.taskId]), ShardOwnershipLostError, 'future range id');
      // a shard that does not exist has no owner
      await rejectsWith(a.executions.createWorkflowExecution(createReq(8_888_888, 0, key('wf-x', 'run-x'))), ShardOwnershipLostError, 'missing shard');

      assert.deepEqual(await db!.counts(shard), before, 'the stale owner wrote something');
      assert.equal(await a.executions.getCurrentExecution(shard, 'ns-1', 'wf-stale-2'), undefined);
      const ex = await a.executions.getWorkflowExecution(shard, k);
      assert.equal(ex?.dbRecordVersion, 1, 'execution was updated by the stale owner');
      assert.equal((await a.executions.getCurrentExecution(shard, 'ns-1', 'wf-stale'))?.state, 1);
      assert.deepEqual(await db!.counts(8_888_888), Object.fromEntries(SHARD_TABLES.map((t) => [t, 0])));

      // the new owner can do all of it
      await b.executions.updateWorkflowExecution(updateReq(shard, 2, k, 1, { history: [batch(k, 3, 2)], tasks: NO_TASKS }));
      await b.executions.deleteTransferTasks(shard, 2, [tr.taskId]);
      await b.executions.deleteTimerTasks(shard, 2, [{ visibilityTimestampMs: ti.visibilityTimestampMs, taskId: ti.taskId }]);
      await b.executions.deleteVisibilityTasks(shard, 2, [vi.taskId]);
      const afterCounts = await db!.counts(shard);
      assert.equal(afterCounts.transfer_tasks, 0);
      assert.equal(afterCounts.timer_tasks, 0);
      assert.equal(afterCounts.visibility_tasks, 0);
      assert.equal(afterCounts.history_node, 2);
      assert.equal((await b.executions.getWorkflowExecution(shard, k))?.dbRecordVersion, 2);
    });

    test('create with an existing current run fails with ConditionFailedError and writes nothing; replace needs the right previous run', { skip }, async () => {
      const shard = await freshShard();
      const k1 = key('wf-dup', 'run-d1');
      await a.executions.createWorkflowExecution(createReq(shard, 1, k1));
      const before = await db!.counts(shard);

      await rejectsWith(a.executions.createWorkflowExecution(createReq(shard, 1, key('wf-dup', 'run-d2'))), ConditionFailedError, 'create over a current run');
      // the error names the run that holds the id (a start's already-started answer carries it)
      await assert.rejects(a.executions.createWorkflowExecution(createReq(shard, 1, key('wf-dup', 'run-d2'))), /current execution of wf-dup exists \(run-d1\)/);
      // so does a create too large for one statement (PostgreSQL then writes table by table)
      const big = key('wf-dup', 'run-d4');
      await assert.rejects(
        a.executions.createWorkflowExecution(createReq(shard, 1, big, { history: Array.from({ length: 210 }, (_, i) => batch(big, i + 1, i + 1)) })),
        (e: unknown) => e instanceof ConditionFailedError && /current execution of wf-dup exists \(run-d1\)/.test((e as Error).message),
      );
      await rejectsWith(
        a.executions.createWorkflowExecution(createReq(shard, 1, key('wf-dup', 'run-d2'), { previousRunId: 'run-other' })),
        ConditionFailedError,
        'replace with the wrong previous run',
      );
      await rejectsWith(
        a.executions.createWorkflowExecution(createReq(shard, 1, key('wf-dup-none', 'run-d3'), { previousRunId: 'run-d1' })),
        ConditionFailedError,
        'replace of a current row that does not exist',
      );
      assert.deepEqual(await db!.counts(shard), before, 'a failed create wrote something');
      assert.equal(await a.executions.getWorkflowExecution(shard, key('wf-dup', 'run-d2')), undefined);
      assert.deepEqual(await a.executions.readHistoryBranch(shard, 'run-d2', 'run-d2-b'), []);
      assert.equal((await a.executions.getCurrentExecution(shard, 'ns-1', 'wf-dup'))?.runId, 'run-d1');

      // replace with the right previous run: the current row moves to the new run, both runs exist
      const k2 = key('wf-dup', 'run-d2');
      const req = createReq(shard, 1, k2, { previousRunId: 'run-d1' });
      req.current.state = 2;
      req.current.status = 1;
      await a.executions.createWorkflowExecution(req);
      assert.deepEqual(await a.executions.getCurrentExecution(shard, 'ns-1', 'wf-dup'), {
        runId: 'run-d2',
        createRequestId: 'req-run-d2',
        state: 2,
        status: 1,
        startTimeMs: 1_700_000_000_123,
      });
      assert.ok(await a.executions.getWorkflowExecution(shard, k1));
      assert.ok(await a.executions.getWorkflowExecution(shard, k2));
      const c = await db!.counts(shard);
      assert.equal(c.executions, 2);
      assert.equal(c.current_executions, 1);
      assert.equal(c.history_tree, 2);
    });

    test('update with a wrong db_record_version fails with ConditionFailedError and writes nothing', { skip }, async () => {
      const shard = await freshShard();
      const k = key('wf-upd', 'run-u1');
      await a.executions.createWorkflowExecution(createReq(shard, 1, k));
      const before = await db!.counts(shard);
      for (const wrong of [0, 2, 7]) {
        await rejectsWith(
          a.executions.updateWorkflowExecution(
            updateReq(shard, 1, k, wrong, { history: [batch(k, 3, 2)], tasks: someTasks('wrong'), current: { state: 3, status: 2 } }),
          ),
          ConditionFailedError,
          `update expecting version ${wrong}`,
        );
      }
      await rejectsWith(
        a.executions.updateWorkflowExecution(updateReq(shard, 1, key('wf-upd', 'run-missing'), 1, { tasks: someTasks('missing') })),
        ConditionFailedError,
        'update of a missing execution',
      );
      assert.deepEqual(await db!.counts(shard), before, 'a failed update wrote something');
      const ex = await a.executions.getWorkflowExecution(shard, k);
      assert.equal(ex?.dbRecordVersion, 1);
      same(ex?.info, bl('info-run-u1'), 'execution info after failed updates');
      assert.equal((await a.executions.getCurrentExecution(shard, 'ns-1', 'wf-upd'))?.state, 1);

      // right version: everything lands; current row changes only when asked
      await a.executions.updateWorkflowExecution(updateReq(shard, 1, k, 1, { history: [batch(k, 3, 2)], tasks: someTasks('ok') }));
      assert.equal((await a.executions.getCurrentExecution(shard, 'ns-1', 'wf-upd'))?.state, 1);
      await a.executions.updateWorkflowExecution(updateReq(shard, 1, k, 2, { current: { state: 3, status: 2 } }));
      const cur = await a.executions.getCurrentExecution(shard, 'ns-1', 'wf-upd');
      assert.equal(cur?.state, 3);
      assert.equal(cur?.status, 2);
      assert.equal(cur?.runId, 'run-u1');
      const ex3 = await a.executions.getWorkflowExecution(shard, k);
      assert.equal(ex3?.dbRecordVersion, 3);
      assert.equal(ex3?.nextEventId, 5);
      same(ex3?.state, bl('state-v3', 'proto3/v1'), 'state after update');
      const c = await db!.counts(shard);
      assert.equal(c.history_node, before.history_node! + 1);
      assert.equal(c.transfer_tasks, before.transfer_tasks! + 1);
    });

    test('readHistoryBranch: node order, highest txn per node, one branch only', { skip }, async () => {
      const shard = await freshShard();
      const k = key('wf-hist', 'run-h1');
      const other = { ...batch(k, 1, 1, 'other-branch'), branchId: 'run-h1-other' };
      await a.executions.createWorkflowExecution(createReq(shard, 1, k, { history: [batch(k, 1, 1), other], tasks: NO_TASKS }));
      // node 7 written before node 3; node 3 rewritten by a later transaction (txn 5 beats txn 4)
      await a.executions.updateWorkflowExecution(updateReq(shard, 1, k, 1, { history: [batch(k, 7, 6, 'n7'), batch(k, 3, 4, 'n3-old')] }));
      await a.executions.updateWorkflowExecution(updateReq(shard, 1, k, 2, { history: [batch(k, 3, 5, 'n3-new')] }));
      await a.executions.updateWorkflowExecution(updateReq(shard, 1, k, 3, { history: [batch(k, 12, 3, 'n12')] }));
      const h = await b.executions.readHistoryBranch(shard, 'run-h1', 'run-h1-b');
      assert.deepEqual(
        h.map((x) => [x.treeId, x.branchId, x.nodeId, x.txnId, x.prevTxnId]),
        [
          ['run-h1', 'run-h1-b', 1, 1, 0],
          ['run-h1', 'run-h1-b', 3, 5, 4],
          ['run-h1', 'run-h1-b', 7, 6, 5],
          ['run-h1', 'run-h1-b', 12, 3, 2],
        ],
      );
      same(h[1]!.events, bl('events-n3-new'), 'the highest txn of node 3');
      const o = await b.executions.readHistoryBranch(shard, 'run-h1', 'run-h1-other');
      assert.deepEqual(
        o.map((x) => x.nodeId),
        [1],
      );
      same(o[0]!.events, bl('events-other-branch'), 'other branch');
      assert.deepEqual(await b.executions.readHistoryBranch(shard + 1000, 'run-h1', 'run-h1-b'), [], 'another shard');
    });

    test(
      'readHistoryBranchFrom: the page starts at the batch holding the event, never reads before it, and keeps the highest txn per node',
      { skip },
      async () => {
        const shard = await freshShard();
        const k = key('wf-hist-from', 'run-hf');
        // batches starting at events 1, 3, 7 (7..11) and 12; node 3 written twice
        await a.executions.createWorkflowExecution(createReq(shard, 1, k, { history: [batch(k, 1, 1)], tasks: NO_TASKS }));
        await a.executions.updateWorkflowExecution(updateReq(shard, 1, k, 1, { history: [batch(k, 3, 4, 'n3-old'), batch(k, 7, 6, 'n7')] }));
        await a.executions.updateWorkflowExecution(updateReq(shard, 1, k, 2, { history: [batch(k, 3, 5, 'n3-new'), batch(k, 12, 7, 'n12')] }));
        const from = async (id: number, limit = 100) =>
          (await b.executions.readHistoryBranchFrom(shard, 'run-hf', 'run-hf-b', id, limit)).map((x) => [x.nodeId, x.txnId]);
        assert.deepEqual(await from(1), [
          [1, 1],
          [3, 5],
          [7, 6],
          [12, 7],
        ]);
        assert.deepEqual(
          await from(9),
          [
            [7, 6],
            [12, 7],
          ],
          'event 9 lives in the batch of node 7',
        );
        assert.deepEqual(await from(12), [[12, 7]]);
        assert.deepEqual(await from(40), [[12, 7]], 'past the end: the last batch');
        assert.deepEqual(
          await from(1, 2),
          [
            [1, 1],
            [3, 5],
          ],
          'limit',
        );
        same((await b.executions.readHistoryBranchFrom(shard, 'run-hf', 'run-hf-b', 4, 1))[0]!.events, bl('events-n3-new'), 'the highest txn of node 3');
        assert.deepEqual(await b.executions.readHistoryBranchFrom(shard, 'no-such-tree', 'run-hf-b', 1, 10), [], 'no such branch');
      },
    );

    test('executed tasks are deleted many at a time, fenced by range_id; more keys than one statement carries', { skip }, async () => {
      const shard = await freshShard();
      const k = key('wf-many-delete', 'run-md');
      const ids = Array.from({ length: 450 }, (_, i) => 1_000 + i);
      await a.executions.createWorkflowExecution(
        createReq(shard, 1, k, {
          tasks: {
            transfer: ids.map((id) => ({ taskId: id, task: bl(`t${id}`) })),
            visibility: [11, 21, 31].map((id) => ({ taskId: id, task: bl(`v${id}`) })),
            timer: [
              [1_000, 5],
              [2_000, 3],
              [2_000, 9],
              [3_000, 1],
            ].map(([ts, id]) => ({ visibilityTimestampMs: ts!, taskId: id!, task: bl(`timer${id}`) })),
          },
        }),
      );
      const ex = b.executions;
      await rejectsWith(a.executions.deleteTransferTasks(shard, 0, ids), ShardOwnershipLostError, 'stale owner, transfer');
      await rejectsWith(a.executions.deleteTimerTasks(shard, 2, [{ visibilityTimestampMs: 1_000, taskId: 5 }]), ShardOwnershipLostError, 'wrong owner, timer');
      await a.executions.deleteTransferTasks(shard, 1, ids.slice(0, 449)); // three statements, one transaction
      await a.executions.deleteVisibilityTasks(shard, 1, [11, 31, 99]);
      await a.executions.deleteTimerTasks(shard, 1, [
        { visibilityTimestampMs: 2_000, taskId: 3 },
        { visibilityTimestampMs: 1_000, taskId: 5 },
        { visibilityTimestampMs: 3_000, taskId: 9 }, // no such timer: nothing
      ]);
      await a.executions.deleteTransferTasks(shard, 1, []);
      assert.deepEqual(
        (await ex.getTransferTasks(shard, 0, 10)).map((t) => t.taskId),
        [1_449],
      );
      assert.deepEqual(
        (await ex.getVisibilityTasks(shard, 0, 10)).map((t) => t.taskId),
        [21],
      );
      assert.deepEqual(
        (await ex.getTimerTasks(shard, Number.MAX_SAFE_INTEGER, 10)).map((t) => [t.visibilityTimestampMs, t.taskId]),
        [
          [2_000, 9],
          [3_000, 1],
        ],
        'only the named (timestamp, id) pairs',
      );
    });

    test('transfer, visibility and timer tasks: reads in order, paging, deletes, next timer', { skip }, async () => {
      const shard = await freshShard();
      const noise = await freshShard(); // tasks of another shard must not show
      const k = key('wf-tasks', 'run-t1');
      const timers = [
        { visibilityTimestampMs: 3_000, taskId: 50 },
        { visibilityTimestampMs: 1_000, taskId: 90 },
        { visibilityTimestampMs: 1_000, taskId: 20 },
        { visibilityTimestampMs: 2_000, taskId: 10 },
        { visibilityTimestampMs: 2_000_000_000_000, taskId: 5 }, // BIGINT range
      ].map((t) => ({ ...t, task: bl(`timer-${t.taskId}`) }));
      await a.executions.createWorkflowExecution(
        createReq(shard, 1, k, {
          tasks: {
            transfer: [30, 10, 20].map((id) => ({ taskId: id, task: bl(`transfer-${id}`) })),
            visibility: [300, 100, 200].map((id) => ({ taskId: id, task: bl(`vis-${id}`) })),
            timer: timers,
          },
        }),
      );
      await a.executions.createWorkflowExecution(
        createReq(noise, 1, key('wf-noise', 'run-n1'), {
          tasks: {
            transfer: [{ taskId: 15, task: bl('n') }],
            visibility: [{ taskId: 150, task: bl('n') }],
            timer: [{ visibilityTimestampMs: 500, taskId: 1, task: bl('n') }],
          },
        }),
      );

      const ex = b.executions;
      assert.deepEqual(
        (await ex.getTransferTasks(shard, 0, 10)).map((t) => t.taskId),
        [10, 20, 30],
      );
      assert.deepEqual(
        (await ex.getTransferTasks(shard, 10, 10)).map((t) => t.taskId),
        [20, 30],
        'afterTaskId is exclusive',
      );
      assert.deepEqual(
        (await ex.getTransferTasks(shard, 0, 2)).map((t) => t.taskId),
        [10, 20],
        'limit',
      );
      same((await ex.getTransferTasks(shard, 19, 1))[0]?.task, bl('transfer-20'), 'transfer blob');
      assert.deepEqual(
        (await ex.getVisibilityTasks(shard, 100, 10)).map((t) => t.taskId),
        [200, 300],
      );
      same((await ex.getVisibilityTasks(shard, 0, 1))[0]?.task, bl('vis-100'), 'visibility blob');

      const all = await ex.getTimerTasks(shard, Number.MAX_SAFE_INTEGER, 10);
      assert.deepEqual(
        all.map((t) => [t.visibilityTimestampMs, t.taskId]),
        [
          [1_000, 20],
          [1_000, 90],
          [2_000, 10],
          [3_000, 50],
          [2_000_000_000_000, 5],
        ],
        'timers ordered by timestamp, then task id',
      );
      same(all[1]!.task, bl('timer-90'), 'timer blob');
      assert.deepEqual(
        (await ex.getTimerTasks(shard, 2_000, 10)).map((t) => t.taskId),
        [20, 90],
        'beforeTimestampMs is exclusive',
      );
      assert.deepEqual(
        (await ex.getTimerTasks(shard, 2_001, 2)).map((t) => t.taskId),
        [20, 90],
        'limit',
      );
      assert.equal(await ex.getNextTimerTimestamp(shard), 1_000);

      await a.executions.deleteTimerTasks(shard, 1, [{ visibilityTimestampMs: 1_000, taskId: 20 }]);
      assert.equal(await ex.getNextTimerTimestamp(shard), 1_000);
      await a.executions.deleteTimerTasks(shard, 1, [{ visibilityTimestampMs: 1_000, taskId: 90 }]);
      assert.equal(await ex.getNextTimerTimestamp(shard), 2_000);
      await a.executions.deleteTimerTasks(shard, 1, [{ visibilityTimestampMs: 3_000, taskId: 10 }]); // wrong timestamp: nothing deleted
      assert.equal(await ex.getNextTimerTimestamp(shard), 2_000);
      await a.executions.deleteTimerTasks(shard, 1, [{ visibilityTimestampMs: 2_000, taskId: 10 }]);
      await a.executions.deleteTimerTasks(shard, 1, [{ visibilityTimestampMs: 3_000, taskId: 50 }]);
      assert.equal(await ex.getNextTimerTimestamp(shard), 2_000_000_000_000);
      await a.executions.deleteTimerTasks(shard, 1, [{ visibilityTimestampMs: 2_000_000_000_000, taskId: 5 }]);
      assert.equal(await ex.getNextTimerTimestamp(shard), undefined);
      assert.equal(await ex.getNextTimerTimestamp(7_777_777), undefined, 'shard without timers');

      await a.executions.deleteTransferTasks(shard, 1, [20]);
      await a.executions.deleteTransferTasks(shard, 1, [999]); // missing: no error
      assert.deepEqual(
        (await ex.getTransferTasks(shard, 0, 10)).map((t) => t.taskId),
        [10, 30],
      );
      await a.executions.deleteVisibilityTasks(shard, 1, [100]);
      assert.deepEqual(
        (await ex.getVisibilityTasks(shard, 0, 10)).map((t) => t.taskId),
        [200, 300],
      );

      // the other shard is untouched
      assert.deepEqual(
        (await ex.getTransferTasks(noise, 0, 10)).map((t) => t.taskId),
        [15],
      );
      assert.deepEqual(
        (await ex.getVisibilityTasks(noise, 0, 10)).map((t) => t.taskId),
        [150],
      );
      assert.equal(await ex.getNextTimerTimestamp(noise), 500);
    });

    test('task queues: lease bumps range_id; createTasks with a stale range_id fails and writes nothing', { skip }, async () => {
      const wf: TaskQueueKey = { namespaceId: 'ns-1', name: 'tq-conf', taskType: 1 };
      const act: TaskQueueKey = { ...wf, taskType: 2 };
      assert.equal(await a.tasks.leaseTaskQueue(wf, bl('tq')), 1);
      assert.equal(await b.tasks.leaseTaskQueue(wf, bl('tq')), 2);
      assert.equal(await a.tasks.leaseTaskQueue(act, bl('tq')), 1, 'task types are separate queues');

      await b.tasks.createTasks(
        wf,
        2,
        [30, 10, 20].map((id) => ({ taskId: id, task: bl(`task-${id}`) })),
      );
      await rejectsWith(a.tasks.createTasks(wf, 1, [{ taskId: 40, task: bl('stale') }]), ConditionFailedError, 'stale range_id');
      await rejectsWith(a.tasks.createTasks(wf, 3, [{ taskId: 41, task: bl('future') }]), ConditionFailedError, 'future range_id');
      await rejectsWith(
        a.tasks.createTasks({ ...wf, name: 'tq-missing' }, 1, [{ taskId: 42, task: bl('missing') }]),
        ConditionFailedError,
        'queue never leased',
      );
      assert.deepEqual(
        (await a.tasks.getTasks(wf, 0, 100)).map((t) => t.taskId),
        [10, 20, 30],
        'no task of a failed createTasks',
      );
      assert.deepEqual(await a.tasks.getTasks({ ...wf, name: 'tq-missing' }, 0, 100), []);
      assert.deepEqual(await a.tasks.getTasks(act, 0, 100), []);
      assert.deepEqual(
        (await a.tasks.getTasks(wf, 10, 1)).map((t) => t.taskId),
        [20],
        'after + limit',
      );
      same((await a.tasks.getTasks(wf, 0, 1))[0]?.task, bl('task-10'), 'task blob');
      await a.tasks.deleteTask(wf, 20);
      assert.deepEqual(
        (await a.tasks.getTasks(wf, 0, 100)).map((t) => t.taskId),
        [10, 30],
      );

      // after another lease the old range_id is fenced off
      assert.equal(await a.tasks.leaseTaskQueue(wf, bl('tq')), 3);
      await rejectsWith(b.tasks.createTasks(wf, 2, [{ taskId: 50, task: bl('x') }]), ConditionFailedError, 'range_id 2 after lease 3');
      await a.tasks.createTasks(wf, 3, [{ taskId: 50, task: bl('x') }]);

      const listed = await b.tasks.listTaskQueues();
      const has = (q: TaskQueueKey) => listed.some((l) => l.namespaceId === q.namespaceId && l.name === q.name && l.taskType === q.taskType);
      assert.ok(has(wf) && has(act), `listTaskQueues: ${JSON.stringify(listed)}`);
      assert.ok(!listed.some((l) => l.name === 'tq-missing'));
    });

    test('namespaces: create (duplicate name -> false), get by name and id, list', { skip }, async () => {
      assert.equal(await a.namespaces.createNamespace({ id: 'id-zeta', name: 'zeta', info: bl('zeta'), isGlobal: false }), true);
      assert.equal(await b.namespaces.createNamespace({ id: 'id-alpha', name: 'alpha', info: bl('alpha'), isGlobal: true }), true);
      assert.equal(await a.namespaces.createNamespace({ id: 'id-other', name: 'zeta', info: bl('zeta-2'), isGlobal: true }), false);
      assert.equal(await a.namespaces.createNamespace({ id: 'id-Beta', name: 'Beta', info: bl('Beta'), isGlobal: false }), true);

      const z = await b.namespaces.getNamespaceByName('zeta');
      assert.ok(z);
      assert.equal(z.id, 'id-zeta');
      assert.equal(z.isGlobal, false);
      same(z.info, bl('zeta'), 'the first zeta stays');
      const al = await b.namespaces.getNamespaceById('id-alpha');
      assert.equal(al?.name, 'alpha');
      assert.equal(al?.isGlobal, true);
      assert.ok(al!.notificationVersion > z.notificationVersion, 'notification versions increase');
      assert.equal(await b.namespaces.getNamespaceById('id-other'), undefined);
      assert.equal(await b.namespaces.getNamespaceByName('nope'), undefined);
      const list = await b.namespaces.listNamespaces();
      assert.deepEqual(
        list.map((n) => n.name),
        ['Beta', 'alpha', 'zeta'],
        'ordered by name, byte order',
      );
      assert.equal(new Set(list.map((n) => n.notificationVersion)).size, 3, 'distinct notification versions');
    });

    test('namespaces: updateNamespace replaces the info and bumps the notification version; a missing one -> false', { skip }, async () => {
      assert.equal(await a.namespaces.createNamespace({ id: 'id-upd', name: 'upd', info: bl('upd-1'), isGlobal: false }), true);
      const before = (await b.namespaces.getNamespaceByName('upd'))!;
      assert.equal(await b.namespaces.updateNamespace({ id: 'id-upd', name: 'upd', info: bl('upd-2'), isGlobal: false }), true);
      const after = (await a.namespaces.getNamespaceById('id-upd'))!;
      same(after.info, bl('upd-2'), 'updated info');
      assert.ok(after.notificationVersion > before.notificationVersion, 'the notification version moves on');
      assert.equal(await a.namespaces.updateNamespace({ id: 'id-nope', name: 'nope', info: bl('x'), isGlobal: false }), false);
      assert.equal(
        await a.namespaces.updateNamespace({ id: 'id-upd', name: 'other-name', info: bl('x'), isGlobal: false }),
        false,
        'id and name must both match',
      );
    });

    test('deleteWorkflowExecution removes the run (execution, current row, history) and is fenced', { skip }, async () => {
      const shard = await freshShard();
      const k = key('wf-delete', 'run-d1');
      await a.executions.createWorkflowExecution(createReq(shard, 1, k));
      await rejectsWith(b.executions.deleteWorkflowExecution(shard, 0, k), ShardOwnershipLostError, 'delete with a stale range id');
      assert.ok(await b.executions.getWorkflowExecution(shard, k));
      await a.executions.deleteWorkflowExecution(shard, 1, k);
      assert.equal(await b.executions.getWorkflowExecution(shard, k), undefined);
      assert.equal(await b.executions.getCurrentExecution(shard, 'ns-1', 'wf-delete'), undefined);
      const counts = await db!.counts(shard);
      assert.equal(counts.executions, 0);
      assert.equal(counts.current_executions, 0);
      assert.equal(counts.history_node, 0);
      assert.equal(counts.history_tree, 0);
      // a current row that points at a newer run stays
      const k2 = key('wf-delete2', 'run-d2');
      const k3 = key('wf-delete2', 'run-d3');
      await a.executions.createWorkflowExecution(createReq(shard, 1, k2));
      await a.executions.createWorkflowExecution(createReq(shard, 1, k3, { previousRunId: 'run-d2' }));
      await a.executions.deleteWorkflowExecution(shard, 1, k2);
      assert.equal((await b.executions.getCurrentExecution(shard, 'ns-1', 'wf-delete2'))?.runId, 'run-d3');
      assert.ok(await b.executions.getWorkflowExecution(shard, k3));
      // deleting twice is harmless
      await a.executions.deleteWorkflowExecution(shard, 1, k2);
    });

    test('cluster metadata: insert once, then compare-and-set on version', { skip }, async () => {
      const c = a.cluster;
      assert.equal(await c.getClusterMetadata('conf-cluster'), undefined);
      assert.equal(await c.saveClusterMetadata('conf-cluster', bl('v1'), undefined), true);
      assert.equal(await b.cluster.saveClusterMetadata('conf-cluster', bl('v1-again'), undefined), false, 'second insert');
      let m = await b.cluster.getClusterMetadata('conf-cluster');
      assert.equal(m?.version, 1);
      same(m?.info, bl('v1'), 'info after insert');
      assert.equal(await c.saveClusterMetadata('conf-cluster', bl('v2'), 1), true);
      assert.equal(await b.cluster.saveClusterMetadata('conf-cluster', bl('v2-b'), 1), false, 'CAS from a stale version');
      assert.equal(await b.cluster.saveClusterMetadata('conf-cluster', bl('v2-c'), 5), false, 'CAS from a future version');
      assert.equal(await b.cluster.saveClusterMetadata('other-cluster', bl('o'), 1), false, 'CAS of a missing row');
      m = await b.cluster.getClusterMetadata('conf-cluster');
      assert.equal(m?.version, 2);
      same(m?.info, bl('v2'), 'info after CAS');
      assert.equal(await b.cluster.getClusterMetadata('other-cluster'), undefined);
    });

    test('cluster membership: register, heartbeat (upsert), expiry, graceful removal, pruning', { skip }, async () => {
      const t0 = 1_800_000_000_000;
      const member = (hostId: string, role: MemberRole, at: number, port = 7234): MemberRow => ({
        hostId,
        role,
        rpcAddress: '10.0.0.1',
        rpcPort: port,
        identity: `host-${hostId}:42`,
        serverVersion: '0.3.0',
        sessionStartMs: t0,
        lastHeartbeatMs: at,
        recordExpiryMs: at + 10_000,
      });
      await a.membership.upsertMember(member('h1', 'history', t0));
      await a.membership.upsertMember(member('h1', 'matching', t0, 7235));
      await b.membership.upsertMember(member('h2', 'history', t0 + 1000));
      assert.deepEqual(
        (await b.membership.listMembers(t0 + 5_000, 'history')).map((m) => m.hostId),
        ['h1', 'h2'],
      );
      assert.deepEqual(await a.membership.listMembers(t0 + 5_000, 'matching'), [member('h1', 'matching', t0, 7235)], 'every column round-trips');
      // a heartbeat is an upsert: one row, new heartbeat and expiry, session start kept
      await a.membership.upsertMember({ ...member('h1', 'history', t0 + 9_000), sessionStartMs: 1 });
      const [h1] = (await b.membership.listMembers(t0 + 10_500, 'history')).filter((m) => m.hostId === 'h1');
      assert.equal(h1?.lastHeartbeatMs, t0 + 9_000);
      assert.equal(h1?.sessionStartMs, t0, 'a heartbeat does not move the session start');
      // expiry: h1's matching row (expired at t0 + 10 s) is gone from the live view, kept in the full one
      assert.deepEqual(
        (await b.membership.listMembers(t0 + 10_500)).map((m) => `${m.hostId}/${m.role}`),
        ['h1/history', 'h2/history'],
      );
      assert.equal((await b.membership.listAllMembers()).length, 3);
      // graceful stop removes every role of the host at once
      await a.membership.removeMember('h1');
      assert.deepEqual(
        (await b.membership.listAllMembers()).map((m) => `${m.hostId}/${m.role}`),
        ['h2/history'],
      );
      assert.equal(await a.membership.pruneExpired(t0 + 11_000), 0, 'h2 expires at t0 + 11 s: not before');
      assert.equal(await a.membership.pruneExpired(t0 + 11_001), 1);
      assert.deepEqual(await b.membership.listAllMembers(), []);
      // shards are listed with their owners' info
      const shard = await freshShard();
      const listed = (await b.shards.listShards()).find((s) => s.shardId === shard);
      assert.equal(listed?.rangeId, 1);
      same(listed?.info, bl('shard-info-1'), 'listed shard info');
    });

    test('concurrency: two owners racing on one execution, one shard, one workflow id, one queue, one namespace', { skip }, async () => {
      const shard = await freshShard();
      const k = key('wf-race', 'run-r1');
      await a.executions.createWorkflowExecution(createReq(shard, 1, k, { tasks: NO_TASKS }));

      // same expected version from both processes: exactly one update wins, the loser writes nothing
      for (let v = 1; v <= 6; v++) {
        const reqA = updateReq(shard, 1, k, v, { tag: `A${v}`, history: [batch(k, 10 * v, 2 * v, `A${v}`)], tasks: someTasks(`A${v}`) });
        const reqB = updateReq(shard, 1, k, v, { tag: `B${v}`, history: [batch(k, 10 * v, 2 * v + 1, `B${v}`)], tasks: someTasks(`B${v}`) });
        const before = await db!.counts(shard);
        const [ra, rb] = await Promise.allSettled([a.executions.updateWorkflowExecution(reqA), b.executions.updateWorkflowExecution(reqB)]);
        const won = [ra, rb].filter((r) => r.status === 'fulfilled').length;
        assert.equal(won, 1, `round ${v}: ${won} updates won (${[ra, rb].map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok')).join('; ')})`);
        const lost = [ra, rb].find((r) => r.status === 'rejected') as PromiseRejectedResult;
        assert.ok(lost.reason instanceof ConditionFailedError, `round ${v}: loser got ${String(lost.reason)}`);
        const winner = ra.status === 'fulfilled' ? 'A' : 'B';
        const ex = await a.executions.getWorkflowExecution(shard, k);
        assert.equal(ex?.dbRecordVersion, v + 1);
        same(ex?.info, bl(`info-${winner}${v}`), `round ${v}: execution is the winner's`);
        const after = await db!.counts(shard);
        assert.equal(after.history_node, before.history_node! + 1, `round ${v}: only the winner's history`);
        assert.equal(after.transfer_tasks, before.transfer_tasks! + 1, `round ${v}: only the winner's tasks`);
        const node = (await a.executions.readHistoryBranch(shard, k.runId, `${k.runId}-b`)).find((h) => h.nodeId === 10 * v);
        same(node?.events, bl(`events-${winner}${v}`), `round ${v}: history is the winner's`);
      }

      // both try to take the shard from range 1: one CAS wins; only its updates go through afterwards
      const steal = await Promise.allSettled([a.shards.updateShard(shard, 1, 2, bl('A')), b.shards.updateShard(shard, 1, 2, bl('B'))]);
      assert.equal(steal.filter((r) => r.status === 'fulfilled').length, 1, 'exactly one shard CAS wins');
      const [owner, loser] = steal[0]!.status === 'fulfilled' ? [a, b] : [b, a];
      const rangeOf = (p: PersistenceBundle) => (p === owner ? 2 : 1);
      const ver = (await a.executions.getWorkflowExecution(shard, k))!.dbRecordVersion;
      const res = await Promise.allSettled(
        [owner, loser].map((p, i) =>
          p.executions.updateWorkflowExecution(updateReq(shard, rangeOf(p), k, ver, { tag: `steal${i}`, tasks: someTasks(`steal${i}`) })),
        ),
      );
      assert.equal(res[0]!.status, 'fulfilled', `the new owner's update: ${res[0]!.status === 'rejected' ? String(res[0]!.reason) : ''}`);
      assert.ok(res[1]!.status === 'rejected' && res[1]!.reason instanceof ShardOwnershipLostError, 'the old owner is fenced');
      same((await b.executions.getWorkflowExecution(shard, k))?.info, bl('info-steal0'), 'execution after the steal race');

      // two starts of the same workflow id: exactly one creates it
      const starts = await Promise.allSettled([
        a.executions.createWorkflowExecution(createReq(shard, 2, key('wf-start-race', 'run-sa'))),
        b.executions.createWorkflowExecution(createReq(shard, 2, key('wf-start-race', 'run-sb'))),
      ]);
      assert.equal(
        starts.filter((r) => r.status === 'fulfilled').length,
        1,
        `starts: ${starts.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok')).join('; ')}`,
      );
      const failed = starts.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.ok(failed.reason instanceof ConditionFailedError, `losing start got ${String(failed.reason)}`);
      const cur = await a.executions.getCurrentExecution(shard, 'ns-1', 'wf-start-race');
      const loserRun = cur?.runId === 'run-sa' ? 'run-sb' : 'run-sa';
      assert.equal(await a.executions.getWorkflowExecution(shard, key('wf-start-race', loserRun)), undefined, 'losing start wrote its execution');
      assert.deepEqual(await a.executions.readHistoryBranch(shard, loserRun, `${loserRun}-b`), [], 'losing start wrote history');

      // leases of a new queue from both: distinct range ids 1 and 2
      const q: TaskQueueKey = { namespaceId: 'ns-1', name: 'tq-race', taskType: 1 };
      const leases = await Promise.all([a.tasks.leaseTaskQueue(q, bl('a')), b.tasks.leaseTaskQueue(q, bl('b'))]);
      assert.deepEqual([...leases].sort(), [1, 2]);

      // the same namespace name from both: exactly one is created
      const ns = await Promise.all([
        a.namespaces.createNamespace({ id: 'id-race-a', name: 'race', info: bl('a'), isGlobal: false }),
        b.namespaces.createNamespace({ id: 'id-race-b', name: 'race', info: bl('b'), isGlobal: false }),
      ]);
      assert.deepEqual([...ns].sort(), [false, true]);
    });

    test('data rewrite rows: scanExecutions pages in key order; replaceExecutionInfos only where version and encoding still match', { skip }, async () => {
      // keys that differ in each column of the primary key, so every branch of the keyset condition counts
      const shard = await freshShard();
      const keys = [
        key('wf-scan-a', 'run-scan-1'),
        key('wf-scan-a', 'run-scan-2'),
        key('wf-scan-b', 'run-scan-3'),
        { ...key('wf-scan-a', 'run-scan-4'), namespaceId: 'ns-2' },
      ];
      await a.executions.createWorkflowExecution(createReq(shard, 1, keys[0]!, { tasks: NO_TASKS }));
      await a.executions.createWorkflowExecution(createReq(shard, 1, keys[1]!, { tasks: NO_TASKS, previousRunId: 'run-scan-1' }));
      await a.executions.createWorkflowExecution(createReq(shard, 1, keys[2]!, { tasks: NO_TASKS }));
      await a.executions.createWorkflowExecution(createReq(shard, 1, keys[3]!, { tasks: NO_TASKS }));
      await a.executions.createWorkflowExecution(createReq(shard + 1000, 0, key('wf-x', 'run-x'), { tasks: NO_TASKS })).catch(() => undefined); // no such shard: nothing

      const all = await b.dataRewrite.scanExecutions(undefined, 100_000);
      assert.equal(all.length, await b.dataRewrite.countExecutions());
      const paged: typeof all = [];
      for (let after: (typeof all)[number]['key'] | undefined; ;) {
        const page = await b.dataRewrite.scanExecutions(after, 3);
        paged.push(...page);
        if (page.length < 3 || paged.length > all.length) break; // (a wrong keyset condition could page forever)
        after = page[page.length - 1]!.key;
      }
      const id = (r: (typeof all)[number]) => `${r.key.shardId}/${r.key.namespaceId}/${r.key.workflowId}/${r.key.runId}`;
      assert.deepEqual(paged.map(id), all.map(id), 'pages of 3 give the rows of one scan, in order, once each');
      const mine = all.filter((r) => r.key.shardId === shard);
      assert.deepEqual(
        mine.map((r) => `${r.key.namespaceId}/${r.key.workflowId}/${r.key.runId}`),
        ['ns-1/wf-scan-a/run-scan-1', 'ns-1/wf-scan-a/run-scan-2', 'ns-1/wf-scan-b/run-scan-3', 'ns-2/wf-scan-a/run-scan-4'],
      );
      same(mine[0]!.info, bl('info-run-scan-1'), 'scanned blob');

      // an owner updates run-scan-2 after the scan: its replacement must not land
      await a.executions.updateWorkflowExecution(updateReq(shard, 1, keys[1]!, 1));
      const replaced = await b.dataRewrite.replaceExecutionInfos(mine.map((row) => ({ row, info: bl(`rewritten-${row.key.runId}`, 'json/v9') })));
      assert.deepEqual(replaced, [true, false, true, true]);
      same((await a.executions.getWorkflowExecution(shard, keys[0]!))?.info, bl('rewritten-run-scan-1', 'json/v9'), 'rewritten row');
      assert.equal((await a.executions.getWorkflowExecution(shard, keys[0]!))?.dbRecordVersion, 1, 'a rewrite keeps db_record_version');
      same((await a.executions.getWorkflowExecution(shard, keys[1]!))?.info, bl('info-v2'), "the owner's newer row");
      assert.deepEqual(await b.dataRewrite.replaceExecutionInfos([]), []);
      assert.ok(((await b.dataRewrite.countExecutionsByEncoding()).get('json/v9') ?? 0) >= 3);

      // the rewrite's own record: inserted once, then updated in place
      const rec = {
        store: 'conf',
        targetFormat: 9,
        cursor: Buffer.from([0, 255, 7]),
        rowsRewritten: 1,
        rowsTotal: 4,
        rowsScanned: 2,
        startedMs: 10,
        updatedMs: 11,
        completedMs: undefined,
      };
      await a.dataRewrite.saveDataRewrite(rec);
      await a.dataRewrite.saveDataRewrite({ ...rec, rowsRewritten: 3, rowsScanned: 4, cursor: undefined, completedMs: 12 });
      const recs = (await b.dataRewrite.listDataRewrites()).filter((r) => r.store === 'conf');
      assert.deepEqual(recs, [{ ...rec, rowsRewritten: 3, rowsScanned: 4, cursor: undefined, completedMs: 12 }]);
    });

    test('multi-row inserts: a write with more history batches and tasks than one INSERT carries lands whole, or not at all', { skip }, async () => {
      const shard = await freshShard();
      const k = key('wf-many', 'run-many');
      await a.executions.createWorkflowExecution(createReq(shard, 1, k, { tasks: NO_TASKS }));
      const many = (n: number, tag: string): NewTasks => ({
        transfer: Array.from({ length: n }, (_, i) => ({ taskId: tid(), task: bl(`${tag}-t${i}`) })),
        timer: Array.from({ length: n }, (_, i) => ({ visibilityTimestampMs: 1_000 + i, taskId: tid(), task: bl(`${tag}-ti${i}`) })),
        visibility: Array.from({ length: n }, (_, i) => ({ taskId: tid(), task: bl(`${tag}-v${i}`) })),
      });
      const history = Array.from({ length: 450 }, (_, i) => batch(k, 10 + i, 10 + i));
      const before = await db!.counts(shard);
      // the last visibility task repeats a task id: the whole write fails, none of its 1,800 rows stay
      const bad = many(450, 'bad');
      bad.visibility.push({ taskId: bad.visibility[0]!.taskId, task: bl('dup') });
      await assert.rejects(a.executions.updateWorkflowExecution(updateReq(shard, 1, k, 1, { history, tasks: bad })));
      assert.deepEqual(await db!.counts(shard), before);
      assert.equal((await a.executions.getWorkflowExecution(shard, k))?.dbRecordVersion, 1);

      const good = many(450, 'good');
      await a.executions.updateWorkflowExecution(updateReq(shard, 1, k, 1, { history, tasks: good }));
      const after = await db!.counts(shard);
      assert.equal(after.history_node, before.history_node! + 450);
      assert.equal(after.transfer_tasks, 450);
      assert.equal(after.timer_tasks, 450);
      assert.equal(after.visibility_tasks, 450);
      const read = await b.executions.readHistoryBranch(shard, k.runId, `${k.runId}-b`);
      assert.deepEqual(
        read.slice(1).map((h) => h.nodeId),
        history.map((h) => h.nodeId),
      );
      same(read[450]!.events, history[449]!.events, 'last history batch');
      const transfers = await b.executions.getTransferTasks(shard, 0, 1_000);
      assert.deepEqual(
        transfers.map((t) => t.taskId),
        good.transfer.map((t) => t.taskId),
      );
      same(transfers[449]!.task, good.transfer[449]!.task, 'last transfer task');
    });

    test(
      'shard fence: writes of one shard do not wait for each other; a range_id bump waits for the writes holding the fence, and fences out those after it',
      { skip: skip || (engine === 'sqlite' ? 'one writer at a time: no row locks' : false) },
      async () => {
        const shard = await freshShard();
        const x: SqlExecutor = await openSqlExecutor(db!.config);
        try {
          const d = x.dialect;
          const sleep = engine === 'postgres12' ? 'SELECT pg_sleep(0.8)' : 'SELECT SLEEP(0.8)';
          const order: string[] = [];
          // a write that holds the fence for a while
          const slow = x
            .transact(function* (): Program<void> {
              yield* fenceShard(d, shard, 1);
              yield stmt(sleep);
              yield stmt('INSERT INTO transfer_tasks (shard_id, task_id, data, data_encoding) VALUES (?, ?, ?, ?)', [shard, 1, Buffer.from('slow'), 'json/v1']);
            })
            .then(() => order.push('slow write'));
          await new Promise((r) => setTimeout(r, 200));
          // another write of the same shard goes through while the slow one still holds the fence
          await x.transact(function* (): Program<void> {
            yield* fenceShard(d, shard, 1);
            yield stmt('INSERT INTO transfer_tasks (shard_id, task_id, data, data_encoding) VALUES (?, ?, ?, ?)', [shard, 2, Buffer.from('quick'), 'json/v1']);
          });
          order.push('quick write');
          // a new owner's bump waits for the slow write, which therefore still commits under range 1
          const bump = b.shards.updateShard(shard, 1, 2, bl('owner-b')).then(() => order.push('bump'));
          await Promise.all([slow, bump]);
          assert.deepEqual(order, ['quick write', 'slow write', 'bump']);
          // after the bump, range 1 is fenced out
          await rejectsWith(
            x.transact(function* (): Program<void> {
              yield* fenceShard(d, shard, 1);
            }),
            ShardOwnershipLostError,
            'a write under the old range after the bump',
          );
          assert.equal((await db!.counts(shard)).transfer_tasks, 2);
        } finally {
          await x.close();
        }
      },
    );

    test(
      'shard fence: a write under the old range_id that meets a range_id bump in flight waits for it and is fenced out, writing nothing',
      { skip: skip || (engine === 'sqlite' ? 'one writer at a time: no row locks' : false) },
      async () => {
        const shard = await freshShard(); // owner A holds range 1
        const k = key('wf-bump-race', 'run-br1');
        await a.executions.createWorkflowExecution(createReq(shard, 1, k));
        const [tr] = await a.executions.getTransferTasks(shard, 0, 1);
        assert.ok(tr);
        const before = await db!.counts(shard);
        const x: SqlExecutor = await openSqlExecutor(db!.config);
        try {
          const sleep = engine === 'postgres12' ? 'SELECT pg_sleep(0.8)' : 'SELECT SLEEP(0.8)';
          // owner B's bump holds the shard row while the stale writes arrive
          const bump = x.transact(function* (): Program<void> {
            yield stmt('UPDATE shards SET range_id = 2 WHERE shard_id = ? AND range_id = 1', [shard]);
            yield stmt(sleep);
          });
          await new Promise((r) => setTimeout(r, 200));
          await Promise.all([
            rejectsWith(
              a.executions.updateWorkflowExecution(
                updateReq(shard, 1, k, 1, { history: [batch(k, 3, 2)], tasks: someTasks('race'), current: { state: 3, status: 2 } }),
              ),
              ShardOwnershipLostError,
              'update racing the bump',
            ),
            rejectsWith(
              a.executions.createWorkflowExecution(createReq(shard, 1, key('wf-bump-race-2', 'run-br2'))),
              ShardOwnershipLostError,
              'create racing the bump',
            ),
            rejectsWith(a.executions.deleteTransferTasks(shard, 1, [tr.taskId]), ShardOwnershipLostError, 'delete racing the bump'),
            bump,
          ]);
          assert.deepEqual(await db!.counts(shard), before, 'a write under the old range landed');
          assert.equal((await a.executions.getWorkflowExecution(shard, k))?.dbRecordVersion, 1);
        } finally {
          await x.close();
        }
      },
    );

    test(
      'task queue fence: a task written under the old range_id that meets a lease in flight waits for it and is fenced out, writing nothing',
      { skip: skip || (engine === 'sqlite' ? 'one writer at a time: no row locks' : false) },
      async () => {
        const q: TaskQueueKey = { namespaceId: 'ns-1', name: 'tq-lease-race', taskType: 1 };
        const range = await a.tasks.leaseTaskQueue(q, bl('a'));
        const x: SqlExecutor = await openSqlExecutor(db!.config);
        try {
          const sleep = engine === 'postgres12' ? 'SELECT pg_sleep(0.8)' : 'SELECT SLEEP(0.8)';
          // another owner's lease holds the queue row while the stale writes arrive
          const lease = x.transact(function* (): Program<void> {
            yield stmt('UPDATE task_queues SET range_id = range_id + 1 WHERE namespace_id = ? AND task_queue_name = ? AND task_type = ?', [
              q.namespaceId,
              q.name,
              q.taskType,
            ]);
            yield stmt(sleep);
          });
          await new Promise((r) => setTimeout(r, 200));
          await Promise.all([
            rejectsWith(a.tasks.createTasks(q, range, [{ taskId: 1, task: bl('one') }]), ConditionFailedError, 'one task racing the lease'),
            rejectsWith(
              a.tasks.createTasks(q, range, [
                { taskId: 2, task: bl('two') },
                { taskId: 3, task: bl('three') },
              ]),
              ConditionFailedError,
              'two tasks racing the lease',
            ),
            lease,
          ]);
          assert.deepEqual(await a.tasks.getTasks(q, 0, 10), [], 'a task under the old range_id landed');
        } finally {
          await x.close();
        }
      },
    );

    test(
      'executor: group commit on PostgreSQL and MySQL: queued programs share one transaction; a program failing by itself gets its error once, the others commit',
      { skip: skip || (engine === 'sqlite' ? 'group commit of its own (group-commit.test.ts)' : false) },
      async () => {
        // 5 connections: transactions queue (and group) once 2 are in flight
        const x = await openSqlExecutor({ ...db!.config, maxConns: 5 });
        try {
          assert.ok(x instanceof PooledExecutor);
          const sleep = engine === 'postgres12' ? 'SELECT pg_sleep(0.05)' : 'SELECT SLEEP(0.05)';
          const ids = Array.from({ length: 10 }, (_, i) => 7_101 + i);
          for (const id of ids)
            await x.write(stmt('INSERT INTO shards (shard_id, range_id, data, data_encoding) VALUES (?, 0, ?, ?)', [id, Buffer.from('g'), 'json/v1']));
          const rangeOf = async (id: number) => Number((await x.read(stmt('SELECT range_id FROM shards WHERE shard_id = ?', [id])))[0]!.range_id);
          const runs = new Map<number, number>();
          const bump = (id: number, fail = false) =>
            x.transact(function* (): Program<number> {
              runs.set(id, (runs.get(id) ?? 0) + 1);
              const { count } = yield stmt('UPDATE shards SET range_id = range_id + 1 WHERE shard_id = ?', [id]);
              yield stmt(sleep);
              if (fail) throw new ConditionFailedError(`program ${id} fails by itself`);
              return count;
            });

          const before = { ...x.stats };
          assert.deepEqual(
            await Promise.all(ids.map((id) => bump(id))),
            ids.map(() => 1),
          );
          assert.ok(x.stats.groups > before.groups, 'some programs shared a transaction');
          assert.ok(x.stats.grouped - before.grouped >= 2);
          for (const id of ids) assert.equal(await rangeOf(id), 1, `shard ${id} bumped once`);
          assert.ok(
            [...runs.values()].every((n) => n === 1),
            'no program ran twice',
          );

          // the seventh fails by itself (queued, so in a group): it ran once and got its error; the rest committed once
          runs.clear();
          const settled = await Promise.allSettled(ids.map((id, i) => bump(id, i === 6)));
          settled.forEach((r, i) => {
            if (i === 6) assert.ok(r.status === 'rejected' && r.reason instanceof ConditionFailedError, 'the failing program gets its own error');
            else assert.equal(r.status, 'fulfilled', `program ${i} committed`);
          });
          assert.equal(runs.get(ids[6]!), 1, 'a condition failure is not run again');
          for (const [i, id] of ids.entries()) assert.equal(await rangeOf(id), i === 6 ? 1 : 2, `shard ${id}`);
        } finally {
          await x.close();
        }
      },
    );

    test(
      'pooled executors run at READ COMMITTED: a plain read in a transaction sees what committed after its first read (group commit relies on it)',
      { skip: skip || (engine === 'sqlite' ? 'one writer at a time' : false) },
      async () => {
        const shard = await freshShard();
        const x: SqlExecutor = await openSqlExecutor(db!.config);
        try {
          const sleep = engine === 'postgres12' ? 'SELECT pg_sleep(0.6)' : 'SELECT SLEEP(0.6)';
          const read = stmt('SELECT range_id FROM shards WHERE shard_id = ?', [shard]);
          const seen = x.transact(function* (): Program<number[]> {
            const first = yield read;
            yield stmt(sleep);
            const second = yield read;
            return [Number(first.rows[0]!.range_id), Number(second.rows[0]!.range_id)];
          });
          await new Promise((r) => setTimeout(r, 200));
          await b.shards.updateShard(shard, 1, 2, bl('owner-b'));
          assert.deepEqual(await seen, [1, 2]);
        } finally {
          await x.close();
        }
      },
    );

    test(
      'group commit: a stale-range write queued in a group is refused and writes nothing; its neighbours in the group commit',
      { skip: skip || (engine === 'sqlite' ? 'group commit of its own (group-commit.test.ts)' : false) },
      async () => {
        const good = await freshShard();
        const stale = await freshShard();
        const goodKeys = Array.from({ length: 8 }, (_, i) => key(`wf-grp-${i}`, `run-grp-${i}`));
        const staleKeys = [key('wf-grp-stale-1', 'run-grp-s1'), key('wf-grp-stale-2', 'run-grp-s2')];
        for (const k of goodKeys) await a.executions.createWorkflowExecution(createReq(good, 1, k));
        for (const k of staleKeys) await a.executions.createWorkflowExecution(createReq(stale, 1, k));
        await b.shards.updateShard(stale, 1, 2, bl('owner-b'));
        const [goodBefore, staleBefore] = [await db!.counts(good), await db!.counts(stale)];
        // 5 connections: transactions queue (and group) once 2 are in flight
        const x = await openSqlExecutor({ ...db!.config, maxConns: 5 });
        try {
          assert.ok(x instanceof PooledExecutor);
          const store = new SqlExecutionStore(x);
          const before = { ...x.stats };
          const writes = [...goodKeys.slice(0, 4), staleKeys[0]!, ...goodKeys.slice(4), staleKeys[1]!].map((k) => {
            const shard = staleKeys.includes(k) ? stale : good;
            return store.updateWorkflowExecution(
              updateReq(shard, 1, k, 1, { history: [batch(k, 3, 2)], tasks: someTasks(`grp-${k.runId}`), current: { state: 2, status: 1 } }),
            );
          });
          const settled = await Promise.allSettled(writes);
          // the group that held a stale write was undone, and its good writes ran again alone
          assert.ok(x.stats.undone > before.undone, 'a stale write was in a group');
          const rejected = settled.filter((r) => r.status === 'rejected');
          assert.equal(rejected.length, 2, `only the stale writes fail: ${rejected.map((r) => String(r.reason)).join('; ')}`);
          for (const r of rejected) assert.ok(r.reason instanceof ShardOwnershipLostError, `a stale write fails with ${String(r.reason)}`);
          assert.deepEqual(await db!.counts(stale), staleBefore, 'a stale write landed');
          for (const k of staleKeys) assert.equal((await a.executions.getWorkflowExecution(stale, k))?.dbRecordVersion, 1);
          for (const k of goodKeys) {
            assert.equal((await a.executions.getWorkflowExecution(good, k))?.dbRecordVersion, 2, `${k.workflowId} committed once`);
            assert.equal((await a.executions.getCurrentExecution(good, 'ns-1', k.workflowId))?.state, 2);
          }
          const goodAfter = await db!.counts(good);
          assert.equal(goodAfter.history_node, goodBefore.history_node! + 8);
          assert.equal(goodAfter.transfer_tasks, goodBefore.transfer_tasks! + 8);
          assert.equal(goodAfter.timer_tasks, goodBefore.timer_tasks! + 8);
        } finally {
          await x.close();
        }
      },
    );

    test('executor: duplicate keys and other errors are told apart; a deadlock runs the whole transaction again, other errors do not', { skip }, async () => {
      const x: SqlExecutor = await openSqlExecutor(db!.config);
      try {
        const d = x.dialect;
        const insertShard = (id: number) =>
          stmt('INSERT INTO shards (shard_id, range_id, data, data_encoding) VALUES (?, 0, ?, ?)', [id, Buffer.from('x'), 'json/v1']);
        await x.write(insertShard(7_001));
        await x.write(insertShard(7_002));
        const dup = await x.write(insertShard(7_001)).then(
          () => assert.fail('a duplicate primary key was accepted'),
          (err: unknown) => err,
        );
        assert.ok(d.isDuplicateKey(dup), `not recognised as a duplicate key: ${String(dup)}`);
        assert.ok(!d.isRetryable(dup), 'a duplicate key is not retryable');
        const other = await x.read(stmt('SELECT * FROM no_such_table')).then(
          () => assert.fail('a missing table was read'),
          (err: unknown) => err,
        );
        assert.ok(!d.isDuplicateKey(other), `a missing table is not a duplicate key: ${String(other)}`);
        assert.ok(!d.isRetryable(other));
        // the kept row was not touched by the failed insert; ignoreDuplicate neither errs nor overwrites
        await x.write(
          stmt(`INSERT INTO shards (shard_id, range_id, data, data_encoding) VALUES (?, 5, ?, ?) ${d.ignoreDuplicate(['shard_id'])}`, [
            7_001,
            Buffer.from('y'),
            'json/v2',
          ]),
        );
        const rangeOf = async (id: number) => Number((await x.read(stmt('SELECT range_id FROM shards WHERE shard_id = ?', [id])))[0]!.range_id);
        assert.equal(await rangeOf(7_001), 0);

        // a program that throws is undone and run once
        let runs = 0;
        await assert.rejects(
          x.transact(function* (): Program<void> {
            runs++;
            yield stmt('UPDATE shards SET range_id = range_id + 1 WHERE shard_id = ?', [7_001]);
            throw new ConditionFailedError('no');
          }),
          ConditionFailedError,
        );
        assert.equal(runs, 1, 'a condition failure is not retried');
        assert.equal(await rangeOf(7_001), 0, 'the failed program was rolled back');

        if (engine === 'sqlite') return; // one writer at a time: no row locks, no deadlocks
        // two transactions take the two rows in opposite orders; the database kills one, which runs again
        const sleep = engine === 'postgres12' ? 'SELECT pg_sleep(0.3)' : 'SELECT SLEEP(0.3)';
        const calls = { first: 0, second: 0 };
        const bump = (name: keyof typeof calls, ids: [number, number]) =>
          x.transact(function* (): Program<void> {
            calls[name]++;
            yield stmt('UPDATE shards SET range_id = range_id + 1 WHERE shard_id = ?', [ids[0]]);
            yield stmt(sleep);
            yield stmt('UPDATE shards SET range_id = range_id + 1 WHERE shard_id = ?', [ids[1]]);
          });
        assert.ok(x instanceof PooledExecutor);
        const retriesBefore = x.stats.retries;
        await Promise.all([bump('first', [7_001, 7_002]), bump('second', [7_002, 7_001])]);
        assert.ok(x.stats.retries > retriesBefore, 'no transaction was retried');
        assert.equal(calls.first + calls.second, 2 + (x.stats.retries - retriesBefore), 'each retry ran the program from the start');
        assert.deepEqual([await rangeOf(7_001), await rangeOf(7_002)], [2, 2], 'each row bumped exactly twice: the killed attempt left nothing');
      } finally {
        await x.close();
      }
    });
  });
}
