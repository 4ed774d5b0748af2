/**
 * The visibility store contract over the visibility schema (executions_visibility,
 * custom_search_attributes), and the row helpers of its one SQL implementation (sql-store.ts).
 * Stores move rows; the query language, paging and search attribute rules live above (manager.ts,
 * query/, search-attributes.ts).
 */
import type { SqlDialect, UpsertCondition } from '../persistence';
import { ALL_CUSTOM_COLUMNS, ENUM_BY_SA_TYPE, SA_TYPE_BY_ENUM, type CustomAttribute, type SaType } from './search-attributes';

export interface VisibilityRecord {
  namespaceId: string;
  runId: string;
  workflowId: string;
  workflowTypeName: string;
  taskQueue: string;
  status: number;
  startTimeMs: number;
  executionTimeMs: number;
  closeTimeMs: number | null;
  historyLength: number | null;
  historySizeBytes: number | null;
  executionDurationMs: number | null;
  stateTransitionCount: number | null;
  /** temporal.api.common.v1.Memo, proto3 bytes */
  memo: Buffer | null;
  encoding: string | null;
  parentWorkflowId: string | null;
  parentRunId: string | null;
  rootWorkflowId: string | null;
  rootRunId: string | null;
  /** every search attribute of the run, name -> JSON value */
  searchAttributes: Record<string, unknown> | null;
  /** custom columns (Keyword01 ...) -> typed value; absent columns are written as NULL */
  columns: Record<string, unknown>;
}

export type Row = Record<string, unknown>;

export interface VisibilityStore {
  readonly dialect: SqlDialect;
  /** Insert or replace the row of a run (idempotent). */
  upsertExecution(r: VisibilityRecord): Promise<void>;
  deleteExecution(namespaceId: string, runId: string): Promise<void>;
  /** Run a SELECT written with `?` placeholders (the store renumbers them for its driver). */
  select(sql: string, params: unknown[]): Promise<Row[]>;
  listCustomAttributes(namespaceId: string): Promise<CustomAttribute[]>;
  addCustomAttributes(namespaceId: string, attrs: CustomAttribute[]): Promise<void>;
  /** Drop the mappings and clear their columns in the namespace's rows. */
  removeCustomAttributes(namespaceId: string, attrs: CustomAttribute[]): Promise<void>;
  close(): Promise<void>;
}

export const BASE_COLUMNS = [
  'namespace_id',
  'run_id',
  'workflow_id',
  'workflow_type_name',
  'task_queue',
  'status',
  'start_time',
  'execution_time',
  'close_time',
  'history_length',
  'history_size_bytes',
  'execution_duration',
  'state_transition_count',
  'memo',
  'encoding',
  'parent_workflow_id',
  'parent_run_id',
  'root_workflow_id',
  'root_run_id',
  'search_attributes',
] as const;

export const ALL_COLUMNS: string[] = [...BASE_COLUMNS, ...ALL_CUSTOM_COLUMNS];

/**
 * A visibility row only moves forward. Every change of a run (start, upsert, memo, close) adds
 * history events, so an upsert that carries a shorter history than the stored row is stale — a task
 * applied late, or one a killed server process had in flight — and must change nothing.
 */
export const notOlderThanStored: UpsertCondition = {
  columns: ['history_length'],
  condition: (incoming, stored) => `COALESCE(${incoming('history_length')}, 0) >= COALESCE(${stored('history_length')}, 0)`,
};

/** The values of ALL_COLUMNS for a record, in order. */
export function recordValues(r: VisibilityRecord, bool: (b: boolean) => unknown): unknown[] {
  const base = [
    r.namespaceId,
    r.runId,
    r.workflowId,
    r.workflowTypeName,
    r.taskQueue,
    r.status,
    r.startTimeMs,
    r.executionTimeMs,
    r.closeTimeMs,
    r.historyLength,
    r.historySizeBytes,
    r.executionDurationMs,
    r.stateTransitionCount,
    r.memo,
    r.encoding,
    r.parentWorkflowId,
    r.parentRunId,
    r.rootWorkflowId,
    r.rootRunId,
    r.searchAttributes ? JSON.stringify(r.searchAttributes) : null,
  ];
  const custom = ALL_CUSTOM_COLUMNS.map((c) => {
    const v = r.columns[c];
    if (v === undefined) return null;
    return typeof v === 'boolean' ? bool(v) : v;
  });
  return [...base, ...custom];
}

export function toNumber(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'number' ? v : Number(v);
}

/** custom_search_attributes.type holds temporal.api.enums.v1.IndexedValueType */
export function typeCode(t: SaType): number {
  return ENUM_BY_SA_TYPE[t];
}

/** A custom_search_attributes row as read (type code -> type name; unknown columns are refused). */
export function fromRow(r: { name: string; type: string; column: string }): CustomAttribute {
  const type = SA_TYPE_BY_ENUM[Number(r.type)];
  if (!type) throw new Error(`custom_search_attributes row ${r.name} has unknown type ${r.type}`);
  if (!ALL_CUSTOM_COLUMNS.includes(r.column)) throw new Error(`custom_search_attributes row ${r.name} maps to unknown column ${r.column}`);
  return { name: r.name, type, column: r.column };
}
