/**
 * What follows a closing run: the workflow retry policy, the cron schedule or a continue-as-new
 * command decide whether a next run of the same workflow id starts, when, and with which attempt.
 * Planning only (inside the close's transition, see state-machines/workflow.ts): the next run is
 * created by next-run.ts before the close commits.
 */
import { durationMs, temporal, type IFailure, type IPayloads } from '../common/proto';
import { newUuid } from '../common/ids';
import type { MutationContext, NextRunPlan } from './context';
import { nextCronTimeMs } from './cron';
import { decideRetry } from './retry';

type CanAttrs = temporal.api.command.v1.IContinueAsNewWorkflowExecutionCommandAttributes;
const RetryState = temporal.api.enums.v1.RetryState;

function plan(ctx: MutationContext, p: Omit<NextRunPlan, 'runId'>): NextRunPlan {
  const runId = ctx.reservedNextRunId ?? newUuid();
  const full = { ...p, runId };
  ctx.nextRun = full;
  ctx.ms.execution.nextRunId = runId;
  return full;
}

function cronPlan(ctx: MutationContext, failure: IFailure | null | undefined, result: IPayloads | null | undefined): NextRunPlan | undefined {
  const cron = ctx.ms.execution.cronSchedule;
  if (!cron) return undefined;
  const next = nextCronTimeMs(cron, ctx.nowMs);
  const expiration = ctx.ms.execution.executionExpirationMs ?? 0;
  if (expiration > 0 && next >= expiration) return undefined;
  return plan(ctx, { kind: 'cron', backoffMs: next - ctx.nowMs, attempt: 1, failure, lastCompletionResult: result });
}

/** CompleteWorkflowExecution: a cron workflow starts its next run. */
export function planAfterCompletion(ctx: MutationContext, result: IPayloads | null | undefined): NextRunPlan | undefined {
  return cronPlan(ctx, undefined, result);
}

/** FailWorkflowExecution or a run timeout: retry per the workflow retry policy, else the next cron run. */
export function planAfterFailure(ctx: MutationContext, failure: IFailure): { plan: NextRunPlan | undefined; retryState: number } {
  const e = ctx.ms.execution;
  if (e.retryPolicy) {
    const attempt = e.attempt ?? 1;
    const d = decideRetry(e.retryPolicy, attempt, failure, ctx.nowMs, e.executionExpirationMs ?? 0);
    if (d.retry) {
      const p = plan(ctx, { kind: 'retry', backoffMs: d.delayMs, attempt: attempt + 1, failure });
      return { plan: p, retryState: RetryState.RETRY_STATE_IN_PROGRESS };
    }
    return { plan: cronPlan(ctx, failure, undefined), retryState: d.retryState };
  }
  return { plan: cronPlan(ctx, failure, undefined), retryState: RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET };
}

/** ContinueAsNewWorkflowExecution command. */
export function planContinueAsNew(ctx: MutationContext, a: CanAttrs): NextRunPlan {
  return plan(ctx, {
    kind: 'continue-as-new',
    backoffMs: durationMs(a.backoffStartInterval),
    attempt: 1,
    failure: a.failure,
    lastCompletionResult: a.lastCompletionResult,
    can: a,
  });
}
