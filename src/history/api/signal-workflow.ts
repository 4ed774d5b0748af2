/** SignalWorkflowExecution: a WorkflowExecutionSignaled event and a workflow task; request ids dedupe retries. */
import { NotFoundError } from '../../common/errors';
import type { HistoryEngine } from '../engine';
import { workflowMachine, type WorkflowSignal } from '../state-machines/workflow';
import type { ExecutionKey } from '../../persistence';

export type SignalToDeliver = WorkflowSignal;

export async function signalWorkflow(engine: HistoryEngine, ref: ExecutionKey, s: SignalToDeliver): Promise<void> {
  await engine.update(ref, (ctx) => {
    // a retry of a signal already applied succeeds, even once the run has closed: its first answer
    // may have been lost (a crash after the commit), and the caller must not see it fail
    if (s.requestId && ctx.ms.signalRequestIds.includes(s.requestId)) return;
    if (!workflowMachine.can(ctx.ms, 'signal')) throw new NotFoundError('workflow execution already completed', ref);
    workflowMachine.fire(ctx, ctx.ms, 'signal', s);
  });
}
