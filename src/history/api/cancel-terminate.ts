/**
 * RequestCancelWorkflowExecution (a cancel-requested event and a workflow task: the workflow decides)
 * and TerminateWorkflowExecution (closes the run at once; later responds on its tasks get NOT_FOUND).
 */
import { NotFoundError } from '../../common/errors';
import type { temporal } from '../../common/proto';
import type { HistoryEngine } from '../engine';
import { forceTerminate } from '../limits';
import { isRunning } from '../mutable-state';
import type { ExecutionKey } from '../../persistence';

export async function requestCancelWorkflow(engine: HistoryEngine, ref: ExecutionKey, reason: string, identity: string, requestId: string): Promise<void> {
  await engine.update(ref, (ctx) => {
    if (!isRunning(ctx.ms)) throw new NotFoundError('workflow execution already completed', ref);
    if (ctx.ms.execution.cancelRequested) return; // idempotent
    ctx.ms.execution.cancelRequested = true;
    ctx.addEvent('EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED', { cause: reason, identity });
    if (requestId) ctx.ms.signalRequestIds.push(requestId);
    ctx.scheduleWorkflowTask();
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
    if (!isRunning(ctx.ms)) throw new NotFoundError('workflow execution already completed', ref);
    forceTerminate(ctx, reason, identity, details);
  });
}
