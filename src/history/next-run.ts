/**
 * Runs that follow a closed run of the same workflow id: continue-as-new, the workflow retry policy
 * and cron schedules. The close event names the new run (new_execution_run_id) so clients follow the
 * chain; the new run is created (current_executions moved to it) inside the same engine.update as
 * the close, before the close commits. Its create request id is `<old run id>/next`, so a crash
 * between the two writes is repaired when the close is retried: the existing new run is reused.
 */
import { newUuid } from '../common/ids';
import { api, durationMs, fromB64, temporal, type IFailure, type IPayloads } from '../common/proto';
import type { MutationContext } from './context';
import { nextCronTimeMs } from './cron';
import type { HistoryEngine } from './engine';
import type { MutableState } from './mutable-state';
import { decideRetry } from './retry';
import { newRunContext } from './api/start-workflow';

type CanAttrs = temporal.api.command.v1.IContinueAsNewWorkflowExecutionCommandAttributes;
const Initiator = temporal.api.enums.v1.ContinueAsNewInitiator;
const RetryState = temporal.api.enums.v1.RetryState;

export interface NextRunPlan {
  kind: 'continue-as-new' | 'retry' | 'cron';
  runId: string;
  backoffMs: number;
  attempt: number;
  failure?: IFailure | null;
  lastCompletionResult?: IPayloads | null;
  /** continue-as-new: the command's attributes (unset fields keep the current run's values) */
  can?: CanAttrs;
}

export function nextRunRequestId(runId: string): string {
  return `${runId}/next`;
}

/** The run id the next run will get: the one already created by an interrupted earlier attempt, or new. */
export async function reserveNextRunId(engine: HistoryEngine, ms: MutableState): Promise<string> {
  const e = ms.execution;
  const shard = engine.shardFor(e.namespaceId, e.workflowId);
  const cur = await engine.store.executions.getCurrentExecution(shard.shardId, e.namespaceId, e.workflowId);
  if (cur && cur.createRequestId === nextRunRequestId(e.runId)) return cur.runId;
  return newUuid();
}

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

const INITIATOR: Record<NextRunPlan['kind'], number> = {
  'continue-as-new': Initiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
  retry: Initiator.CONTINUE_AS_NEW_INITIATOR_RETRY,
  cron: Initiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE,
};

/** Create the run planned by this change (if any). Call inside engine.update, after the close event. */
export async function createNextRun(engine: HistoryEngine, ctx: MutationContext): Promise<void> {
  const p = ctx.nextRun;
  if (!p) return;
  const old = ctx.ms.execution;
  const requestId = nextRunRequestId(old.runId);
  const shard = engine.shardFor(old.namespaceId, old.workflowId);
  const cur = await engine.store.executions.getCurrentExecution(shard.shardId, old.namespaceId, old.workflowId);
  ctx.currentRowMovedOn = true;
  if (cur && cur.createRequestId === requestId) return; // created by an earlier, interrupted attempt
  const first = (await engine.readHistory(ctx.ref))[0];
  const started = first?.workflowExecutionStartedEventAttributes ?? {};
  const can = p.can;
  const memo = old.memoB64 ? fromB64(api.common.v1.Memo, old.memoB64) : undefined;
  const sa = old.searchAttributesB64 ? fromB64(api.common.v1.SearchAttributes, old.searchAttributesB64) : undefined;
  const req: temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest = {
    namespace: old.namespace,
    workflowId: old.workflowId,
    workflowType: can?.workflowType?.name ? can.workflowType : { name: old.workflowType },
    taskQueue: can?.taskQueue?.name ? can.taskQueue : { name: old.taskQueue },
    input: can ? can.input : started.input,
    workflowExecutionTimeout: started.workflowExecutionTimeout,
    workflowRunTimeout: can?.workflowRunTimeout && durationMs(can.workflowRunTimeout) > 0 ? can.workflowRunTimeout : started.workflowRunTimeout,
    workflowTaskTimeout: can?.workflowTaskTimeout && durationMs(can.workflowTaskTimeout) > 0 ? can.workflowTaskTimeout : started.workflowTaskTimeout,
    retryPolicy: can?.retryPolicy ?? started.retryPolicy,
    cronSchedule: can?.cronSchedule || started.cronSchedule,
    memo: can?.memo ?? memo,
    searchAttributes: can?.searchAttributes ?? sa,
    header: can?.header ?? started.header,
    identity: started.identity,
  };
  const next = newRunContext({ id: old.namespaceId, name: old.namespace }, req, requestId, p.runId, {
    firstRunId: old.firstRunId,
    attempt: p.attempt,
    continuedExecutionRunId: old.runId,
    initiator: INITIATOR[p.kind],
    continuedFailure: p.failure,
    // a failed cron or retried run hands on the result of the last run that completed
    lastCompletionResult: p.lastCompletionResult ?? (p.kind !== 'continue-as-new' ? started.lastCompletionResult : undefined),
    backoffMs: p.backoffMs,
    executionExpirationMs: old.executionExpirationMs ?? 0,
    parent: old.parent,
  });
  next.scheduleWorkflowTask(); // no-op while the first task's backoff is pending
  await engine.create(next, old.runId);
}
