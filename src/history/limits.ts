/**
 * Size limits, with Temporal's defaults (dynamic config `limit.blobSize.*`, `limit.historyCount.*`,
 * `limit.historySize.*`, `limit.memoSize.*`):
 *  - one payload field (input, result, details, failure) over the blob error limit (2 MiB) is refused:
 *    INVALID_ARGUMENT naming the field on client APIs; a workflow task whose command carries one
 *    fails and the workflow fails with a non-retryable ServerFailure (as Temporal's failWorkflow);
 *    an oversized activity result or heartbeat fails the activity; over the warn limit (512 KiB) is logged;
 *  - a running workflow whose history has more than 51,200 events or 50 MiB is terminated
 *    ("Workflow history count exceeds limit." / "... size ..."), and the call that found it out
 *    answers INVALID_ARGUMENT with that sentence.
 * The object is live: a server's limits can be changed while it runs (tests do).
 */
import { ServiceError } from '../common/errors';
import type { Logger } from '../common/logger';
import { api, type temporal } from '../common/proto';
import type { MutationContext } from './context';
import type { MutableState } from './mutable-state';
import { isRunning } from './state-machines/states';
import { workflowMachine } from './state-machines/workflow';

export interface Limits {
  blobSizeLimitError: number;
  blobSizeLimitWarn: number;
  memoSizeLimitError: number;
  memoSizeLimitWarn: number;
  historyCountLimitError: number;
  historyCountLimitWarn: number;
  historySizeLimitError: number;
  historySizeLimitWarn: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  blobSizeLimitError: 2 * MiB,
  blobSizeLimitWarn: 512 * KiB,
  memoSizeLimitError: 2 * MiB,
  memoSizeLimitWarn: 2 * KiB,
  historyCountLimitError: 51_200,
  historyCountLimitWarn: 10_240,
  historySizeLimitError: 50 * MiB,
  historySizeLimitWarn: 10 * MiB,
});

export function formatBytes(n: number): string {
  if (n >= MiB) return `${+(n / MiB).toFixed(2)} MiB`;
  if (n >= KiB) return `${+(n / KiB).toFixed(2)} KiB`;
  return `${n} bytes`;
}

/** Encoded size of a Payloads message (what Temporal's `.Size()` measures). */
export function payloadsSize(p: temporal.api.common.v1.IPayloads | null | undefined): number {
  if (!p?.payloads?.length) return 0;
  return api.common.v1.Payloads.encode(api.common.v1.Payloads.fromObject(p)).finish().length;
}

export function failureSize(f: temporal.api.failure.v1.IFailure | null | undefined): number {
  if (!f) return 0;
  return api.failure.v1.Failure.encode(api.failure.v1.Failure.fromObject(f)).finish().length;
}

export function memoSize(m: temporal.api.common.v1.IMemo | null | undefined): number {
  if (!m?.fields) return 0;
  return api.common.v1.Memo.encode(api.common.v1.Memo.fromObject(m)).finish().length;
}

export function markerDetailsSize(d: { [k: string]: temporal.api.common.v1.IPayloads } | null | undefined): number {
  let n = 0;
  for (const [k, v] of Object.entries(d ?? {})) n += k.length + payloadsSize(v);
  return n;
}

/** 'ok' | 'warn' | 'error' for a blob of `size` bytes. */
export function blobVerdict(size: number, limits: Limits, kind: 'blob' | 'memo' = 'blob'): 'ok' | 'warn' | 'error' {
  const [err, warn] = kind === 'memo' ? [limits.memoSizeLimitError, limits.memoSizeLimitWarn] : [limits.blobSizeLimitError, limits.blobSizeLimitWarn];
  if (size > err) return 'error';
  if (size > warn) return 'warn';
  return 'ok';
}

export function blobLimitSentence(size: number, limits: Limits, kind: 'blob' | 'memo' = 'blob'): string {
  const limit = kind === 'memo' ? limits.memoSizeLimitError : limits.blobSizeLimitError;
  return `size ${formatBytes(size)} (${size} bytes) exceeds the ${kind} size limit of ${formatBytes(limit)} (${limit} bytes)`;
}

/** A history limit was exceeded and the workflow terminated; the call that noticed answers INVALID_ARGUMENT. */
export class HistoryLimitExceededError extends ServiceError {
  readonly kind = 'invalid-argument';
}

export const HISTORY_COUNT_EXCEEDED = 'Workflow history count exceeds limit.';
export const HISTORY_SIZE_EXCEEDED = 'Workflow history size exceeds limit.';

/** A run's history as the limits count it: events (buffered ones included) and bytes. */
export interface HistoryFootprint {
  count: number;
  size: number;
}

export function historyFootprint(ms: MutableState): HistoryFootprint {
  return { count: ms.nextEventId - 1 + ms.bufferedEvents.length, size: ms.historySizeBytes };
}

/** Whether `value` went past `limit`, or past a further multiple of it, between `before` and now. */
const crossed = (before: number, value: number, limit: number): boolean =>
  // the multiples of `limit` strictly below each value ("exceeds" is strictly greater)
  value > limit && Math.floor((value - 1) / limit) > Math.floor((before - 1) / limit);

/**
 * Checked after every change of a running workflow (before commit): over the error limit the
 * workflow is terminated in the same transaction; returns the reason then.
 * Over the warn limit a warning is logged when the history goes past the limit and past each further
 * multiple of it (`before` is the footprint before the change), not on every change: a run with
 * 50,000 signals would otherwise log 40,000 identical warnings.
 */
export function enforceHistoryLimits(ctx: MutationContext, limits: Limits, log: Logger, before: HistoryFootprint): string | undefined {
  const ms = ctx.ms;
  if (!isRunning(ms)) return undefined;
  const { count, size } = historyFootprint(ms);
  let reason: string | undefined;
  if (count > limits.historyCountLimitError) reason = HISTORY_COUNT_EXCEEDED;
  else if (size > limits.historySizeLimitError) reason = HISTORY_SIZE_EXCEEDED;
  if (!reason) {
    if (crossed(before.count, count, limits.historyCountLimitWarn) || crossed(before.size, size, limits.historySizeLimitWarn)) {
      log.warn(
        { workflowId: ms.execution.workflowId, runId: ms.execution.runId, historyCount: count, historySizeBytes: size },
        'workflow history exceeds the warn limit',
      );
    }
    return undefined;
  }
  log.warn({ workflowId: ms.execution.workflowId, runId: ms.execution.runId, historyCount: count, historySizeBytes: size }, reason);
  // through the workflow table: a started workflow task is failed first, activities and timers abandoned
  workflowMachine.fire(ctx, ms, 'terminate', { reason, identity: 'history-service' });
  return reason;
}
