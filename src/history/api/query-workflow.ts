/**
 * QueryWorkflow, both ways Temporal delivers a query:
 *  - while a workflow task is scheduled or running, the query is buffered and goes out inside the
 *    next workflow task a poller takes (PollWorkflowTaskQueueResponse.queries); the worker answers in
 *    RespondWorkflowTaskCompleted.query_results;
 *  - with no workflow task outstanding (or the workflow closed), a legacy query task (full history +
 *    `query`) goes to the workflow's task queue, answered with RespondQueryTaskCompleted.
 * A query whose workflow task closed without answering it (failed, timed out) is buffered again.
 * Queries are not durable: they live in this process only, until answered or their deadline.
 */
import { Deferred } from '../../common/async';
import { DeadlineExceededError, NotFoundError } from '../../common/errors';
import { newUuid } from '../../common/ids';
import { temporal } from '../../common/proto';
import type { HistoryEngine } from '../engine';
import type { PollWorkflowTaskQueueResponse } from '../matching-client';
import { isAnswered, isDispatched, queryMachine, type PendingQuery } from '../state-machines/query';
import { isRunning, isWorkflowTaskStarted } from '../state-machines/states';
import type { ExecutionKey } from '../../persistence';
import { encodeToken } from './task-token';

type QueryRequest = temporal.api.query.v1.IWorkflowQuery;
type QueryAnswer = temporal.api.workflowservice.v1.IRespondQueryTaskCompletedRequest;
type WorkflowQueryResult = temporal.api.query.v1.IWorkflowQueryResult;

const key = (r: ExecutionKey): string => `${r.namespaceId}/${r.workflowId}/${r.runId}`;

/** A query's id names its shard, so that in a cluster its answer is routed to the process that waits for it. */
function newQueryId(shardId: number): string {
  return `${shardId}.${newUuid()}`;
}

/** The shard a query id names (undefined: not one of ours). */
export function queryShardId(queryId: string): number | undefined {
  const m = /^(\d+)\./.exec(queryId);
  return m ? Number(m[1]) : undefined;
}

export class QueryRegistry {
  readonly pending = new Map<string, PendingQuery>();
  private readonly byExecution = new Map<string, Set<string>>();

  add(p: PendingQuery): void {
    this.pending.set(p.id, p);
    const k = key(p.ref);
    let s = this.byExecution.get(k);
    if (!s) this.byExecution.set(k, (s = new Set()));
    s.add(p.id);
  }

  remove(id: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    const k = key(p.ref);
    const s = this.byExecution.get(k);
    s?.delete(id);
    if (s?.size === 0) this.byExecution.delete(k);
  }

  /**
   * Called (under the execution's lock) when a workflow task starts: the buffered queries of the
   * execution go out with it. Returns the `queries` map of the poll response, or undefined.
   */
  attachToTask(ref: ExecutionKey, startedEventId: number): Record<string, QueryRequest> | undefined {
    const ids = this.byExecution.get(key(ref));
    if (!ids) return undefined;
    let out: Record<string, QueryRequest> | undefined;
    for (const id of ids) {
      const p = this.pending.get(id)!;
      if (!queryMachine.can(p, 'attach')) continue;
      queryMachine.fire(undefined, p, 'attach', { startedEventId });
      (out ??= {})[id] = p.query;
    }
    return out;
  }

  /** Answers from RespondWorkflowTaskCompleted.query_results. */
  answerFromTask(results: { [id: string]: WorkflowQueryResult } | null | undefined): void {
    for (const [id, r] of Object.entries(results ?? {})) {
      const p = this.pending.get(id);
      if (!p || !queryMachine.can(p, 'answer')) continue;
      queryMachine.fire(undefined, p, 'answer', {
        answer: { completedType: r.resultType, queryResult: r.answer, errorMessage: r.errorMessage, failure: r.failure },
      });
    }
  }
}

export async function queryWorkflow(
  engine: HistoryEngine,
  registry: QueryRegistry,
  ref: ExecutionKey,
  query: QueryRequest,
  timeoutMs: number,
): Promise<QueryAnswer> {
  const deadline = Date.now() + timeoutMs;
  const p: PendingQuery = {
    id: newQueryId(engine.shardFor(ref.namespaceId, ref.workflowId).shardId),
    ref,
    query,
    answer: new Deferred<QueryAnswer>(),
    state: 'buffered',
    startedEventId: 0,
  };
  registry.add(p);
  try {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new DeadlineExceededError(
          isDispatched(p) ? 'query timed out: no worker answered the query task' : 'query timed out waiting for a workflow task to carry it',
        );
      }
      // listen before looking, so that a change between the look and the wait is not missed
      const stop = new AbortController();
      const changed = engine.waitForChange(ref, left, stop.signal);
      try {
        const dispatch = await engine.update(ref, (ctx) => {
          // read-only under the execution's lock: nothing is committed
          if (isAnswered(p)) return undefined;
          const ms = ctx.ms;
          const wt = ms.workflowTask;
          // the task it rode in closed without answering it (failed, timed out): it waits for the next one
          if (queryMachine.can(p, 'task-closed') && !(isWorkflowTaskStarted(ms) && wt?.startedEventId === p.startedEventId)) {
            queryMachine.fire(undefined, p, 'task-closed');
          }
          if (queryMachine.can(p, 'dispatch') && (!isRunning(ms) || !wt)) {
            queryMachine.fire(undefined, p, 'dispatch');
            return ms.execution.taskQueue;
          }
          return undefined;
        });
        if (dispatch !== undefined) engine.matching.addQueryTask(ref.namespaceId, dispatch, p.id);
        if (isAnswered(p)) return await p.answer.promise;
        await Promise.race([p.answer.promise, changed]);
        if (isAnswered(p)) return await p.answer.promise;
      } finally {
        stop.abort();
      }
    }
  } finally {
    registry.remove(p.id);
  }
}

/** Called by matching when a poller takes the query: undefined when the query is gone (timed out). */
export async function buildQueryTask(engine: HistoryEngine, registry: QueryRegistry, queryId: string): Promise<PollWorkflowTaskQueueResponse | undefined> {
  const p = registry.pending.get(queryId);
  if (!p || isAnswered(p)) return undefined;
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
  if (!p || !queryMachine.can(p, 'answer')) throw new NotFoundError('query not found (it may have timed out)');
  queryMachine.fire(undefined, p, 'answer', { answer });
}
