/**
 * The executions store, written once for every SQL plugin: executions and current_executions, the
 * history tree and its nodes, and the shard's outbox tables (transfer_tasks, timer_tasks,
 * visibility_tasks). Every write of a shard is one program (statement.ts) that starts with the
 * shard fence, so a stale owner writes nothing; execution updates are conditional on
 * db_record_version. Which database runs the program, and how, is the executor's business.
 */
import { ConditionFailedError, ShardOwnershipLostError } from '../../common/errors';
import type {
  CreateExecutionRequest,
  CurrentExecutionRow,
  ExecutionKey,
  ExecutionRow,
  ExecutionStore,
  HistoryBatchRow,
  NewTasks,
  TimerTaskKey,
  TimerTaskRow,
  TransferTaskRow,
  UpdateExecutionRequest,
} from '../interfaces';
import type { SqlDialect } from './dialect';
import type { SqlExecutor } from './executor';
import { EXECUTION_DATA_COLUMNS, EXECUTION_SET, EXECUTION_WHERE, executionData, executionKey } from './execution-rows';
import { MAX_ONE_STATEMENT_ROWS, createExecutionStatement, deleteTasksStatement, rowsOf, updateExecutionStatement } from './one-statement-writes';
import { blob, num } from './rows';
import { insertRows, stmt, together, type Program, type Row, type Statement } from './statement';

/** outbox task keys per DELETE statement (well below every engine's limit on parameters) */
const DELETE_CHUNK = 200;

// The texts of the hot statements, built once: the executors' per-text caches then hash a string
// that keeps its hash rather than a new one per write.
const UPDATE_EXECUTION = `UPDATE executions SET ${EXECUTION_SET} WHERE ${EXECUTION_WHERE} AND db_record_version = ?`;
const UPDATE_CURRENT_STATE = `UPDATE current_executions SET state = ?, status = ? WHERE ${EXECUTION_WHERE}`;
const INSERT_EXECUTION = `INSERT INTO executions (shard_id, namespace_id, workflow_id, run_id, ${EXECUTION_DATA_COLUMNS.join(', ')}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const HISTORY_NODE_COLUMNS = ['shard_id', 'tree_id', 'branch_id', 'node_id', 'txn_id', 'prev_txn_id', 'data', 'data_encoding'] as const;
const fenceTexts = new Map<string, string>();
const fenceText = (d: SqlDialect): string => {
  let text = fenceTexts.get(d.forShare);
  if (text === undefined) fenceTexts.set(d.forShare, (text = `SELECT range_id FROM shards WHERE shard_id = ?${d.forShare}`));
  return text;
};

/**
 * The fence every shard write starts with: the shard row, share-locked for the rest of the
 * transaction, must still carry the writer's range_id (else ShardOwnershipLostError and the
 * transaction is undone). The share lock keeps a new owner's range_id bump (updateShard, an UPDATE
 * of the row) from committing in between, while the writes of one shard's executions, which only
 * share-lock it, run side by side (a FOR UPDATE here serialised every write of the shard). A locking
 * read sees the latest committed range_id on PostgreSQL and InnoDB alike, whatever the isolation.
 */
export function* fenceShard(d: SqlDialect, shardId: number, rangeId: number): Program<void> {
  // no program writes the shards row (updateShard is a write of its own), so the lock holds its answer;
  // SQLite has no share lock but one writer: its executor forgets the answer when a statement writes shards
  const { rows } = yield { ...stmt(fenceText(d), [shardId]), sameUntilCommit: true };
  const row = rows[0];
  if (!row || num(row.range_id) !== rangeId) throw new ShardOwnershipLostError(shardId, rangeId);
}

function insertHistory(shardId: number, batches: readonly HistoryBatchRow[]): Statement[] {
  const rows = batches.map((b) => [shardId, b.treeId, b.branchId, b.nodeId, b.txnId, b.prevTxnId, b.events.data, b.events.encoding]);
  return insertRows('history_node', HISTORY_NODE_COLUMNS, rows);
}

function insertTasks(shardId: number, tasks: NewTasks): Statement[] {
  const queue = ['shard_id', 'task_id', 'data', 'data_encoding'];
  const timer = ['shard_id', 'visibility_timestamp', 'task_id', 'data', 'data_encoding'];
  return [
    ...insertRows(
      'transfer_tasks',
      queue,
      tasks.transfer.map((t) => [shardId, t.taskId, t.task.data, t.task.encoding]),
    ),
    ...insertRows(
      'timer_tasks',
      timer,
      tasks.timer.map((t) => [shardId, t.visibilityTimestampMs, t.taskId, t.task.data, t.task.encoding]),
    ),
    ...insertRows(
      'visibility_tasks',
      queue,
      tasks.visibility.map((t) => [shardId, t.taskId, t.task.data, t.task.encoding]),
    ),
  ];
}

const queueTask = (r: Row): TransferTaskRow => ({ taskId: num(r.task_id), task: blob(r.data, r.data_encoding) });

/** History rows ordered by node id, then txn id descending, to batches: the highest txn of each node. */
function latestPerNode(treeId: string, branchId: string, rows: readonly Row[]): HistoryBatchRow[] {
  const out: HistoryBatchRow[] = [];
  for (const r of rows) {
    const nodeId = num(r.node_id);
    if (out.length > 0 && out[out.length - 1]!.nodeId === nodeId) continue;
    out.push({ treeId, branchId, nodeId, txnId: num(r.txn_id), prevTxnId: num(r.prev_txn_id), events: blob(r.data, r.data_encoding) });
  }
  return out;
}

/** The fence check of a one-statement write (one-statement-writes.ts): its answer's range_id. */
function checkFence(row: Row | undefined, shardId: number, rangeId: number): void {
  const fenced = row?.range_id;
  if (fenced === null || fenced === undefined || num(fenced) !== rangeId) throw new ShardOwnershipLostError(shardId, rangeId);
}

export class SqlExecutionStore implements ExecutionStore {
  private readonly d: SqlDialect;

  constructor(private readonly db: SqlExecutor) {
    this.d = db.dialect;
  }

  // ---------------------------------------------------------------- writes
  async createWorkflowExecution(req: CreateExecutionRequest): Promise<void> {
    const conflict = await this.db.transact(() => this.create(req));
    if (conflict !== undefined) throw new ConditionFailedError(conflict);
  }

  /**
   * The create's program. A current row that is not as the request expects is answered (its
   * message), not thrown: nothing is written by then, so the transaction ends as it would without
   * this program, and a group transaction (pooled-executor.ts) is not undone for a start that
   * found its workflow id taken (which a start that does not read the current row first expects).
   */
  private *create(req: CreateExecutionRequest): Program<string | undefined> {
    if (this.d.writableCte && rowsOf(req.history, req.tasks) + 2 <= MAX_ONE_STATEMENT_ROWS) {
      const { rows } = yield createExecutionStatement(req);
      checkFence(rows[0], req.shardId, req.rangeId);
      if (num(rows[0]!.matched) !== 1) {
        const { workflowId } = req.execution.key;
        const existing = rows[0]!.existing_run_id;
        return req.current.previousRunId === undefined
          ? `current execution of ${workflowId} exists${existing ? ` (${String(existing)})` : ''}`
          : `current execution of ${workflowId} is no longer ${req.current.previousRunId}`;
      }
      return undefined;
    }
    yield* fenceShard(this.d, req.shardId, req.rangeId);
    const e = req.execution;
    const { key } = e;
    const cur = req.current;
    if (cur.previousRunId === undefined) {
      // read after a failed insert without a lock: on MySQL the failed insert holds a share lock on the
      // row, and two failed starts upgrading theirs would deadlock
      const holder = (lock: boolean): Statement =>
        stmt(`SELECT run_id FROM current_executions WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ?${lock ? this.d.forUpdate : ''}`, [
          req.shardId,
          key.namespaceId,
          key.workflowId,
        ]);
      const taken = (runId: unknown): string => `current execution of ${key.workflowId} exists${runId ? ` (${String(runId)})` : ''}`;
      // where a failed statement does not end the transaction (SQLite, MySQL) the insert itself is the
      // check: a taken id fails it (the fence above keeps another owner out, and two starts of one id
      // meet at the primary key), and only then is the holder read, to name it. PostgreSQL (whose
      // large creates come here) reads first.
      if (this.d.statementErrorAbortsTransaction) {
        const { rows } = yield holder(true);
        if (rows[0]) return taken(rows[0].run_id);
      }
      try {
        yield stmt(
          'INSERT INTO current_executions (shard_id, namespace_id, workflow_id, run_id, create_request_id, state, status, start_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          [req.shardId, key.namespaceId, key.workflowId, key.runId, cur.createRequestId, cur.state, cur.status, cur.startTimeMs],
        );
      } catch (err) {
        if (!this.d.isDuplicateKey(err)) throw err;
        // after a read that found none, only a writer that bypassed the shard lock gets here
        if (this.d.statementErrorAbortsTransaction) throw new ConditionFailedError(taken(undefined));
        const { rows } = yield holder(false);
        return taken(rows[0]?.run_id);
      }
    } else {
      const { count } = yield stmt(
        'UPDATE current_executions SET run_id = ?, create_request_id = ?, state = ?, status = ?, start_time = ? WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ?',
        [key.runId, cur.createRequestId, cur.state, cur.status, cur.startTimeMs, req.shardId, key.namespaceId, key.workflowId, cur.previousRunId],
      );
      if (count !== 1) return `current execution of ${key.workflowId} is no longer ${cur.previousRunId}`;
    }
    // the checks passed (fence held, current row ours): the rest in one round trip where the executor can
    const tree = req.historyTree;
    yield* together([
      stmt(INSERT_EXECUTION, [...executionKey(req.shardId, e), ...executionData(e)]),
      stmt('INSERT INTO history_tree (shard_id, tree_id, branch_id, data, data_encoding) VALUES (?, ?, ?, ?, ?)', [
        req.shardId,
        tree.treeId,
        tree.branchId,
        tree.info.data,
        tree.info.encoding,
      ]),
      ...insertHistory(req.shardId, req.history),
      ...insertTasks(req.shardId, req.tasks),
    ]);
    return undefined;
  }

  updateWorkflowExecution(req: UpdateExecutionRequest): Promise<void> {
    return this.db.transact(() => this.update(req));
  }

  private *update(req: UpdateExecutionRequest): Program<void> {
    const e = req.execution;
    const k = e.key;
    if (this.d.writableCte && rowsOf(req.history, req.tasks) <= MAX_ONE_STATEMENT_ROWS) {
      const { rows } = yield updateExecutionStatement(req);
      checkFence(rows[0], req.shardId, req.rangeId);
      if (num(rows[0]!.matched) !== 1) throw new ConditionFailedError(`execution ${k.workflowId}/${k.runId} changed concurrently`);
      return;
    }
    yield* fenceShard(this.d, req.shardId, req.rangeId);
    const { count } = yield stmt(UPDATE_EXECUTION, [...executionData(e), ...executionKey(req.shardId, e), req.expectedDbRecordVersion]);
    if (count !== 1) throw new ConditionFailedError(`execution ${k.workflowId}/${k.runId} changed concurrently`);
    // the checks passed (fence held, execution row ours): the rest in one round trip where the executor can
    yield* together([
      ...(req.current ? [stmt(UPDATE_CURRENT_STATE, [req.current.state, req.current.status, ...executionKey(req.shardId, e)])] : []),
      ...insertHistory(req.shardId, req.history),
      ...insertTasks(req.shardId, req.tasks),
    ]);
  }

  deleteWorkflowExecution(shardId: number, rangeId: number, key: ExecutionKey): Promise<void> {
    const d = this.d;
    return this.db.transact(function* () {
      yield* fenceShard(d, shardId, rangeId);
      const where = [shardId, key.namespaceId, key.workflowId, key.runId];
      yield stmt(`DELETE FROM current_executions WHERE ${EXECUTION_WHERE}`, where);
      yield stmt(`DELETE FROM executions WHERE ${EXECUTION_WHERE}`, where);
      yield stmt('DELETE FROM history_node WHERE shard_id = ? AND tree_id = ?', [shardId, key.runId]);
      yield stmt('DELETE FROM history_tree WHERE shard_id = ? AND tree_id = ?', [shardId, key.runId]);
    });
  }

  /** Fenced deletes of executed outbox tasks, DELETE_CHUNK keys per statement, all in one transaction. */
  private deleteTasks<K>(shardId: number, rangeId: number, table: string, keys: readonly K[], match: (k: K) => [string, unknown[]]): Promise<void> {
    if (keys.length === 0) return Promise.resolve();
    const d = this.d;
    if (d.writableCte && keys.length <= DELETE_CHUNK) {
      const chunk = keys.map(match);
      const s = deleteTasksStatement(
        shardId,
        rangeId,
        table,
        chunk.map(([sql]) => sql).join(' OR '),
        chunk.flatMap(([, p]) => p),
      );
      return this.db.transact(function* () {
        const { rows } = yield s;
        checkFence(rows[0], shardId, rangeId);
      });
    }
    return this.db.transact(function* () {
      yield* fenceShard(d, shardId, rangeId);
      for (let i = 0; i < keys.length; i += DELETE_CHUNK) {
        const chunk = keys.slice(i, i + DELETE_CHUNK).map(match);
        yield stmt(`DELETE FROM ${table} WHERE shard_id = ? AND (${chunk.map(([sql]) => sql).join(' OR ')})`, [shardId, ...chunk.flatMap(([, p]) => p)]);
      }
    });
  }

  deleteTransferTasks(shardId: number, rangeId: number, taskIds: readonly number[]): Promise<void> {
    return this.deleteTasks(shardId, rangeId, 'transfer_tasks', taskIds, (id) => ['task_id = ?', [id]]);
  }

  deleteVisibilityTasks(shardId: number, rangeId: number, taskIds: readonly number[]): Promise<void> {
    return this.deleteTasks(shardId, rangeId, 'visibility_tasks', taskIds, (id) => ['task_id = ?', [id]]);
  }

  deleteTimerTasks(shardId: number, rangeId: number, keys: readonly TimerTaskKey[]): Promise<void> {
    // the primary key's order, so every engine finds each row by its index
    return this.deleteTasks(shardId, rangeId, 'timer_tasks', keys, (k) => ['(visibility_timestamp = ? AND task_id = ?)', [k.visibilityTimestampMs, k.taskId]]);
  }

  // ---------------------------------------------------------------- reads
  async getWorkflowExecution(shardId: number, key: ExecutionKey): Promise<ExecutionRow | undefined> {
    const [row] = await this.db.read(
      stmt(`SELECT next_event_id, db_record_version, data, data_encoding, state, state_encoding FROM executions WHERE ${EXECUTION_WHERE}`, [
        shardId,
        key.namespaceId,
        key.workflowId,
        key.runId,
      ]),
    );
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
    const [row] = await this.db.read(
      stmt('SELECT run_id, create_request_id, state, status, start_time FROM current_executions WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ?', [
        shardId,
        namespaceId,
        workflowId,
      ]),
    );
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
    const rows = await this.db.read(
      stmt(
        'SELECT node_id, txn_id, prev_txn_id, data, data_encoding FROM history_node WHERE shard_id = ? AND tree_id = ? AND branch_id = ? ORDER BY node_id ASC, txn_id DESC',
        [shardId, treeId, branchId],
      ),
    );
    return latestPerNode(treeId, branchId, rows);
  }

  async readHistoryBranchFrom(shardId: number, treeId: string, branchId: string, fromEventId: number, limit: number): Promise<HistoryBatchRow[]> {
    // the last node at or below fromEventId starts the page (it holds that event); one round trip, both parts by primary key
    const rows = await this.db.read(
      stmt(
        'SELECT node_id, txn_id, prev_txn_id, data, data_encoding FROM history_node WHERE shard_id = ? AND tree_id = ? AND branch_id = ? AND node_id >= ' +
          '(SELECT COALESCE(MAX(node_id), 0) FROM history_node WHERE shard_id = ? AND tree_id = ? AND branch_id = ? AND node_id <= ?) ' +
          'ORDER BY node_id ASC, txn_id DESC LIMIT ?',
        [shardId, treeId, branchId, shardId, treeId, branchId, fromEventId, limit],
      ),
    );
    return latestPerNode(treeId, branchId, rows);
  }

  async getTransferTasks(shardId: number, afterTaskId: number, limit: number): Promise<TransferTaskRow[]> {
    return this.queueTasks('transfer_tasks', shardId, afterTaskId, limit);
  }

  async getVisibilityTasks(shardId: number, afterTaskId: number, limit: number): Promise<TransferTaskRow[]> {
    return this.queueTasks('visibility_tasks', shardId, afterTaskId, limit);
  }

  private async queueTasks(table: 'transfer_tasks' | 'visibility_tasks', shardId: number, afterTaskId: number, limit: number): Promise<TransferTaskRow[]> {
    const rows = await this.db.read(
      stmt(`SELECT task_id, data, data_encoding FROM ${table} WHERE shard_id = ? AND task_id > ? ORDER BY task_id LIMIT ?`, [shardId, afterTaskId, limit]),
    );
    return rows.map(queueTask);
  }

  async getTimerTasks(shardId: number, beforeTimestampMs: number, limit: number): Promise<TimerTaskRow[]> {
    const rows = await this.db.read(
      stmt(
        'SELECT visibility_timestamp, task_id, data, data_encoding FROM timer_tasks WHERE shard_id = ? AND visibility_timestamp < ? ORDER BY visibility_timestamp, task_id LIMIT ?',
        [shardId, beforeTimestampMs, limit],
      ),
    );
    return rows.map((r) => ({ visibilityTimestampMs: num(r.visibility_timestamp), ...queueTask(r) }));
  }

  async getNextTimerTimestamp(shardId: number): Promise<number | undefined> {
    const [row] = await this.db.read(stmt('SELECT MIN(visibility_timestamp) AS t FROM timer_tasks WHERE shard_id = ?', [shardId]));
    return row && row.t !== null && row.t !== undefined ? num(row.t) : undefined;
  }
}
