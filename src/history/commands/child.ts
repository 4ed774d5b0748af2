/** StartChildWorkflowExecution: its checks and its application through the child table (../state-machines/child.ts). */
import { temporal } from '../../common/proto';
import { nextCronTimeMs } from '../cron';
import { childMachine } from '../state-machines/child';
import { badWith, defineCommand } from './command';

const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;
const MAX_STORED_ID_LENGTH = 255;

export const startChildWorkflowExecution = defineCommand<temporal.api.command.v1.IStartChildWorkflowExecutionCommandAttributes>({
  attributes: (c) => c.startChildWorkflowExecutionCommandAttributes,
  badAttributesCause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
  validate(a) {
    const bad = badWith(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES);
    if (!a) return bad('StartChildWorkflowExecutionCommandAttributes is not set');
    if (!a.workflowId) return bad('WorkflowId is not set on StartChildWorkflowExecutionCommand');
    if (!a.workflowType?.name) return bad('WorkflowType is not set on StartChildWorkflowExecutionCommand');
    // what every plugin's columns hold (executions.workflow_id, task_queue_name: VARCHAR(255)), as the frontend checks
    for (const [what, v] of [
      ['WorkflowId', a.workflowId],
      ['WorkflowType', a.workflowType.name],
      ['TaskQueue', a.taskQueue?.name],
    ] as const)
      if (v && v.length > MAX_STORED_ID_LENGTH) return bad(`${what} exceeds length limit of ${MAX_STORED_ID_LENGTH}`);
    if (a.cronSchedule) {
      try {
        nextCronTimeMs(a.cronSchedule, Date.now());
      } catch (err) {
        bad(`CronSchedule is invalid: ${(err as Error).message}`);
      }
    }
  },
  apply({ ctx, workflowTaskCompletedEventId }, a) {
    const e = ctx.ms.execution;
    const namespace = a.namespace || e.namespace;
    childMachine.create(ctx, 'initiate', {
      event: {
        namespace,
        namespaceId: namespace === e.namespace ? e.namespaceId : '',
        workflowId: a.workflowId,
        workflowType: a.workflowType,
        taskQueue: { name: a.taskQueue?.name || e.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
        input: a.input,
        workflowExecutionTimeout: a.workflowExecutionTimeout,
        workflowRunTimeout: a.workflowRunTimeout,
        workflowTaskTimeout: a.workflowTaskTimeout,
        parentClosePolicy: a.parentClosePolicy,
        control: a.control,
        workflowTaskCompletedEventId,
        workflowIdReusePolicy: a.workflowIdReusePolicy,
        retryPolicy: a.retryPolicy,
        cronSchedule: a.cronSchedule,
        header: a.header,
        memo: a.memo,
        searchAttributes: a.searchAttributes,
      },
      namespace,
      workflowId: a.workflowId!,
      workflowType: a.workflowType!.name!,
      // the SDKs send UNSPECIFIED for the default, which is TERMINATE
      parentClosePolicy: Number(a.parentClosePolicy ?? 0) || temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE,
    });
  },
});
