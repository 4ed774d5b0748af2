/** SignalWorkflowExecution: a WorkflowExecutionSignaled event and a workflow task; request ids dedupe retries. */
import { NotFoundError } from '../../common/errors';
import type { HistoryEngine } from '../engine';
import { isRunning } from '../mutable-state';
import type { ExecutionRef } from '../tasks';
import type { SignalToDeliver } from './start-workflow';

const MAX_REMEMBERED_SIGNAL_REQUESTS = 100;

export async function signalWorkflow(engine: HistoryEngine, ref: ExecutionRef, s: SignalToDeliver): Promise<void> {
  await engine.update(ref, (ctx) => {
    if (!isRunning(ctx.ms)) throw new NotFoundError('workflow execution already completed', ref);
    if (s.requestId && ctx.ms.signalRequestIds.includes(s.requestId)) return;
    ctx.addEvent('EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED', { signalName: s.signalName, input: s.input, header: s.header, identity: s.identity });
    if (s.requestId) {
      ctx.ms.signalRequestIds.push(s.requestId);
      if (ctx.ms.signalRequestIds.length > MAX_REMEMBERED_SIGNAL_REQUESTS) ctx.ms.signalRequestIds.shift();
    }
    ctx.scheduleWorkflowTask();
  });
}
