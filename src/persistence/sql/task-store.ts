/**
 * Matching's tables (task_queues, tasks), written once for every SQL plugin. A task queue's owner
 * holds a lease: range_id, bumped by every leaseTaskQueue; backlog inserts are conditional on it,
 * checked under a share lock of the queue row, so a lease taken meanwhile waits for them or fences
 * them out (ConditionFailedError).
 */
import { ConditionFailedError } from '../../common/errors';
import type { DataBlob } from '../blob';
import type { TaskQueueKey, TaskRow, TaskStore } from '../interfaces';
import type { SqlExecutor } from './executor';
import { blob, num } from './rows';
import { insertRows, stmt } from './statement';

const QUEUE_KEY = ['namespace_id', 'task_queue_name', 'task_type'] as const;
const QUEUE_WHERE = 'namespace_id = ? AND task_queue_name = ? AND task_type = ?';
const keyParams = (k: TaskQueueKey) => [k.namespaceId, k.name, k.taskType];

export class SqlTaskStore implements TaskStore {
  constructor(private readonly db: SqlExecutor) {}

  leaseTaskQueue(key: TaskQueueKey, info: DataBlob): Promise<number> {
    const d = this.db.dialect;
    // a new queue starts at range_id 1; an existing one is bumped, atomically (the row lock of the
    // upsert fences concurrent leases and the share lock of createTasks); then read back our value
    const bump = d.upsert('task_queues', QUEUE_KEY, [
      ['range_id', 'task_queues.range_id + 1'],
      ['data', d.incoming('data')],
      ['data_encoding', d.incoming('data_encoding')],
    ]);
    return this.db.transact(function* () {
      yield stmt(`INSERT INTO task_queues (${QUEUE_KEY.join(', ')}, range_id, data, data_encoding) VALUES (?, ?, ?, 1, ?, ?) ${bump}`, [
        ...keyParams(key),
        info.data,
        info.encoding,
      ]);
      const { rows } = yield stmt(`SELECT range_id FROM task_queues WHERE ${QUEUE_WHERE}${d.forUpdate}`, keyParams(key));
      const row = rows[0];
      if (!row) throw new Error(`task queue ${key.name} vanished while being leased`);
      return num(row.range_id);
    });
  }

  async listTaskQueues(): Promise<TaskQueueKey[]> {
    const rows = await this.db.read(stmt('SELECT namespace_id, task_queue_name, task_type FROM task_queues'));
    return rows.map((r) => ({ namespaceId: String(r.namespace_id), name: String(r.task_queue_name), taskType: num(r.task_type) }));
  }

  async createTasks(key: TaskQueueKey, rangeId: number, tasks: TaskRow[]): Promise<void> {
    const d = this.db.dialect;
    if (tasks.length === 1) {
      // the common case, one task, as ONE statement: the row is inserted only where the queue row
      // still has our range_id, read under the same share lock as below (a lease taken meanwhile
      // waits for it or fences it out); a round trip instead of BEGIN, fence, insert, COMMIT
      const t = tasks[0]!;
      const inserted = await this.db.write(
        stmt(
          `INSERT INTO tasks (${QUEUE_KEY.join(', ')}, task_id, data, data_encoding) ` +
            `SELECT ${QUEUE_KEY.join(', ')}, ${d.typedParam('bigint')}, ${d.typedParam('bytes')}, ${d.typedParam('text')} ` +
            `FROM task_queues WHERE ${QUEUE_WHERE} AND range_id = ?${d.forShare}`,
          [t.taskId, t.task.data, t.task.encoding, ...keyParams(key), rangeId],
        ),
      );
      if (inserted !== 1) throw new ConditionFailedError(`task queue ${key.name} lease lost`);
      return;
    }
    return this.db.transact(function* () {
      const { rows } = yield stmt(`SELECT range_id FROM task_queues WHERE ${QUEUE_WHERE}${d.forShare}`, keyParams(key));
      const row = rows[0];
      if (!row || num(row.range_id) !== rangeId) throw new ConditionFailedError(`task queue ${key.name} lease lost`);
      const values = tasks.map((t) => [...keyParams(key), t.taskId, t.task.data, t.task.encoding]);
      yield* insertRows('tasks', [...QUEUE_KEY, 'task_id', 'data', 'data_encoding'], values);
    });
  }

  async getTasks(key: TaskQueueKey, afterTaskId: number, limit: number): Promise<TaskRow[]> {
    const rows = await this.db.read(
      stmt(`SELECT task_id, data, data_encoding FROM tasks WHERE ${QUEUE_WHERE} AND task_id > ? ORDER BY task_id LIMIT ?`, [
        ...keyParams(key),
        afterTaskId,
        limit,
      ]),
    );
    return rows.map((r) => ({ taskId: num(r.task_id), task: blob(r.data, r.data_encoding) }));
  }

  async deleteTask(key: TaskQueueKey, taskId: number): Promise<void> {
    await this.db.write(stmt(`DELETE FROM tasks WHERE ${QUEUE_WHERE} AND task_id = ?`, [...keyParams(key), taskId]));
  }
}
