/**
 * RequestCancelWorkflowExecution (a cancel-requested event and a workflow task: the workflow decides)
 * and TerminateWorkflowExecution (closes the run at once; later responds on its tasks get NOT_FOUND).
 */
import { NotFoundError } from '../../common/errors';
import type { temporal } from '../../common/proto';
import type { HistoryEngine } from '../engine';
import { workflowMachine } from '../state-machines/workflow';
import type { ExecutionKey } from '../../persistence';

export async function requestCancelWorkflow(engine: HistoryEngine, ref: ExecutionKey, reason: string, identity: string, requestId: string): Promise<void> {
  await engine.update(ref, (ctx) => {
    if (!workflowMachine.can(ctx.ms, 'request-cancel')) throw new NotFoundError('workflow execution already completed', ref);
    workflowMachine.fire(ctx, ctx.ms, 'request-cancel', { reason, identity, requestId });
  });
}

export async function terminateWorkflow(
  engine: HistoryEngine,
  ref: ExecutionKey,
  reason: string,
  details: temporal.api.common.v1.IPayloads | null | undefined,
  identity: string,
): Promise<void> {
  await engine.update(ref, (ctx) => {
    if (!workflowMachine.can(ctx.ms, 'terminate')) throw new NotFoundError('workflow execution already completed', ref);
    workflowMachine.fire(ctx, ctx.ms, 'terminate', { reason, details, identity });
  });
}
