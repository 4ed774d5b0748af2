/**
 * QueryWorkflow via legacy query tasks: once no workflow task is outstanding, a query task (full
 * history + `query`) goes to the workflow's task queue; the worker answers with
 * RespondQueryTaskCompleted. Queries are not durable: they live in this process only.
 */
import { Deferred } from '../../common/async';
import { DeadlineExceededError, NotFoundError } from '../../common/errors';
import { newUuid } from '../../common/ids';
import { temporal } from '../../common/proto';
import type { HistoryEngine } from '../engine';
import type { PollWorkflowTaskQueueResponse } from '../matching-client';
import type { ExecutionRef } from '../tasks';
import { encodeToken } from './task-token';

type QueryRequest = temporal.api.query.v1.IWorkflowQuery;
type QueryAnswer = temporal.api.workflowservice.v1.IRespondQueryTaskCompletedRequest;

interface PendingQuery {
  ref: ExecutionRef;
  query: QueryRequest;
  answer: Deferred<QueryAnswer>;
}

export class QueryRegistry {
  readonly pending = new Map<string, PendingQuery>();
}

export async function queryWorkflow(engine: HistoryEngine, registry: QueryRegistry, ref: ExecutionRef, query: QueryRequest, timeoutMs: number): Promise<QueryAnswer> {
  const deadline = Date.now() + timeoutMs;
  const watch = engine.watchChanges(ref); // before the first read: no commit in between is missed
  try {
    for (;;) {
      const ms = await engine.getMutableState(ref);
      if (!ms.workflowTask) break;
      const left = deadline - Date.now();
      if (left <= 0) throw new DeadlineExceededError('query timed out waiting for the outstanding workflow task');
      await watch.wait(left);
    }
  } finally {
    watch.close();
  }
  const ms = await engine.getMutableState(ref);
  const id = newUuid();
  const pending: PendingQuery = { ref, query, answer: new Deferred<QueryAnswer>() };
  registry.pending.set(id, pending);
  let timer: NodeJS.Timeout | undefined;
  try {
    engine.matching.addQueryTask(ref.namespaceId, ms.execution.taskQueue, id);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlineExceededError('query timed out: no worker answered')), Math.max(1, deadline - Date.now()));
    });
    return await Promise.race([pending.answer.promise, timeout]);
  } finally {
    clearTimeout(timer);
    registry.pending.delete(id);
  }
}

/** Called by matching when a poller takes the query: undefined when the query is gone (timed out). */
export async function buildQueryTask(engine: HistoryEngine, registry: QueryRegistry, queryId: string): Promise<PollWorkflowTaskQueueResponse | undefined> {
  const p = registry.pending.get(queryId);
  if (!p) return undefined;
  const ms = await engine.getMutableState(p.ref);
  const events = await engine.readHistory(p.ref);
  return {
    taskToken: encodeToken({ k: 'q', id: queryId }),
    workflowExecution: { workflowId: p.ref.workflowId, runId: p.ref.runId },
    workflowType: { name: ms.execution.workflowType },
    previousStartedEventId: ms.execution.lastCompletedWorkflowTaskStartedEventId as never,
    startedEventId: ms.execution.lastCompletedWorkflowTaskStartedEventId as never,
    attempt: 1,
    history: { events },
    query: p.query,
    workflowExecutionTaskQueue: { name: ms.execution.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
  };
}

export function respondQueryTaskCompleted(registry: QueryRegistry, queryId: string, answer: QueryAnswer): void {
  const p = registry.pending.get(queryId);
  if (!p) throw new NotFoundError('query not found (it may have timed out)');
  p.answer.resolve(answer);
}
