/**
 * Field checks the per-RPC validators are built from: each throws InvalidArgumentError naming the
 * field (INVALID_ARGUMENT on the wire) and says what is wrong. They only look at the request.
 */
import { InvalidArgumentError } from '../../common/errors';
import { num, temporal, type IDuration } from '../../common/proto';
import { blobLimitSentence, blobVerdict, decodeTaskToken, type ActivityTaskToken, type Limits, type WorkflowTaskToken } from '../../history';

/**
 * Longest ids and names (workflow id, type, task queue, signal name, ...). Temporal's default is 1000
 * bytes, but the columns these land in are VARCHAR(255) on every plugin (executions.workflow_id,
 * task_queues.task_queue_name, visibility's workflow_type_name: characters on PostgreSQL and MySQL's
 * utf8mb4): 255 UTF-16 code units is never more than 255 characters, so every plugin holds it and
 * the same request gets the same answer on all of them.
 */
export const MAX_ID_LENGTH = 255;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function requireNamespace(namespace: string | null | undefined, why = ''): void {
  if (!namespace) throw new InvalidArgumentError('namespace', `is required${why}`);
}

export function requireName(v: string | null | undefined, field: string): void {
  if (!v) throw new InvalidArgumentError(field, 'is required');
  if (v.length > MAX_ID_LENGTH) throw new InvalidArgumentError(field, `exceeds length limit of ${MAX_ID_LENGTH}`);
}

export function maxLength(v: string | null | undefined, field: string, limit: number): void {
  if (v && v.length > limit) throw new InvalidArgumentError(field, `exceeds length limit of ${limit}`);
}

/** A workflow id (required) and optionally a run id (a UUID). */
export function requireExecution(e: temporal.api.common.v1.IWorkflowExecution | null | undefined, field = 'workflowExecution'): void {
  requireName(e?.workflowId, `${field}.workflowId`);
  if (e?.runId && !UUID.test(e.runId)) throw new InvalidArgumentError(`${field}.runId`, `"${e.runId.slice(0, 64)}" is not a valid run id (a UUID)`);
}

export function requireTaskQueue(tq: temporal.api.taskqueue.v1.ITaskQueue | null | undefined): void {
  requireName(tq?.name, 'taskQueue.name');
  requireEnum(temporal.api.enums.v1.TaskQueueKind, tq?.kind, 'taskQueue.kind');
}

/** Unset, or a value of the proto enum `e` (`allowUnspecified`: 0 counts as unset). */
export function requireEnum(e: object, v: unknown, field: string, allowUnspecified = true): void {
  if (v === null || v === undefined) return;
  const n = Number(v);
  const name = (e as Record<number, string | undefined>)[n];
  if (typeof name !== 'string' || (!allowUnspecified && n === 0)) {
    throw new InvalidArgumentError(field, `${String(v)} is not a valid value`);
  }
}

export function notNegative(d: IDuration | null | undefined, field: string): void {
  if (d && (num(d.seconds) < 0 || (d.nanos ?? 0) < 0)) throw new InvalidArgumentError(field, 'must not be negative');
}

/** A client-supplied payload over the blob error limit. */
export function checkBlob(field: string, size: number, limits: Limits): void {
  if (blobVerdict(size, limits) === 'error') throw new InvalidArgumentError(field, blobLimitSentence(size, limits));
}

export function requireUpdateRequest(r: temporal.api.update.v1.IRequest | null | undefined, field: string): void {
  if (!r?.meta?.updateId) throw new InvalidArgumentError(`${field}.meta.updateId`, 'is required');
  if (!r.input?.name) throw new InvalidArgumentError(`${field}.input.name`, 'is required');
}

export function workflowTaskToken(b: Uint8Array | null | undefined): WorkflowTaskToken {
  const t = decodeTaskToken(b);
  if (t.k !== 'wt') throw new InvalidArgumentError('taskToken', 'is not a workflow task token');
  return t;
}

export function activityTaskToken(b: Uint8Array | null | undefined): ActivityTaskToken {
  const t = decodeTaskToken(b);
  if (t.k !== 'at') throw new InvalidArgumentError('taskToken', 'is not an activity task token');
  return t;
}

export function queryTaskId(b: Uint8Array | null | undefined): string {
  const t = decodeTaskToken(b);
  if (t.k !== 'q') throw new InvalidArgumentError('taskToken', 'is not a query task token');
  return t.id;
}
