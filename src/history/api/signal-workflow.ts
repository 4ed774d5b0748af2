/** SignalWorkflowExecution: a WorkflowExecutionSignaled event and a workflow task; request ids dedupe retries. */
import { NotFoundError } from '../../common/errors';
import type { HistoryEngine } from '../engine';
import { isRunning } from '../mutable-state';
import type { ExecutionKey } from '../../persistence';
import type { SignalToDeliver } from './start-workflow';

const MAX_REMEMBERED_SIGNAL_REQUESTS = 100;

export async function signalWorkflow(engine: HistoryEngine, ref: ExecutionKey, s: SignalToDeliver): Promise<void> {
  await engine.update(ref, (ctx) => {
    // a retry of a signal already applied succeeds, even once the run has closed: its first answer
    // may have been lost (a crash after the commit), and the caller must not see it fail
    if (s.requestId && ctx.ms.signalRequestIds.includes(s.requestId)) return;
    if (!isRunning(ctx.ms)) throw new NotFoundError('workflow execution already completed', ref);
    ctx.addEvent('EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED', { signalName: s.signalName, input: s.input, header: s.header, identity: s.identity });
    if (s.requestId) {
      ctx.ms.signalRequestIds.push(s.requestId);
      if (ctx.ms.signalRequestIds.length > MAX_REMEMBERED_SIGNAL_REQUESTS) ctx.ms.signalRequestIds.shift();
    }
    ctx.scheduleWorkflowTask();
  });
}
