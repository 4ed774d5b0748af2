/**
 * The workflow RPCs: start (and signal-with-start, update-with-start), signal, cancel, terminate,
 * describe, history, query, update. Each resolves the namespace and hands the validated request to
 * history; search attributes set at start are checked against the namespace's definitions here.
 */
import { InvalidArgumentError, QueryFailedError } from '../../common/errors';
import { temporal, type IPayload } from '../../common/proto';
import type { WorkflowExecution } from '../../history';
import type { FrontendDeps } from '../deps';
import { withLongPollSignal } from '../long-poll';
import type { RequestContext, WorkflowHandlers } from '../rpc';

/** How long a long-polling call may wait: the server's long poll, ending 1 s before the client's deadline. */
export function waitBudgetMs(ctx: RequestContext, longPollMs: number): number {
  if (ctx.deadlineMs === undefined) return longPollMs;
  return Math.max(0, Math.min(longPollMs, ctx.deadlineMs - Date.now() - 1000));
}

/** The execution a validated request names ('' runId: the current run). */
export function executionOf(e: temporal.api.common.v1.IWorkflowExecution | null | undefined): WorkflowExecution {
  return { workflowId: e?.workflowId ?? '', runId: e?.runId ?? '' };
}

export function workflowHandlers(d: FrontendDeps) {
  const { history, namespaces } = d;

  /** Search attributes a start sets must be defined in the namespace, with values of their type. */
  const checkSearchAttributes = async (namespaceId: string, fields: Record<string, IPayload> | null | undefined): Promise<void> => {
    const problem = await d.visibility?.searchAttributeProblem(namespaceId, fields);
    if (problem) throw new InvalidArgumentError('searchAttributes', problem);
  };

  return {
    async StartWorkflowExecution(req) {
      const ns = await namespaces.resolveActive(req.namespace);
      await checkSearchAttributes(ns.id, req.searchAttributes?.indexedFields);
      return history.startWorkflow(ns, req);
    },
    async SignalWithStartWorkflowExecution(req) {
      const ns = await namespaces.resolveActive(req.namespace);
      await checkSearchAttributes(ns.id, req.searchAttributes?.indexedFields);
      return history.signalWithStart(ns, req);
    },
    async ExecuteMultiOperation(req, ctx) {
      // the validator made sure these are [startWorkflow, updateWorkflow] of one workflow id
      const ns = await namespaces.resolveActive(req.namespace);
      const start = req.operations![0]!.startWorkflow!;
      const upd = req.operations![1]!.updateWorkflow!;
      const request = upd.request!;
      await checkSearchAttributes(ns.id, start.searchAttributes?.indexedFields);
      const started = await history.startWorkflow(ns, { ...start, namespace: ns.name });
      const st = await history.updateWorkflow(
        ns.id,
        { workflowId: start.workflowId!, runId: started.runId },
        request,
        Number(upd.waitPolicy?.lifecycleStage ?? 0),
        waitBudgetMs(ctx, history.longPollTimeoutMs),
        ctx.signal,
      );
      return {
        responses: [
          { startWorkflow: { runId: started.runId, started: started.started } },
          {
            updateWorkflow: {
              updateRef: { workflowExecution: { workflowId: start.workflowId, runId: st.runId }, updateId: request.meta!.updateId },
              outcome: st.outcome,
              stage: st.stage,
            },
          },
        ],
      };
    },
    async SignalWorkflowExecution(req) {
      const ns = await namespaces.resolve(req.namespace);
      await history.signal(ns.id, executionOf(req.workflowExecution), {
        signalName: req.signalName!,
        input: req.input,
        header: req.header,
        identity: req.identity ?? '',
        requestId: req.requestId ?? '',
      });
      return {};
    },
    async RequestCancelWorkflowExecution(req) {
      const ns = await namespaces.resolve(req.namespace);
      await history.requestCancel(ns.id, executionOf(req.workflowExecution), req.reason ?? '', req.identity ?? '', req.requestId ?? '');
      return {};
    },
    async TerminateWorkflowExecution(req) {
      const ns = await namespaces.resolve(req.namespace);
      await history.terminate(ns.id, executionOf(req.workflowExecution), req.reason ?? '', req.details, req.identity ?? '');
      return {};
    },
    async DescribeWorkflowExecution(req) {
      const ns = await namespaces.resolve(req.namespace);
      return history.describe(ns.id, executionOf(req.execution));
    },
    async GetWorkflowExecutionHistory(req, ctx) {
      const ns = await namespaces.resolve(req.namespace);
      return withLongPollSignal(ctx, (signal) => history.getHistory(ns.id, executionOf(req.execution), req, signal));
    },
    async QueryWorkflow(req, ctx) {
      const ns = await namespaces.resolve(req.namespace);
      // the answer must come before the client gives up (half a second to spare), at most a minute
      const timeoutMs = ctx.deadlineMs !== undefined ? Math.max(1, ctx.deadlineMs - Date.now() - 500) : 30_000;
      const answer = await history.query(ns.id, executionOf(req.execution), req.query!, Math.min(timeoutMs, 60_000));
      if (answer.completedType === temporal.api.enums.v1.QueryResultType.QUERY_RESULT_TYPE_FAILED) {
        throw new QueryFailedError(answer.errorMessage || 'query failed', answer.failure);
      }
      return { queryResult: answer.queryResult };
    },
    async UpdateWorkflowExecution(req, ctx) {
      const ns = await namespaces.resolve(req.namespace);
      const ex = executionOf(req.workflowExecution);
      const request = req.request!;
      const st = await history.updateWorkflow(
        ns.id,
        ex,
        request,
        Number(req.waitPolicy?.lifecycleStage ?? 0),
        waitBudgetMs(ctx, history.longPollTimeoutMs),
        ctx.signal,
        req.firstExecutionRunId,
      );
      return {
        updateRef: { workflowExecution: { workflowId: ex.workflowId, runId: st.runId }, updateId: request.meta!.updateId },
        outcome: st.outcome,
        stage: st.stage,
      };
    },
    async PollWorkflowExecutionUpdate(req, ctx) {
      const ns = await namespaces.resolve(req.namespace);
      const ex = executionOf(req.updateRef?.workflowExecution);
      const updateId = req.updateRef!.updateId!;
      const st = await history.pollUpdate(
        ns.id,
        ex,
        updateId,
        Number(req.waitPolicy?.lifecycleStage ?? 0),
        waitBudgetMs(ctx, history.longPollTimeoutMs),
        ctx.signal,
      );
      return { outcome: st.outcome, stage: st.stage, updateRef: { workflowExecution: { workflowId: ex.workflowId, runId: st.runId }, updateId } };
    },
  } satisfies WorkflowHandlers;
}
