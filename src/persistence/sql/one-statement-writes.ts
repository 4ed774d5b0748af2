/**
 * The executions store's shard writes as ONE statement each, for databases with data-modifying
 * common table expressions (PostgreSQL; dialect.writableCte). The portable programs in
 * execution-store.ts send the fence, the execution write and every outbox and history INSERT one
 * after the other, a round trip each while the transaction waits; here the same writes travel as one
 * `WITH ... SELECT` and the database runs them together:
 *
 *   fence  SELECT range_id FROM shards ... FOR SHARE   (the same share lock as fenceShard)
 *   gate   the conditional write: UPDATE executions ... AND db_record_version = ? AND fence matches,
 *          or the current_executions INSERT/UPDATE of a create, also only where the fence matches
 *   then   every other write, each only WHERE EXISTS (SELECT 1 FROM gate)
 *   answer SELECT the fenced range_id and whether the gate wrote
 *
 * So a stale range_id or a lost condition writes nothing at all, and the caller reads which check
 * failed from the answer and throws as the portable program would (the transaction is undone
 * either way). Being all-or-nothing on its own, such a statement is run in autocommit when its
 * program has a transaction to itself (Statement.selfContained; pooled-executor.ts). FOR SHARE in a CTE is a locking read: under READ COMMITTED it waits for a concurrent
 * range_id bump and sees the committed value, then holds the lock to the end of the transaction.
 *
 * Parameters of a VALUES list in a sub-SELECT get no type from the target table, so the first row
 * casts each column to its type (TYPES; only the columns written here).
 */
import type { CreateExecutionRequest, HistoryBatchRow, NewTasks, UpdateExecutionRequest } from '../interfaces';
import { EXECUTION_DATA_COLUMNS, EXECUTION_SET, EXECUTION_WHERE, executionData, executionKey } from './execution-rows';
import { stmt, type Statement } from './statement';

const TYPES: Record<string, Record<string, string>> = {
  current_executions: {
    shard_id: 'integer',
    namespace_id: 'varchar',
    workflow_id: 'varchar',
    run_id: 'varchar',
    create_request_id: 'varchar',
    state: 'integer',
    status: 'integer',
    start_time: 'bigint',
  },
  executions: {
    shard_id: 'integer',
    namespace_id: 'varchar',
    workflow_id: 'varchar',
    run_id: 'varchar',
    next_event_id: 'bigint',
    db_record_version: 'bigint',
    data: 'bytea',
    data_encoding: 'varchar',
    state: 'bytea',
    state_encoding: 'varchar',
  },
  history_tree: { shard_id: 'integer', tree_id: 'varchar', branch_id: 'varchar', data: 'bytea', data_encoding: 'varchar' },
  history_node: {
    shard_id: 'integer',
    tree_id: 'varchar',
    branch_id: 'varchar',
    node_id: 'bigint',
    txn_id: 'bigint',
    prev_txn_id: 'bigint',
    data: 'bytea',
    data_encoding: 'varchar',
  },
  transfer_tasks: { shard_id: 'integer', task_id: 'bigint', data: 'bytea', data_encoding: 'varchar' },
  visibility_tasks: { shard_id: 'integer', task_id: 'bigint', data: 'bytea', data_encoding: 'varchar' },
  timer_tasks: { shard_id: 'integer', visibility_timestamp: 'bigint', task_id: 'bigint', data: 'bytea', data_encoding: 'varchar' },
};

/** Rows in one statement at most (all tables together); a larger write takes the portable program. */
export const MAX_ONE_STATEMENT_ROWS = 200;

/** The WITH clauses and their parameters, in text order. */
class Builder {
  readonly ctes: string[] = [];
  readonly params: unknown[] = [];
  private n = 0;

  /** `sql` with its `?` parameters; returns the CTE's name */
  add(sql: string, params: readonly unknown[]): string {
    const name = `w${++this.n}`;
    this.ctes.push(`${name} AS (${sql})`);
    this.params.push(...params);
    return name;
  }

  /** INSERT of `rows` only where `gate` returned a row. */
  insert(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[], gate: string): void {
    if (rows.length === 0) return;
    const types = TYPES[table]!;
    const first = `(${columns.map((c) => `CAST(? AS ${types[c]!})`).join(', ')})`;
    const rest = `(${columns.map(() => '?').join(', ')})`;
    const values = rows.map((_, i) => (i === 0 ? first : rest)).join(', ');
    const cols = columns.join(', ');
    this.add(`INSERT INTO ${table} (${cols}) SELECT ${cols} FROM (VALUES ${values}) AS v (${cols}) WHERE EXISTS (SELECT 1 FROM ${gate})`, rows.flat());
  }

  /** The statement: the CTEs, then `answer` (a select list). */
  build(answer: string, answerParams: readonly unknown[] = []): Statement {
    // the gate and the fence are the statement's own: it may run without a transaction around it
    return { ...stmt(`WITH ${this.ctes.join(', ')} SELECT ${answer}`, [...this.params, ...answerParams]), selfContained: true };
  }
}

function fence(b: Builder, shardId: number): string {
  return b.add('SELECT range_id FROM shards WHERE shard_id = ? FOR SHARE', [shardId]);
}

function historyAndTasks(b: Builder, shardId: number, history: readonly HistoryBatchRow[], tasks: NewTasks, gate: string): void {
  b.insert(
    'history_node',
    ['shard_id', 'tree_id', 'branch_id', 'node_id', 'txn_id', 'prev_txn_id', 'data', 'data_encoding'],
    history.map((h) => [shardId, h.treeId, h.branchId, h.nodeId, h.txnId, h.prevTxnId, h.events.data, h.events.encoding]),
    gate,
  );
  const queue = ['shard_id', 'task_id', 'data', 'data_encoding'];
  b.insert(
    'transfer_tasks',
    queue,
    tasks.transfer.map((t) => [shardId, t.taskId, t.task.data, t.task.encoding]),
    gate,
  );
  b.insert(
    'timer_tasks',
    ['shard_id', 'visibility_timestamp', 'task_id', 'data', 'data_encoding'],
    tasks.timer.map((t) => [shardId, t.visibilityTimestampMs, t.taskId, t.task.data, t.task.encoding]),
    gate,
  );
  b.insert(
    'visibility_tasks',
    queue,
    tasks.visibility.map((t) => [shardId, t.taskId, t.task.data, t.task.encoding]),
    gate,
  );
}

/** Rows a write carries, to decide whether it fits one statement. */
export function rowsOf(history: readonly HistoryBatchRow[], tasks: NewTasks): number {
  return history.length + tasks.transfer.length + tasks.timer.length + tasks.visibility.length;
}

/**
 * updateWorkflowExecution in one statement. Answers `range_id` (the shard's, NULL without a row) and
 * `matched` (1 when the execution row still had the expected version and everything was written).
 */
export function updateExecutionStatement(req: UpdateExecutionRequest): Statement {
  const b = new Builder();
  const e = req.execution;
  const f = fence(b, req.shardId);
  const gate = b.add(
    `UPDATE executions SET ${EXECUTION_SET} WHERE ${EXECUTION_WHERE} AND db_record_version = ? AND (SELECT range_id FROM ${f}) = ? RETURNING 1`,
    [...executionData(e), ...executionKey(req.shardId, e), req.expectedDbRecordVersion, req.rangeId],
  );
  if (req.current) {
    b.add(`UPDATE current_executions SET state = ?, status = ? WHERE ${EXECUTION_WHERE} AND EXISTS (SELECT 1 FROM ${gate})`, [
      req.current.state,
      req.current.status,
      ...executionKey(req.shardId, e),
    ]);
  }
  historyAndTasks(b, req.shardId, req.history, req.tasks, gate);
  return b.build(`(SELECT range_id FROM ${f}) AS range_id, (SELECT count(*) FROM ${gate}) AS matched`);
}

/**
 * createWorkflowExecution in one statement. Answers `range_id` (as above), `matched` (1 when the
 * current_executions row was written, and with it everything else) and `existing_run_id` (the run
 * the current row pointed at when the statement began, for the error message).
 */
export function createExecutionStatement(req: CreateExecutionRequest): Statement {
  const b = new Builder();
  const e = req.execution;
  const { key } = e;
  const cur = req.current;
  const f = fence(b, req.shardId);
  let gate: string;
  if (cur.previousRunId === undefined) {
    const cols = ['shard_id', 'namespace_id', 'workflow_id', 'run_id', 'create_request_id', 'state', 'status', 'start_time'];
    const types = TYPES.current_executions!;
    gate = b.add(
      `INSERT INTO current_executions (${cols.join(', ')}) SELECT ${cols.join(', ')} FROM (VALUES (${cols.map((c) => `CAST(? AS ${types[c]!})`).join(', ')})) AS v (${cols.join(', ')}) ` +
        `WHERE (SELECT range_id FROM ${f}) = ? ON CONFLICT (shard_id, namespace_id, workflow_id) DO NOTHING RETURNING 1`,
      [req.shardId, key.namespaceId, key.workflowId, key.runId, cur.createRequestId, cur.state, cur.status, cur.startTimeMs, req.rangeId],
    );
  } else {
    gate = b.add(
      `UPDATE current_executions SET run_id = ?, create_request_id = ?, state = ?, status = ?, start_time = ? WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ? AND (SELECT range_id FROM ${f}) = ? RETURNING 1`,
      [key.runId, cur.createRequestId, cur.state, cur.status, cur.startTimeMs, req.shardId, key.namespaceId, key.workflowId, cur.previousRunId, req.rangeId],
    );
  }
  b.insert(
    'executions',
    ['shard_id', 'namespace_id', 'workflow_id', 'run_id', ...EXECUTION_DATA_COLUMNS],
    [[...executionKey(req.shardId, e), ...executionData(e)]],
    gate,
  );
  const tree = req.historyTree;
  b.insert(
    'history_tree',
    ['shard_id', 'tree_id', 'branch_id', 'data', 'data_encoding'],
    [[req.shardId, tree.treeId, tree.branchId, tree.info.data, tree.info.encoding]],
    gate,
  );
  historyAndTasks(b, req.shardId, req.history, req.tasks, gate);
  return b.build(
    `(SELECT range_id FROM ${f}) AS range_id, (SELECT count(*) FROM ${gate}) AS matched, ` +
      '(SELECT run_id FROM current_executions WHERE shard_id = ? AND namespace_id = ? AND workflow_id = ?) AS existing_run_id',
    [req.shardId, key.namespaceId, key.workflowId],
  );
}

/**
 * A fenced DELETE of executed outbox tasks in one statement (`where` with its parameters picks the
 * rows of the shard). Answers `range_id`; the DELETE only ran if it is the writer's.
 */
export function deleteTasksStatement(shardId: number, rangeId: number, table: string, where: string, params: readonly unknown[]): Statement {
  const b = new Builder();
  const f = fence(b, shardId);
  b.add(`DELETE FROM ${table} WHERE shard_id = ? AND (${where}) AND (SELECT range_id FROM ${f}) = ?`, [shardId, ...params, rangeId]);
  return b.build(`(SELECT range_id FROM ${f}) AS range_id`);
}
