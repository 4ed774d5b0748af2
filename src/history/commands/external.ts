/**
 * SignalExternalWorkflowExecution and RequestCancelExternalWorkflowExecution: the request is recorded
 * (an initiated event and a pending entry) and carried out by a transfer task (queues/transfer-handlers.ts),
 * whose answer closes the entry. These requests have no other states, so no table.
 */
import { num, temporal } from '../../common/proto';
import type { MutationContext } from '../context';
import type { ExternalRequestInfo } from '../mutable-state';
import { badWith, defineCommand } from './command';

const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;

function recordRequest(ctx: MutationContext, initiatedEventId: number, r: Omit<ExternalRequestInfo, 'initiatedEventId' | 'namespaceId'>): void {
  // the key order the stored mutable state has always had
  (ctx.ms.externalRequests ??= {})[String(initiatedEventId)] = {
    kind: r.kind,
    initiatedEventId,
    namespace: r.namespace,
    namespaceId: '',
    workflowId: r.workflowId,
    runId: r.runId,
    childWorkflowOnly: r.childWorkflowOnly,
  };
  ctx.addTransfer({ type: r.kind === 'signal' ? 'signal-external' : 'cancel-external', initiatedEventId });
}

export const signalExternalWorkflowExecution = defineCommand<temporal.api.command.v1.ISignalExternalWorkflowExecutionCommandAttributes>({
  attributes: (c) => c.signalExternalWorkflowExecutionCommandAttributes,
  badAttributesCause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
  validate(a) {
    const bad = badWith(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES);
    if (!a?.execution?.workflowId) return bad('Execution.WorkflowId is not set');
    if (!a.signalName) return bad('SignalName is not set');
  },
  apply({ ctx, workflowTaskCompletedEventId }, a) {
    const e = ctx.ms.execution;
    const ev = ctx.addEvent('EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED', {
      workflowTaskCompletedEventId,
      namespace: a.namespace || e.namespace,
      namespaceId: e.namespaceId,
      workflowExecution: a.execution,
      signalName: a.signalName,
      input: a.input,
      control: a.control,
      childWorkflowOnly: a.childWorkflowOnly,
      header: a.header,
    })!;
    recordRequest(ctx, num(ev.eventId), {
      kind: 'signal',
      namespace: a.namespace || e.namespace,
      workflowId: a.execution!.workflowId!,
      runId: a.execution!.runId ?? '',
      childWorkflowOnly: !!a.childWorkflowOnly,
    });
  },
});

export const requestCancelExternalWorkflowExecution = defineCommand<temporal.api.command.v1.IRequestCancelExternalWorkflowExecutionCommandAttributes>({
  attributes: (c) => c.requestCancelExternalWorkflowExecutionCommandAttributes,
  badAttributesCause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
  validate(a) {
    if (!a?.workflowId) badWith(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES)('WorkflowId is not set');
  },
  apply({ ctx, workflowTaskCompletedEventId }, a) {
    const e = ctx.ms.execution;
    const ev = ctx.addEvent('EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED', {
      workflowTaskCompletedEventId,
      namespace: a.namespace || e.namespace,
      namespaceId: e.namespaceId,
      workflowExecution: { workflowId: a.workflowId, runId: a.runId },
      control: a.control,
      childWorkflowOnly: a.childWorkflowOnly,
      reason: a.reason,
    })!;
    recordRequest(ctx, num(ev.eventId), {
      kind: 'cancel',
      namespace: a.namespace || e.namespace,
      workflowId: a.workflowId!,
      runId: a.runId ?? '',
      childWorkflowOnly: !!a.childWorkflowOnly,
    });
  },
});
