/**
 * Runs that follow a closed run of the same workflow id: continue-as-new, the workflow retry policy
 * and cron schedules (planned by the close: next-run-plan.ts). The close event names the new run
 * (new_execution_run_id) so clients follow the chain; the new run is created (current_executions
 * moved to it) inside the same engine.update as the close, before the close commits. Its create
 * request id is `<old run id>/next`, so a crash between the two writes is repaired when the close is
 * retried: the existing new run is reused.
 */
import { newUuid } from '../common/ids';
import { api, durationMs, fromB64, temporal } from '../common/proto';
import type { MutationContext, NextRunPlan } from './context';
import type { HistoryEngine } from './engine';
import type { MutableState } from './mutable-state';
import { scheduleWorkflowTask } from './state-machines/workflow-task';
import { newRunContext } from './api/start-workflow';

const Initiator = temporal.api.enums.v1.ContinueAsNewInitiator;

export function nextRunRequestId(runId: string): string {
  return `${runId}/next`;
}

/**
 * Whether closing with these close commands may start a next run: a CompleteWorkflowExecution starts one
 * only for a cron workflow (failures may retry, continue-as-new always does). Without one no next
 * run id need be reserved (a read of the current row saved).
 */
export function mayStartNextRun(ms: MutableState, closeCommands: readonly temporal.api.command.v1.ICommand[]): boolean {
  if (ms.execution.cronSchedule) return true;
  const complete = temporal.api.enums.v1.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION;
  return closeCommands.some((c) => Number(c.commandType) !== complete);
}

/** The run id the next run will get: the one already created by an interrupted earlier attempt, or new. */
export async function reserveNextRunId(engine: HistoryEngine, ms: MutableState): Promise<string> {
  const e = ms.execution;
  const shard = engine.shardFor(e.namespaceId, e.workflowId);
  const cur = await engine.store.executions.getCurrentExecution(shard.shardId, e.namespaceId, e.workflowId);
  if (cur && cur.createRequestId === nextRunRequestId(e.runId)) return cur.runId;
  return newUuid();
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
  const first = (await engine.readHistoryFrom(ctx.ref, 1, 2, 1)).events[0];
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
  scheduleWorkflowTask(next); // no-op while the first task's backoff is pending
  await engine.create(next, old.runId);
}
