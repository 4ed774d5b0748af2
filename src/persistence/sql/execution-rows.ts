/**
 * The executions row as both ways of writing it see it (the portable programs of execution-store.ts
 * and the one-statement writes of one-statement-writes.ts): its key condition, the columns a create
 * or an update writes after the key, and their values, so the two cannot drift apart.
 */
import type { ExecutionRow } from '../interfaces';

export const EXECUTION_WHERE = 'shard_id = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ?';

/** The columns after the key, in the order of executionData. */
export const EXECUTION_DATA_COLUMNS = ['next_event_id', 'db_record_version', 'data', 'data_encoding', 'state', 'state_encoding'] as const;

/** `col = ?, …` over EXECUTION_DATA_COLUMNS, for an UPDATE. */
export const EXECUTION_SET = EXECUTION_DATA_COLUMNS.map((c) => `${c} = ?`).join(', ');

/** The values of EXECUTION_WHERE. */
export function executionKey(shardId: number, e: ExecutionRow): unknown[] {
  return [shardId, e.key.namespaceId, e.key.workflowId, e.key.runId];
}

/** The values of EXECUTION_DATA_COLUMNS. */
export function executionData(e: ExecutionRow): unknown[] {
  return [e.nextEventId, e.dbRecordVersion, e.info.data, e.info.encoding, e.state.data, e.state.encoding];
}
