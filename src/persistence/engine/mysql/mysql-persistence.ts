/**
 * MySQL 8 (mysql8 plugin; MariaDB 10.11 stands in for it in tests) implementation of the engine
 * stores, on a mysql2/promise pool. Same semantics as
 * the SQLite implementation (../sqlite/sqlite-persistence.ts):
 *  - every write of a history shard runs in one transaction that first locks the shard row
 *    (SELECT range_id FROM shards WHERE shard_id = ? FOR UPDATE) and checks range_id == rangeId,
 *    else ShardOwnershipLostError and nothing of the transaction is written;
 *  - execution updates are conditional on db_record_version (ConditionFailedError);
 *  - backlog inserts are conditional on task_queues.range_id (ConditionFailedError).
 * Transactions (InnoDB, REPEATABLE READ) run on a dedicated pool connection, BEGIN ... COMMIT, with
 * ROLLBACK on error; deadlocks (errno 1213) retry the whole transaction a few times. Every read that
 * decides a write inside a transaction is a locking read, so it sees the latest committed row and not
 * the transaction's snapshot. BIGINT arrives as a string (bigNumberStrings) and is parsed with Number
 * (values stay below 2^53); MEDIUMBLOB <-> Buffer. Only SQL common to MySQL 8 and MariaDB is used.
 */
import type { Pool, PoolConnection, ResultSetHeader } from 'mysql2/promise';
import type { SqlConnectConfig } from '../../sql-config';
import { createMysqlPool, type MysqlPoolOptions } from '../../mysql/pool';
import type { DataBlob } from '../blob';
import { serverVersionRow } from '../server-version-row';
import { SqlDataRewriteStore } from '../sql-data-rewrite-store';
import { ConditionFailedError, ShardOwnershipLostError } from '../../../common/errors';
import type {
  ServerVersionRow,
  ClusterMetadataStore,
  CreateExecutionRequest,
  CurrentExecutionRow,
  ExecutionKey,
  ExecutionRow,
  ExecutionStore,
  HistoryBatchRow,
  NamespaceRow,
  NamespaceStore,
  NewTasks,
  PersistenceBundle,
  ShardRow,
  ShardStore,
  TaskQueueKey,
  TaskRow,
  TaskStore,
  TimerTaskRow,
  TransferTaskRow,
  UpdateExecutionRequest,
} from '../interfaces';

type Row = Record<string, unknown>;
type PoolClient = PoolConnection;
interface Queryable {
  query(sql: string, values?: unknown): Promise<[unknown, unknown]>;
}

const NAMESPACE_PARTITION = 54321;
const ER_LOCK_DEADLOCK = 1213;
const ER_DUP_ENTRY = 1062;
const MAX_ATTEMPTS = 5;

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const blob = (data: unknown, encoding: unknown): DataBlob => ({ data: data as Buffer, encoding: String(encoding) });
const errno = (err: unknown): number | undefined => {
  const n = (err as { errno?: unknown } | null)?.errno;
  return typeof n === 'number' ? n : undefined;
};
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function openMysqlPersistence(cfg: SqlConnectConfig, options: MysqlPoolOptions = {}): Promise<MysqlPersistence> {
  return new MysqlPersistence(await createMysqlPool(cfg, options));
}

export class MysqlPersistence implements PersistenceBundle, ShardStore, ExecutionStore, TaskStore, NamespaceStore, ClusterMetadataStore {
  readonly shards = this;
  readonly executions = this;
  readonly tasks = this;
  readonly namespaces = this;
  readonly cluster = this;
  readonly dataRewrite = new SqlDataRewriteStore({
    dialect: 'mysql',
    select: async (sql, params) => (await this.q(this.pool, sql, params)).rows,
    execute: async (sql, params) => (await this.q(this.pool, sql, params)).count,
    // one by one: each is a single-row autocommit UPDATE, and the awaits let other work in between
    executeMany: async (sql, lists) => {
      const out: number[] = [];
      for (const p of lists) out.push((await this.q(this.pool, sql, p)).count);
      return out;
    },
  });

  constructor(private readonly pool: Pool) {}

  async close(): Promise<void> {
    await this.pool.end();
  }

  // ---------------------------------------------------------------- plumbing
  /** rows of a SELECT, or the affected (matched: mysql2 sets CLIENT_FOUND_ROWS) row count of a write */
  private async q(db: Queryable, sql: string, params: unknown[] = []): Promise<{ rows: Row[]; count: number }> {
    const [r] = await db.query(sql, params);
    if (Array.isArray(r)) return { rows: r as Row[], count: r.length };
    return { rows: [], count: (r as ResultSetHeader).affectedRows };
  }

  /** Run fn in one transaction on a dedicated connection; retried whole on deadlock. */
  private async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const conn = await this.pool.getConnection();
      let broken = false;
      try {
        await conn.query('BEGIN');
        try {
          const out = await fn(conn);
          await conn.query('COMMIT');
          return out;
        } catch (err) {
          try {
            await conn.query('ROLLBACK');
          } catch {
            broken = true;
          }
          throw err;
        }
      } catch (err) {
        if (attempt < MAX_ATTEMPTS && errno(err) === ER_LOCK_DEADLOCK) {
          await sleep(5 * attempt + Math.random() * 20);
          continue;
        }
        throw err;
      } finally {
        if (broken) conn.destroy();
        else conn.release();
      }
    }
  }

  // ---------------------------------------------------------------- fencing
  private async assertShardOwner(c: PoolClient, shardId: number, rangeId: number): Promise<void> {
    const { rows } = await this.q(c, 'SELECT range_id FROM shards WHERE shard_id = ? FOR UPDATE', [shardId]);
    const row = rows[0];
    if (!row || num(row.range_id) !== rangeId) throw new ShardOwnershipLostError(shardId, rangeId);
  }

  // ---------------------------------------------------------------- shards
  async getOrCreateShard(shardId: number, initialInfo: DataBlob): Promise<ShardRow> {
    try {
      await this.q(this.pool, 'INSERT INTO shards (shard_id, range_id, data, data_encoding) VALUES (?, 0, ?, ?)', [
        shardId,
        initialInfo.data,
        initialInfo.encoding,
      ]);
    } catch (err) {
      if (errno(err) !== ER_DUP_ENTRY) throw err;
    }
    const { rows } = await this.q(this.pool, 'SELECT range_id, data, data_encoding FROM shards WHERE shard_id = ?', [shardId]);
    const row = rows[0];
    if (!row) throw new Error(`shard ${shardId} vanished after being created`);
    return { shardId, rangeId: num(row.range_id), info: blob(row.data, row.data_encoding) };
  }

  async updateShard(shardId: number, previousRangeId: number, newRangeId: number, info: DataBlob): Promise<void> {
    const r = await this.q(this.pool, 'UPDATE shards SET range_id = ?, data = ?, data_encoding = ? WHERE shard_id = ? AND range_id = ?', [
      newRangeId,
      info.data,
      info.encoding,
      shardId,
      previousRangeId,
    ]);
    if (r.count !== 1) throw new ShardOwnershipLostError(shardId, previousRangeId);
  }

  // ---------------------------------------------------------------- executions
  private async insertHistory(c: PoolClient, shardId: number, batches: HistoryBatchRow[]): Promise<void> {
    for (const b of batches) {
      await this.q(
        c,
        'INSERT INTO history_node (shard_id, tree_id, branch_id, node_id, txn_id, prev_txn_id, data, data_encoding) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [shardId, b.treeId, b.branchId, b.nodeId, b.txnId, b.prevTxnId, b.events.data, b.events.encoding],
      );
    }
  }

  private async insertTasks(c: PoolClient, shardId: number, tasks: NewTasks): Promise<void> {
    for (const t of tasks.transfer) {
      await this.q(c, 'INSERT INTO transfer_tasks (shard_id, task_id, data, data_encoding) VALUES (?, ?, ?, ?)', [
        shardId,
        t.taskId,
        t.task.data,
        t.task.encoding,
      ]);
    }
    for (const t of tasks.timer) {
      await this.q(c, 'INSERT INTO timer_tasks (shard_id, visibility_timestamp, task_id, data, data_encoding) VALUES (?, ?, ?, ?, ?)', [
        shardId,
        t.visibilityTimestampMs,
        t.taskId,
        t.task.data,
        t.task.encoding,
      ]);
    }
    for (const t of tasks.visibility) {
      await this.q(c, 'INSERT INTO visibility_tasks (shard_id, task_id, data, data_encoding) VALUES (?, ?, ?, ?)', [
        shardId,
        t.taskId,
        t.task.data,
        t.task.encoding,
      ]);
    }
  }

  async createWorkflowExecution(req: CreateExecutionRequest): Promise<void> {
    await this.tx(async (c) => {
      await this.assertShardOwner(c, req.shardId, req.rangeId);
      const { key } = req.execution;
      const cur = req.current;
      if (cur.previousRunId === undefined) {
        const { rows } = await this.q(c, 'SELECT run_id FROM current_executions WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ? FOR UPDATE', [
          req.shardId,
          key.namespaceId,
          key.workflowId,
        ]);
        const existing = rows[0];
        if (existing) throw new ConditionFailedError(`current execution of ${key.workflowId} exists (${String(existing.run_id)})`);
        try {
          await this.q(
            c,
            'INSERT INTO current_executions (shard_id, namespace_id, workflow_id, run_id, create_request_id, state, status, start_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
            [req.shardId, key.namespaceId, key.workflowId, key.runId, cur.createRequestId, cur.state, cur.status, cur.startTimeMs],
          );
        } catch (err) {
          // only reachable if a writer bypassed the shard lock; same outcome as the check above
          if (errno(err) === ER_DUP_ENTRY) throw new ConditionFailedError(`current execution of ${key.workflowId} exists`);
          throw err;
        }
      } else {
        const r = await this.q(
          c,
          'UPDATE current_executions SET run_id = ?, create_request_id = ?, state = ?, status = ?, start_time = ? WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ?',
          [key.runId, cur.createRequestId, cur.state, cur.status, cur.startTimeMs, req.shardId, key.namespaceId, key.workflowId, cur.previousRunId],
        );
        if (r.count !== 1) throw new ConditionFailedError(`current execution of ${key.workflowId} is no longer ${cur.previousRunId}`);
      }
      const e = req.execution;
      await this.q(
        c,
        'INSERT INTO executions (shard_id, namespace_id, workflow_id, run_id, next_event_id, db_record_version, data, data_encoding, state, state_encoding) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [
          req.shardId,
          key.namespaceId,
          key.workflowId,
          key.runId,
          e.nextEventId,
          e.dbRecordVersion,
          e.info.data,
          e.info.encoding,
          e.state.data,
          e.state.encoding,
        ],
      );
      await this.q(c, 'INSERT INTO history_tree (shard_id, tree_id, branch_id, data, data_encoding) VALUES (?, ?, ?, ?, ?)', [
        req.shardId,
        req.historyTree.treeId,
        req.historyTree.branchId,
        req.historyTree.info.data,
        req.historyTree.info.encoding,
      ]);
      await this.insertHistory(c, req.shardId, req.history);
      await this.insertTasks(c, req.shardId, req.tasks);
    });
  }

  async updateWorkflowExecution(req: UpdateExecutionRequest): Promise<void> {
    await this.tx(async (c) => {
      await this.assertShardOwner(c, req.shardId, req.rangeId);
      const e = req.execution;
      const k = e.key;
      const r = await this.q(
        c,
        'UPDATE executions SET next_event_id = ?, db_record_version = ?, data = ?, data_encoding = ?, state = ?, state_encoding = ? WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ? AND db_record_version = ?',
        [
          e.nextEventId,
          e.dbRecordVersion,
          e.info.data,
          e.info.encoding,
          e.state.data,
          e.state.encoding,
          req.shardId,
          k.namespaceId,
          k.workflowId,
          k.runId,
          req.expectedDbRecordVersion,
        ],
      );
      if (r.count !== 1) throw new ConditionFailedError(`execution ${k.workflowId}/${k.runId} changed concurrently`);
      if (req.current) {
        await this.q(c, 'UPDATE current_executions SET state = ?, status = ? WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ?', [
          req.current.state,
          req.current.status,
          req.shardId,
          k.namespaceId,
          k.workflowId,
          k.runId,
        ]);
      }
      await this.insertHistory(c, req.shardId, req.history);
      await this.insertTasks(c, req.shardId, req.tasks);
    });
  }

  async deleteWorkflowExecution(shardId: number, rangeId: number, key: ExecutionKey): Promise<void> {
    await this.tx(async (c) => {
      await this.assertShardOwner(c, shardId, rangeId);
      const w = [shardId, key.namespaceId, key.workflowId, key.runId];
      await this.q(c, 'DELETE FROM current_executions WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ?', w);
      await this.q(c, 'DELETE FROM executions WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ?', w);
      await this.q(c, 'DELETE FROM history_node WHERE shard_id = ? AND tree_id = ?', [shardId, key.runId]);
      await this.q(c, 'DELETE FROM history_tree WHERE shard_id = ? AND tree_id = ?', [shardId, key.runId]);
    });
  }

  async getWorkflowExecution(shardId: number, key: ExecutionKey): Promise<ExecutionRow | undefined> {
    const { rows } = await this.q(
      this.pool,
      'SELECT next_event_id, db_record_version, data, data_encoding, state, state_encoding FROM executions WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ?',
      [shardId, key.namespaceId, key.workflowId, key.runId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      key,
      nextEventId: num(row.next_event_id),
      dbRecordVersion: num(row.db_record_version),
      info: blob(row.data, row.data_encoding),
      state: blob(row.state, row.state_encoding),
    };
  }

  async getCurrentExecution(shardId: number, namespaceId: string, workflowId: string): Promise<CurrentExecutionRow | undefined> {
    const { rows } = await this.q(
      this.pool,
      'SELECT run_id, create_request_id, state, status, start_time FROM current_executions WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ?',
      [shardId, namespaceId, workflowId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      runId: String(row.run_id),
      createRequestId: String(row.create_request_id),
      state: num(row.state),
      status: num(row.status),
      startTimeMs: num(row.start_time),
    };
  }

  async readHistoryBranch(shardId: number, treeId: string, branchId: string): Promise<HistoryBatchRow[]> {
    const { rows } = await this.q(
      this.pool,
      'SELECT node_id, txn_id, prev_txn_id, data, data_encoding FROM history_node WHERE shard_id = ? AND tree_id = ? AND branch_id = ? ORDER BY node_id ASC, txn_id DESC',
      [shardId, treeId, branchId],
    );
    const out: HistoryBatchRow[] = [];
    for (const r of rows) {
      const nodeId = num(r.node_id);
      if (out.length > 0 && out[out.length - 1]!.nodeId === nodeId) continue;
      out.push({ treeId, branchId, nodeId, txnId: num(r.txn_id), prevTxnId: num(r.prev_txn_id), events: blob(r.data, r.data_encoding) });
    }
    return out;
  }

  async getTransferTasks(shardId: number, afterTaskId: number, limit: number): Promise<TransferTaskRow[]> {
    const { rows } = await this.q(
      this.pool,
      'SELECT task_id, data, data_encoding FROM transfer_tasks WHERE shard_id = ? AND task_id > ? ORDER BY task_id LIMIT ?',
      [shardId, afterTaskId, limit],
    );
    return rows.map((r) => ({ taskId: num(r.task_id), task: blob(r.data, r.data_encoding) }));
  }

  async deleteTransferTask(shardId: number, rangeId: number, taskId: number): Promise<void> {
    await this.tx(async (c) => {
      await this.assertShardOwner(c, shardId, rangeId);
      await this.q(c, 'DELETE FROM transfer_tasks WHERE shard_id = ? AND task_id = ?', [shardId, taskId]);
    });
  }

  async getTimerTasks(shardId: number, beforeTimestampMs: number, limit: number): Promise<TimerTaskRow[]> {
    const { rows } = await this.q(
      this.pool,
      'SELECT visibility_timestamp, task_id, data, data_encoding FROM timer_tasks WHERE shard_id = ? AND visibility_timestamp < ? ORDER BY visibility_timestamp, task_id LIMIT ?',
      [shardId, beforeTimestampMs, limit],
    );
    return rows.map((r) => ({ visibilityTimestampMs: num(r.visibility_timestamp), taskId: num(r.task_id), task: blob(r.data, r.data_encoding) }));
  }

  async getNextTimerTimestamp(shardId: number): Promise<number | undefined> {
    const { rows } = await this.q(this.pool, 'SELECT MIN(visibility_timestamp) AS t FROM timer_tasks WHERE shard_id = ?', [shardId]);
    const row = rows[0];
    return row && row.t !== null && row.t !== undefined ? num(row.t) : undefined;
  }

  async deleteTimerTask(shardId: number, rangeId: number, visibilityTimestampMs: number, taskId: number): Promise<void> {
    await this.tx(async (c) => {
      await this.assertShardOwner(c, shardId, rangeId);
      await this.q(c, 'DELETE FROM timer_tasks WHERE shard_id = ? AND visibility_timestamp = ? AND task_id = ?', [shardId, visibilityTimestampMs, taskId]);
    });
  }

  async getVisibilityTasks(shardId: number, afterTaskId: number, limit: number): Promise<TransferTaskRow[]> {
    const { rows } = await this.q(
      this.pool,
      'SELECT task_id, data, data_encoding FROM visibility_tasks WHERE shard_id = ? AND task_id > ? ORDER BY task_id LIMIT ?',
      [shardId, afterTaskId, limit],
    );
    return rows.map((r) => ({ taskId: num(r.task_id), task: blob(r.data, r.data_encoding) }));
  }

  async deleteVisibilityTask(shardId: number, rangeId: number, taskId: number): Promise<void> {
    await this.tx(async (c) => {
      await this.assertShardOwner(c, shardId, rangeId);
      await this.q(c, 'DELETE FROM visibility_tasks WHERE shard_id = ? AND task_id = ?', [shardId, taskId]);
    });
  }

  // ---------------------------------------------------------------- matching
  async leaseTaskQueue(key: TaskQueueKey, info: DataBlob): Promise<number> {
    return this.tx(async (c) => {
      // a new queue starts at range_id 1; an existing one is bumped, atomically (the row lock of the
      // upsert fences concurrent leases and the share lock of createTasks); then read back our value
      await this.q(
        c,
        'INSERT INTO task_queues (namespace_id, task_queue_name, task_type, range_id, data, data_encoding) VALUES (?, ?, ?, 1, ?, ?) ON DUPLICATE KEY UPDATE range_id = range_id + 1, data = ?, data_encoding = ?',
        [key.namespaceId, key.name, key.taskType, info.data, info.encoding, info.data, info.encoding],
      );
      const { rows } = await this.q(c, 'SELECT range_id FROM task_queues WHERE namespace_id = ? AND task_queue_name = ? AND task_type = ? FOR UPDATE', [
        key.namespaceId,
        key.name,
        key.taskType,
      ]);
      const row = rows[0];
      if (!row) throw new Error(`task queue ${key.name} vanished while being leased`);
      return num(row.range_id);
    });
  }

  async listTaskQueues(): Promise<TaskQueueKey[]> {
    const { rows } = await this.q(this.pool, 'SELECT namespace_id, task_queue_name, task_type FROM task_queues');
    return rows.map((r) => ({ namespaceId: String(r.namespace_id), name: String(r.task_queue_name), taskType: num(r.task_type) }));
  }

  async createTasks(key: TaskQueueKey, rangeId: number, tasks: TaskRow[]): Promise<void> {
    await this.tx(async (c) => {
      const { rows } = await this.q(c, 'SELECT range_id FROM task_queues WHERE namespace_id = ? AND task_queue_name = ? AND task_type = ? LOCK IN SHARE MODE', [
        key.namespaceId,
        key.name,
        key.taskType,
      ]);
      const row = rows[0];
      if (!row || num(row.range_id) !== rangeId) throw new ConditionFailedError(`task queue ${key.name} lease lost`);
      for (const t of tasks) {
        await this.q(c, 'INSERT INTO tasks (namespace_id, task_queue_name, task_type, task_id, data, data_encoding) VALUES (?, ?, ?, ?, ?, ?)', [
          key.namespaceId,
          key.name,
          key.taskType,
          t.taskId,
          t.task.data,
          t.task.encoding,
        ]);
      }
    });
  }

  async getTasks(key: TaskQueueKey, afterTaskId: number, limit: number): Promise<TaskRow[]> {
    const { rows } = await this.q(
      this.pool,
      'SELECT task_id, data, data_encoding FROM tasks WHERE namespace_id = ? AND task_queue_name = ? AND task_type = ? AND task_id > ? ORDER BY task_id LIMIT ?',
      [key.namespaceId, key.name, key.taskType, afterTaskId, limit],
    );
    return rows.map((r) => ({ taskId: num(r.task_id), task: blob(r.data, r.data_encoding) }));
  }

  async deleteTask(key: TaskQueueKey, taskId: number): Promise<void> {
    await this.q(this.pool, 'DELETE FROM tasks WHERE namespace_id = ? AND task_queue_name = ? AND task_type = ? AND task_id = ?', [
      key.namespaceId,
      key.name,
      key.taskType,
      taskId,
    ]);
  }

  // ---------------------------------------------------------------- namespaces
  private nsRow(r: Row): NamespaceRow {
    return {
      id: String(r.id),
      name: String(r.name),
      notificationVersion: num(r.notification_version),
      info: blob(r.data, r.data_encoding),
      isGlobal: Number(r.is_global) !== 0,
    };
  }

  async updateNamespace(row: Omit<NamespaceRow, 'notificationVersion'>): Promise<boolean> {
    return this.tx(async (c) => {
      const meta = await this.q(c, 'SELECT notification_version FROM namespace_metadata WHERE partition_id = ? FOR UPDATE', [NAMESPACE_PARTITION]);
      const version = meta.rows[0] ? num(meta.rows[0].notification_version) : 1;
      const r = await this.q(c, 'UPDATE namespaces SET data = ?, data_encoding = ?, notification_version = ? WHERE partition_id = ? AND id = ? AND name = ?', [
        row.info.data,
        row.info.encoding,
        version,
        NAMESPACE_PARTITION,
        row.id,
        row.name,
      ]);
      if (r.count !== 1) return false;
      if (meta.rows[0]) await this.q(c, 'UPDATE namespace_metadata SET notification_version = ? WHERE partition_id = ?', [version + 1, NAMESPACE_PARTITION]);
      return true;
    });
  }

  async createNamespace(row: Omit<NamespaceRow, 'notificationVersion'>): Promise<boolean> {
    return this.tx(async (c) => {
      // the metadata row serialises namespace writers: lock it (creating it at version 1) first
      await this.q(c, 'INSERT INTO namespace_metadata (partition_id, notification_version) VALUES (?, 1) ON DUPLICATE KEY UPDATE partition_id = partition_id', [
        NAMESPACE_PARTITION,
      ]);
      const meta = await this.q(c, 'SELECT notification_version FROM namespace_metadata WHERE partition_id = ? FOR UPDATE', [NAMESPACE_PARTITION]);
      const exists = await this.q(c, 'SELECT 1 FROM namespaces WHERE name = ? FOR UPDATE', [row.name]);
      if (exists.rows.length > 0) return false;
      const version = num(meta.rows[0]!.notification_version);
      await this.q(c, 'UPDATE namespace_metadata SET notification_version = ? WHERE partition_id = ?', [version + 1, NAMESPACE_PARTITION]);
      await this.q(c, 'INSERT INTO namespaces (partition_id, id, name, notification_version, data, data_encoding, is_global) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        NAMESPACE_PARTITION,
        row.id,
        row.name,
        version,
        row.info.data,
        row.info.encoding,
        row.isGlobal ? 1 : 0,
      ]);
      return true;
    });
  }

  async getNamespaceByName(name: string): Promise<NamespaceRow | undefined> {
    const { rows } = await this.q(this.pool, 'SELECT * FROM namespaces WHERE partition_id = ? AND name = ?', [NAMESPACE_PARTITION, name]);
    return rows[0] ? this.nsRow(rows[0]) : undefined;
  }

  async getNamespaceById(id: string): Promise<NamespaceRow | undefined> {
    const { rows } = await this.q(this.pool, 'SELECT * FROM namespaces WHERE partition_id = ? AND id = ?', [NAMESPACE_PARTITION, id]);
    return rows[0] ? this.nsRow(rows[0]) : undefined;
  }

  async listNamespaces(): Promise<NamespaceRow[]> {
    // the tables are utf8mb4_bin: byte order, as SQLite's default BINARY collation sorts
    const { rows } = await this.q(this.pool, 'SELECT * FROM namespaces WHERE partition_id = ? ORDER BY name', [NAMESPACE_PARTITION]);
    return rows.map((r) => this.nsRow(r));
  }

  // ---------------------------------------------------------------- cluster metadata
  async getClusterMetadata(clusterName: string): Promise<{ info: DataBlob; version: number } | undefined> {
    const { rows } = await this.q(
      this.pool,
      'SELECT data, data_encoding, version FROM cluster_metadata_info WHERE metadata_partition = 0 AND cluster_name = ?',
      [clusterName],
    );
    const r = rows[0];
    return r ? { info: blob(r.data, r.data_encoding), version: num(r.version) } : undefined;
  }

  async saveClusterMetadata(clusterName: string, info: DataBlob, previousVersion: number | undefined): Promise<boolean> {
    if (previousVersion === undefined) {
      try {
        await this.q(this.pool, 'INSERT INTO cluster_metadata_info (metadata_partition, cluster_name, data, data_encoding, version) VALUES (0, ?, ?, ?, 1)', [
          clusterName,
          info.data,
          info.encoding,
        ]);
        return true;
      } catch (err) {
        if (errno(err) === ER_DUP_ENTRY) return false;
        throw err;
      }
    }
    const r = await this.q(
      this.pool,
      'UPDATE cluster_metadata_info SET data = ?, data_encoding = ?, version = ? WHERE metadata_partition = 0 AND cluster_name = ? AND version = ?',
      [info.data, info.encoding, previousVersion + 1, clusterName, previousVersion],
    );
    return r.count === 1;
  }

  async listServerVersions(clusterName: string): Promise<ServerVersionRow[]> {
    const { rows } = await this.q(
      this.pool,
      'SELECT server_version, first_started_time, activated_time, data, data_encoding FROM server_version_history WHERE cluster_name = ? ORDER BY first_started_time, server_version',
      [clusterName],
    );
    return rows.map(serverVersionRow);
  }

  async recordServerVersionStart(clusterName: string, serverVersion: string, nowMs: number): Promise<void> {
    await this.q(this.pool, 'INSERT IGNORE INTO server_version_history (cluster_name, server_version, first_started_time) VALUES (?, ?, ?)', [
      clusterName,
      serverVersion,
      nowMs,
    ]);
  }

  async updateServerVersion(clusterName: string, serverVersion: string, progress: DataBlob, activatedMs: number | undefined): Promise<void> {
    await this.q(
      this.pool,
      'UPDATE server_version_history SET data = ?, data_encoding = ?, activated_time = COALESCE(activated_time, ?) WHERE cluster_name = ? AND server_version = ?',
      [progress.data, progress.encoding, activatedMs ?? null, clusterName, serverVersion],
    );
  }
}
