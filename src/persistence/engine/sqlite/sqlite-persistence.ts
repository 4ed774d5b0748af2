/**
 * SQLite implementation of the engine stores (better-sqlite3). The driver is synchronous. Writes of
 * the hot path (execution create/update, task deletes, backlog writes, shard range renewals) go
 * through a GroupCommitter: all of them submitted in one event-loop turn share ONE transaction, each
 * in its own savepoint with its own fencing check, and are acknowledged after COMMIT. Statements are
 * prepared once and cached. Tables are created by the schema tool; this module assumes they exist.
 *
 * Durability: WAL with synchronous=FULL by default (every COMMIT fsyncs the WAL; group commit makes
 * that one fsync per batch). connectAttributes `synchronous=NORMAL` is accepted: in WAL mode it is
 * durable against a crash of the process (kill -9: the WAL is in the OS page cache and is replayed)
 * but the last commits can be lost on an OS crash or power loss.
 */
import Database from 'better-sqlite3';
import { serverVersionRow } from '../server-version-row';
import { SqlDataRewriteStore } from '../sql-data-rewrite-store';
import type { DataBlob } from '../blob';
import { GroupCommitter } from './group-commit';
import { ConditionFailedError, ShardOwnershipLostError } from '../../../common/errors';
import type {
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
  ServerVersionRow,
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
const blob = (data: unknown, encoding: unknown): DataBlob => ({ data: data as Buffer, encoding: String(encoding) });

export type SqliteSynchronous = 'FULL' | 'NORMAL';

export function openSqlite(path: string, synchronous: SqliteSynchronous = 'FULL'): Database.Database {
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') throw new Error(`sqlite synchronous must be FULL or NORMAL (with WAL), not ${String(synchronous)}`);
  const db = new Database(path);
  if (path !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  return db;
}

export class SqlitePersistence implements PersistenceBundle, ShardStore, ExecutionStore, TaskStore, NamespaceStore, ClusterMetadataStore {
  readonly shards = this;
  readonly executions = this;
  readonly tasks = this;
  readonly namespaces = this;
  readonly cluster = this;
  readonly dataRewrite: SqlDataRewriteStore;

  readonly committer: GroupCommitter;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    this.committer = new GroupCommitter(db);
    // Single statements between group commits: each is its own transaction on the one connection.
    this.dataRewrite = new SqlDataRewriteStore({
      dialect: 'sqlite',
      select: async (sql, params) => this.st(sql).all(...params) as Record<string, unknown>[],
      execute: async (sql, params) => this.st(sql).run(...params).changes,
      executeMany: async (sql, lists) => this.db.transaction(() => lists.map((p) => this.st(sql).run(...p).changes))(),
    });
  }

  async close(): Promise<void> {
    this.committer.flush();
    this.db.close();
  }

  /** The prepared statement of `sql`, prepared once. */
  private st(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  // ---------------------------------------------------------------- fencing
  private assertShardOwner(shardId: number, rangeId: number): void {
    const row = this.st('SELECT range_id FROM shards WHERE shard_id = ?').get(shardId) as Row | undefined;
    if (!row || Number(row.range_id) !== rangeId) throw new ShardOwnershipLostError(shardId, rangeId);
  }

  // ---------------------------------------------------------------- shards
  async getOrCreateShard(shardId: number, initialInfo: DataBlob): Promise<ShardRow> {
    return this.db.transaction(() => {
      let row = this.st('SELECT range_id, data, data_encoding FROM shards WHERE shard_id = ?').get(shardId) as Row | undefined;
      if (!row) {
        this.st('INSERT INTO shards (shard_id, range_id, data, data_encoding) VALUES (?, 0, ?, ?)').run(shardId, initialInfo.data, initialInfo.encoding);
        row = { range_id: 0, data: initialInfo.data, data_encoding: initialInfo.encoding };
      }
      return { shardId, rangeId: Number(row.range_id), info: blob(row.data, row.data_encoding) };
    })();
  }

  async updateShard(shardId: number, previousRangeId: number, newRangeId: number, info: DataBlob): Promise<void> {
    // through the committer, so that it is ordered after writes already submitted under the old range
    return this.committer.submit(() => {
      const r = this.st('UPDATE shards SET range_id = ?, data = ?, data_encoding = ? WHERE shard_id = ? AND range_id = ?').run(
        newRangeId,
        info.data,
        info.encoding,
        shardId,
        previousRangeId,
      );
      if (r.changes !== 1) throw new ShardOwnershipLostError(shardId, previousRangeId);
    });
  }

  // ---------------------------------------------------------------- executions
  private insertHistory(shardId: number, batches: HistoryBatchRow[]): void {
    const stmt = this.st(
      'INSERT INTO history_node (shard_id, tree_id, branch_id, node_id, txn_id, prev_txn_id, data, data_encoding) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const b of batches) stmt.run(shardId, b.treeId, b.branchId, b.nodeId, b.txnId, b.prevTxnId, b.events.data, b.events.encoding);
  }

  private insertTasks(shardId: number, tasks: NewTasks): void {
    const tr = this.st('INSERT INTO transfer_tasks (shard_id, task_id, data, data_encoding) VALUES (?, ?, ?, ?)');
    for (const t of tasks.transfer) tr.run(shardId, t.taskId, t.task.data, t.task.encoding);
    const ti = this.st('INSERT INTO timer_tasks (shard_id, visibility_timestamp, task_id, data, data_encoding) VALUES (?, ?, ?, ?, ?)');
    for (const t of tasks.timer) ti.run(shardId, t.visibilityTimestampMs, t.taskId, t.task.data, t.task.encoding);
    const vi = this.st('INSERT INTO visibility_tasks (shard_id, task_id, data, data_encoding) VALUES (?, ?, ?, ?)');
    for (const t of tasks.visibility) vi.run(shardId, t.taskId, t.task.data, t.task.encoding);
  }

  async createWorkflowExecution(req: CreateExecutionRequest): Promise<void> {
    return this.committer.submit(() => {
      this.assertShardOwner(req.shardId, req.rangeId);
      const { key } = req.execution;
      const cur = req.current;
      if (cur.previousRunId === undefined) {
        const existing = this.st('SELECT run_id FROM current_executions WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ?').get(
          req.shardId,
          key.namespaceId,
          key.workflowId,
        ) as Row | undefined;
        if (existing) throw new ConditionFailedError(`current execution of ${key.workflowId} exists (${String(existing.run_id)})`);
        this.st(
          'INSERT INTO current_executions (shard_id, namespace_id, workflow_id, run_id, create_request_id, state, status, start_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(req.shardId, key.namespaceId, key.workflowId, key.runId, cur.createRequestId, cur.state, cur.status, cur.startTimeMs);
      } else {
        const r = this.st(
          'UPDATE current_executions SET run_id = ?, create_request_id = ?, state = ?, status = ?, start_time = ? WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ?',
        ).run(key.runId, cur.createRequestId, cur.state, cur.status, cur.startTimeMs, req.shardId, key.namespaceId, key.workflowId, cur.previousRunId);
        if (r.changes !== 1) throw new ConditionFailedError(`current execution of ${key.workflowId} is no longer ${cur.previousRunId}`);
      }
      const e = req.execution;
      this.st(
        'INSERT INTO executions (shard_id, namespace_id, workflow_id, run_id, next_event_id, db_record_version, data, data_encoding, state, state_encoding) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
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
      );
      this.st('INSERT INTO history_tree (shard_id, tree_id, branch_id, data, data_encoding) VALUES (?, ?, ?, ?, ?)').run(
        req.shardId,
        req.historyTree.treeId,
        req.historyTree.branchId,
        req.historyTree.info.data,
        req.historyTree.info.encoding,
      );
      this.insertHistory(req.shardId, req.history);
      this.insertTasks(req.shardId, req.tasks);
    });
  }

  async updateWorkflowExecution(req: UpdateExecutionRequest): Promise<void> {
    return this.committer.submit(() => {
      this.assertShardOwner(req.shardId, req.rangeId);
      const e = req.execution;
      const k = e.key;
      const r = this.st(
        'UPDATE executions SET next_event_id = ?, db_record_version = ?, data = ?, data_encoding = ?, state = ?, state_encoding = ? WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ? AND db_record_version = ?',
      ).run(
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
      );
      if (r.changes !== 1) throw new ConditionFailedError(`execution ${k.workflowId}/${k.runId} changed concurrently`);
      if (req.current) {
        this.st('UPDATE current_executions SET state = ?, status = ? WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ?').run(
          req.current.state,
          req.current.status,
          req.shardId,
          k.namespaceId,
          k.workflowId,
          k.runId,
        );
      }
      this.insertHistory(req.shardId, req.history);
      this.insertTasks(req.shardId, req.tasks);
    });
  }

  async deleteWorkflowExecution(shardId: number, rangeId: number, key: ExecutionKey): Promise<void> {
    this.db.transaction(() => {
      this.assertShardOwner(shardId, rangeId);
      const w = [shardId, key.namespaceId, key.workflowId, key.runId];
      this.db.prepare('DELETE FROM current_executions WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ?').run(...w);
      this.db.prepare('DELETE FROM executions WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ?').run(...w);
      this.db.prepare('DELETE FROM history_node WHERE shard_id = ? AND tree_id = ?').run(shardId, key.runId);
      this.db.prepare('DELETE FROM history_tree WHERE shard_id = ? AND tree_id = ?').run(shardId, key.runId);
    })();
  }

  async getWorkflowExecution(shardId: number, key: ExecutionKey): Promise<ExecutionRow | undefined> {
    const row = this.st(
      'SELECT next_event_id, db_record_version, data, data_encoding, state, state_encoding FROM executions WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ?',
    ).get(shardId, key.namespaceId, key.workflowId, key.runId) as Row | undefined;
    if (!row) return undefined;
    return {
      key,
      nextEventId: Number(row.next_event_id),
      dbRecordVersion: Number(row.db_record_version),
      info: blob(row.data, row.data_encoding),
      state: blob(row.state, row.state_encoding),
    };
  }

  async getCurrentExecution(shardId: number, namespaceId: string, workflowId: string): Promise<CurrentExecutionRow | undefined> {
    const row = this.st(
      'SELECT run_id, create_request_id, state, status, start_time FROM current_executions WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ?',
    ).get(shardId, namespaceId, workflowId) as Row | undefined;
    if (!row) return undefined;
    return {
      runId: String(row.run_id),
      createRequestId: String(row.create_request_id),
      state: Number(row.state),
      status: Number(row.status),
      startTimeMs: Number(row.start_time),
    };
  }

  async readHistoryBranch(shardId: number, treeId: string, branchId: string): Promise<HistoryBatchRow[]> {
    const rows = this.st(
      'SELECT node_id, txn_id, prev_txn_id, data, data_encoding FROM history_node WHERE shard_id = ? AND tree_id = ? AND branch_id = ? ORDER BY node_id ASC, txn_id DESC',
    ).all(shardId, treeId, branchId) as Row[];
    const out: HistoryBatchRow[] = [];
    for (const r of rows) {
      const nodeId = Number(r.node_id);
      if (out.length > 0 && out[out.length - 1]!.nodeId === nodeId) continue;
      out.push({ treeId, branchId, nodeId, txnId: Number(r.txn_id), prevTxnId: Number(r.prev_txn_id), events: blob(r.data, r.data_encoding) });
    }
    return out;
  }

  async getTransferTasks(shardId: number, afterTaskId: number, limit: number): Promise<TransferTaskRow[]> {
    const rows = this.st('SELECT task_id, data, data_encoding FROM transfer_tasks WHERE shard_id = ? AND task_id > ? ORDER BY task_id LIMIT ?').all(
      shardId,
      afterTaskId,
      limit,
    ) as Row[];
    return rows.map((r) => ({ taskId: Number(r.task_id), task: blob(r.data, r.data_encoding) }));
  }

  async deleteTransferTask(shardId: number, rangeId: number, taskId: number): Promise<void> {
    return this.committer.submit(() => {
      this.assertShardOwner(shardId, rangeId);
      this.st('DELETE FROM transfer_tasks WHERE shard_id = ? AND task_id = ?').run(shardId, taskId);
    });
  }

  async getTimerTasks(shardId: number, beforeTimestampMs: number, limit: number): Promise<TimerTaskRow[]> {
    const rows = this.st(
      'SELECT visibility_timestamp, task_id, data, data_encoding FROM timer_tasks WHERE shard_id = ? AND visibility_timestamp < ? ORDER BY visibility_timestamp, task_id LIMIT ?',
    ).all(shardId, beforeTimestampMs, limit) as Row[];
    return rows.map((r) => ({ visibilityTimestampMs: Number(r.visibility_timestamp), taskId: Number(r.task_id), task: blob(r.data, r.data_encoding) }));
  }

  async getNextTimerTimestamp(shardId: number): Promise<number | undefined> {
    const row = this.st('SELECT MIN(visibility_timestamp) AS t FROM timer_tasks WHERE shard_id = ?').get(shardId) as Row | undefined;
    return row && row.t !== null && row.t !== undefined ? Number(row.t) : undefined;
  }

  async deleteTimerTask(shardId: number, rangeId: number, visibilityTimestampMs: number, taskId: number): Promise<void> {
    return this.committer.submit(() => {
      this.assertShardOwner(shardId, rangeId);
      this.st('DELETE FROM timer_tasks WHERE shard_id = ? AND visibility_timestamp = ? AND task_id = ?').run(shardId, visibilityTimestampMs, taskId);
    });
  }

  async getVisibilityTasks(shardId: number, afterTaskId: number, limit: number): Promise<TransferTaskRow[]> {
    const rows = this.st('SELECT task_id, data, data_encoding FROM visibility_tasks WHERE shard_id = ? AND task_id > ? ORDER BY task_id LIMIT ?').all(
      shardId,
      afterTaskId,
      limit,
    ) as Row[];
    return rows.map((r) => ({ taskId: Number(r.task_id), task: blob(r.data, r.data_encoding) }));
  }

  async deleteVisibilityTask(shardId: number, rangeId: number, taskId: number): Promise<void> {
    return this.committer.submit(() => {
      this.assertShardOwner(shardId, rangeId);
      this.st('DELETE FROM visibility_tasks WHERE shard_id = ? AND task_id = ?').run(shardId, taskId);
    });
  }

  // ---------------------------------------------------------------- matching
  async leaseTaskQueue(key: TaskQueueKey, info: DataBlob): Promise<number> {
    return this.db.transaction(() => {
      const row = this.st('SELECT range_id FROM task_queues WHERE namespace_id = ? AND task_queue_name = ? AND task_type = ?').get(
        key.namespaceId,
        key.name,
        key.taskType,
      ) as Row | undefined;
      if (!row) {
        this.st('INSERT INTO task_queues (namespace_id, task_queue_name, task_type, range_id, data, data_encoding) VALUES (?, ?, ?, 1, ?, ?)').run(
          key.namespaceId,
          key.name,
          key.taskType,
          info.data,
          info.encoding,
        );
        return 1;
      }
      const next = Number(row.range_id) + 1;
      this.st('UPDATE task_queues SET range_id = ?, data = ?, data_encoding = ? WHERE namespace_id = ? AND task_queue_name = ? AND task_type = ?').run(
        next,
        info.data,
        info.encoding,
        key.namespaceId,
        key.name,
        key.taskType,
      );
      return next;
    })();
  }

  async listTaskQueues(): Promise<TaskQueueKey[]> {
    const rows = this.st('SELECT namespace_id, task_queue_name, task_type FROM task_queues').all() as Row[];
    return rows.map((r) => ({ namespaceId: String(r.namespace_id), name: String(r.task_queue_name), taskType: Number(r.task_type) }));
  }

  async createTasks(key: TaskQueueKey, rangeId: number, tasks: TaskRow[]): Promise<void> {
    return this.committer.submit(() => {
      const row = this.st('SELECT range_id FROM task_queues WHERE namespace_id = ? AND task_queue_name = ? AND task_type = ?').get(
        key.namespaceId,
        key.name,
        key.taskType,
      ) as Row | undefined;
      if (!row || Number(row.range_id) !== rangeId) throw new ConditionFailedError(`task queue ${key.name} lease lost`);
      const stmt = this.st('INSERT INTO tasks (namespace_id, task_queue_name, task_type, task_id, data, data_encoding) VALUES (?, ?, ?, ?, ?, ?)');
      for (const t of tasks) stmt.run(key.namespaceId, key.name, key.taskType, t.taskId, t.task.data, t.task.encoding);
    });
  }

  async getTasks(key: TaskQueueKey, afterTaskId: number, limit: number): Promise<TaskRow[]> {
    const rows = this.st(
      'SELECT task_id, data, data_encoding FROM tasks WHERE namespace_id = ? AND task_queue_name = ? AND task_type = ? AND task_id > ? ORDER BY task_id LIMIT ?',
    ).all(key.namespaceId, key.name, key.taskType, afterTaskId, limit) as Row[];
    return rows.map((r) => ({ taskId: Number(r.task_id), task: blob(r.data, r.data_encoding) }));
  }

  async deleteTask(key: TaskQueueKey, taskId: number): Promise<void> {
    return this.committer.submit(() => {
      this.st('DELETE FROM tasks WHERE namespace_id = ? AND task_queue_name = ? AND task_type = ? AND task_id = ?').run(
        key.namespaceId,
        key.name,
        key.taskType,
        taskId,
      );
    });
  }

  // ---------------------------------------------------------------- namespaces
  private nsRow(r: Row): NamespaceRow {
    return {
      id: String(r.id),
      name: String(r.name),
      notificationVersion: Number(r.notification_version),
      info: blob(r.data, r.data_encoding),
      isGlobal: Number(r.is_global) !== 0,
    };
  }

  async createNamespace(row: Omit<NamespaceRow, 'notificationVersion'>): Promise<boolean> {
    return this.db.transaction(() => {
      const exists = this.st('SELECT 1 FROM namespaces WHERE partition_id = 54321 AND name = ?').get(row.name);
      if (exists) return false;
      const meta = this.st('SELECT notification_version FROM namespace_metadata WHERE partition_id = 54321').get() as Row | undefined;
      const version = meta ? Number(meta.notification_version) : 1;
      if (meta) this.st('UPDATE namespace_metadata SET notification_version = ? WHERE partition_id = 54321').run(version + 1);
      else this.st('INSERT INTO namespace_metadata (partition_id, notification_version) VALUES (54321, ?)').run(version + 1);
      this.st('INSERT INTO namespaces (partition_id, id, name, notification_version, data, data_encoding, is_global) VALUES (54321, ?, ?, ?, ?, ?, ?)').run(
        row.id,
        row.name,
        version,
        row.info.data,
        row.info.encoding,
        row.isGlobal ? 1 : 0,
      );
      return true;
    })();
  }

  async getNamespaceByName(name: string): Promise<NamespaceRow | undefined> {
    const r = this.st('SELECT * FROM namespaces WHERE partition_id = 54321 AND name = ?').get(name) as Row | undefined;
    return r ? this.nsRow(r) : undefined;
  }

  async getNamespaceById(id: string): Promise<NamespaceRow | undefined> {
    const r = this.st('SELECT * FROM namespaces WHERE partition_id = 54321 AND id = ?').get(id) as Row | undefined;
    return r ? this.nsRow(r) : undefined;
  }

  async updateNamespace(row: Omit<NamespaceRow, 'notificationVersion'>): Promise<boolean> {
    return this.db.transaction(() => {
      const meta = this.db.prepare('SELECT notification_version FROM namespace_metadata WHERE partition_id = 54321').get() as Row | undefined;
      const version = meta ? Number(meta.notification_version) : 1;
      const r = this.db
        .prepare('UPDATE namespaces SET data = ?, data_encoding = ?, notification_version = ? WHERE partition_id = 54321 AND id = ? AND name = ?')
        .run(row.info.data, row.info.encoding, version, row.id, row.name);
      if (r.changes !== 1) return false;
      if (meta) this.db.prepare('UPDATE namespace_metadata SET notification_version = ? WHERE partition_id = 54321').run(version + 1);
      return true;
    })();
  }

  async listNamespaces(): Promise<NamespaceRow[]> {
    return (this.st('SELECT * FROM namespaces WHERE partition_id = 54321 ORDER BY name').all() as Row[]).map((r) => this.nsRow(r));
  }

  // ---------------------------------------------------------------- cluster metadata
  async getClusterMetadata(clusterName: string): Promise<{ info: DataBlob; version: number } | undefined> {
    const r = this.st('SELECT data, data_encoding, version FROM cluster_metadata_info WHERE metadata_partition = 0 AND cluster_name = ?').get(clusterName) as
      Row | undefined;
    return r ? { info: blob(r.data, r.data_encoding), version: Number(r.version) } : undefined;
  }

  async saveClusterMetadata(clusterName: string, info: DataBlob, previousVersion: number | undefined): Promise<boolean> {
    if (previousVersion === undefined) {
      const r = this.st(
        'INSERT OR IGNORE INTO cluster_metadata_info (metadata_partition, cluster_name, data, data_encoding, version) VALUES (0, ?, ?, ?, 1)',
      ).run(clusterName, info.data, info.encoding);
      return r.changes === 1;
    }
    const r = this.st(
      'UPDATE cluster_metadata_info SET data = ?, data_encoding = ?, version = ? WHERE metadata_partition = 0 AND cluster_name = ? AND version = ?',
    ).run(info.data, info.encoding, previousVersion + 1, clusterName, previousVersion);
    return r.changes === 1;
  }

  async listServerVersions(clusterName: string): Promise<ServerVersionRow[]> {
    const rows = this.st(
      'SELECT server_version, first_started_time, activated_time, data, data_encoding FROM server_version_history WHERE cluster_name = ? ORDER BY first_started_time, server_version',
    ).all(clusterName) as Row[];
    return rows.map(serverVersionRow);
  }

  async recordServerVersionStart(clusterName: string, serverVersion: string, nowMs: number): Promise<void> {
    this.st('INSERT OR IGNORE INTO server_version_history (cluster_name, server_version, first_started_time) VALUES (?, ?, ?)').run(
      clusterName,
      serverVersion,
      nowMs,
    );
  }

  async updateServerVersion(clusterName: string, serverVersion: string, progress: DataBlob, activatedMs: number | undefined): Promise<void> {
    this.st(
      'UPDATE server_version_history SET data = ?, data_encoding = ?, activated_time = COALESCE(activated_time, ?) WHERE cluster_name = ? AND server_version = ?',
    ).run(progress.data, progress.encoding, activatedMs ?? null, clusterName, serverVersion);
  }
}
