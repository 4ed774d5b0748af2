/**
 * The operator-side workflow RPCs: ResetWorkflowExecution, DeleteWorkflowExecution,
 * GetWorkflowExecutionHistoryReverse, ResetStickyTaskQueue and UpdateWorkflowExecutionOptions.
 * Each resolves the namespace and hands the validated request to history (api/reset-workflow.ts,
 * delete-workflow.ts, get-history-reverse.ts, reset-sticky-task-queue.ts, update-workflow-options.ts).
 */
import { num } from '../../common/proto';
import type { FrontendDeps } from '../deps';
import type { WorkflowHandlers } from '../rpc';
import { executionOf } from './workflows';

export function workflowAdminHandlers(d: FrontendDeps) {
  const { history, namespaces } = d;
  return {
    async ResetWorkflowExecution(req) {
      const ns = await namespaces.resolveActive(req.namespace);
      return history.resetWorkflow(ns.id, executionOf(req.workflowExecution), {
        workflowTaskFinishEventId: num(req.workflowTaskFinishEventId),
        reason: req.reason ?? '',
        requestId: req.requestId ?? '',
        reapplyType: Number(req.resetReapplyType ?? 0),
        reapplyExcludeTypes: (req.resetReapplyExcludeTypes ?? []).map(Number),
        identity: req.identity ?? '',
      });
    },
    async DeleteWorkflowExecution(req) {
      const ns = await namespaces.resolve(req.namespace);
      await history.deleteWorkflow(ns.id, executionOf(req.workflowExecution), '');
      return {};
    },
    async GetWorkflowExecutionHistoryReverse(req) {
      const ns = await namespaces.resolve(req.namespace);
      return history.getHistoryReverse(ns.id, executionOf(req.execution), req);
    },
    async ResetStickyTaskQueue(req) {
      const ns = await namespaces.resolve(req.namespace);
      await history.resetStickyTaskQueue(ns.id, executionOf(req.execution));
      return {};
    },
    async UpdateWorkflowExecutionOptions(req) {
      const ns = await namespaces.resolve(req.namespace);
      return history.updateWorkflowOptions(
        ns.id,
        executionOf(req.workflowExecution),
        req.workflowExecutionOptions ?? {},
        req.updateMask?.paths ?? [],
        req.identity ?? '',
      );
    },
  } satisfies WorkflowHandlers;
}
