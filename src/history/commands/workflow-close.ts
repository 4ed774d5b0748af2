/**
 * The commands that close the run: CompleteWorkflowExecution, FailWorkflowExecution,
 * CancelWorkflowExecution and ContinueAsNewWorkflowExecution (each must be the last of its batch),
 * applied through the workflow table (../state-machines/workflow.ts).
 */
import { temporal } from '../../common/proto';
import { failureSize, payloadsSize } from '../limits';
import { workflowMachine } from '../state-machines/workflow';
import { defineCommand } from './command';

const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;

export const completeWorkflowExecution = defineCommand<temporal.api.command.v1.ICompleteWorkflowExecutionCommandAttributes>({
  attributes: (c) => c.completeWorkflowExecutionCommandAttributes,
  badAttributesCause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES,
  closesWorkflow: true,
  payload: { field: 'CompleteWorkflowExecutionCommandAttributes.Result', kind: 'blob', size: (a) => payloadsSize(a?.result) },
  apply({ ctx, workflowTaskCompletedEventId }, a) {
    workflowMachine.fire(ctx, ctx.ms, 'complete', { result: a.result, workflowTaskCompletedEventId });
  },
});

export const failWorkflowExecution = defineCommand<temporal.api.command.v1.IFailWorkflowExecutionCommandAttributes>({
  attributes: (c) => c.failWorkflowExecutionCommandAttributes,
  badAttributesCause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES,
  closesWorkflow: true,
  payload: { field: 'FailWorkflowExecutionCommandAttributes.Failure', kind: 'blob', size: (a) => failureSize(a?.failure) },
  apply({ ctx, workflowTaskCompletedEventId }, a) {
    const failure = a.failure ?? { message: 'workflow failed' };
    workflowMachine.fire(ctx, ctx.ms, 'fail', { failure, workflowTaskCompletedEventId });
  },
});

export const cancelWorkflowExecution = defineCommand<temporal.api.command.v1.ICancelWorkflowExecutionCommandAttributes>({
  attributes: (c) => c.cancelWorkflowExecutionCommandAttributes,
  badAttributesCause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_WORKFLOW_EXECUTION_ATTRIBUTES,
  closesWorkflow: true,
  payload: { field: 'CancelWorkflowExecutionCommandAttributes.Details', kind: 'blob', size: (a) => payloadsSize(a?.details) },
  apply({ ctx, workflowTaskCompletedEventId }, a) {
    workflowMachine.fire(ctx, ctx.ms, 'cancel', { details: a.details, workflowTaskCompletedEventId });
  },
});

export const continueAsNewWorkflowExecution = defineCommand<temporal.api.command.v1.IContinueAsNewWorkflowExecutionCommandAttributes>({
  attributes: (c) => c.continueAsNewWorkflowExecutionCommandAttributes,
  badAttributesCause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES,
  closesWorkflow: true,
  apply({ ctx, workflowTaskCompletedEventId }, a) {
    workflowMachine.fire(ctx, ctx.ms, 'continue-as-new', { attrs: a, workflowTaskCompletedEventId });
  },
});
