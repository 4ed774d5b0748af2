/** Server-side retry decisions for activities (Temporal's retry policy semantics). */
import { durationMs, RetryState, type IFailure, type IRetryPolicy } from '../common/proto';
import type { RetryPolicyJson } from './mutable-state';

export function resolveRetryPolicy(p: IRetryPolicy | null | undefined): RetryPolicyJson {
  const initial = durationMs(p?.initialInterval) || 1000;
  return {
    initialIntervalMs: initial,
    backoffCoefficient: p?.backoffCoefficient && p.backoffCoefficient >= 1 ? p.backoffCoefficient : 2,
    maximumIntervalMs: durationMs(p?.maximumInterval) || initial * 100,
    maximumAttempts: p?.maximumAttempts ?? 0,
    nonRetryableErrorTypes: [...(p?.nonRetryableErrorTypes ?? [])],
  };
}

export function retryPolicyProto(p: RetryPolicyJson): object {
  return {
    initialInterval: { seconds: Math.floor(p.initialIntervalMs / 1000), nanos: (p.initialIntervalMs % 1000) * 1e6 },
    backoffCoefficient: p.backoffCoefficient,
    maximumInterval: { seconds: Math.floor(p.maximumIntervalMs / 1000), nanos: (p.maximumIntervalMs % 1000) * 1e6 },
    maximumAttempts: p.maximumAttempts,
    nonRetryableErrorTypes: p.nonRetryableErrorTypes,
  };
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; retryState: number };

/**
 * Whether attempt `attempt` (which just failed with `failure`) is retried, and after how long.
 * `deadlineMs` is the schedule-to-close deadline (0 = none).
 */
export function decideRetry(policy: RetryPolicyJson, attempt: number, failure: IFailure | undefined, nowMs: number, deadlineMs: number): RetryDecision {
  const app = failure?.applicationFailureInfo;
  if (app?.nonRetryable || failure?.serverFailureInfo?.nonRetryable) return { retry: false, retryState: RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE };
  if (app?.type && policy.nonRetryableErrorTypes.includes(app.type)) {
    return { retry: false, retryState: RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE };
  }
  if (policy.maximumAttempts > 0 && attempt >= policy.maximumAttempts) {
    return { retry: false, retryState: RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED };
  }
  let delay = Math.min(policy.initialIntervalMs * Math.pow(policy.backoffCoefficient, attempt - 1), policy.maximumIntervalMs);
  const explicit = durationMs(app?.nextRetryDelay);
  if (explicit > 0) delay = explicit;
  if (deadlineMs > 0 && nowMs + delay >= deadlineMs) return { retry: false, retryState: RetryState.RETRY_STATE_TIMEOUT };
  return { retry: true, delayMs: Math.round(delay) };
}
