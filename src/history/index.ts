/**
 * The history service interface: what the frontend and matching may call. Implemented over the
 * HistoryEngine (shards, mutable state, queues); one module per API under ./api.
 */
import { NotFoundError } from '../common/errors';
import type { Logger } from '../common/logger';
import { temporal } from '../common/proto';
import ws = temporal.api.workflowservice.v1;
import type { PersistenceBundle } from '../persistence';
import { activityCanceled, activityCompleted, activityFailedFn, heartbeatFn } from './service-activity';
import { HistoryEngine, type HistoryEngineOptions } from './engine';
import { recordActivityTaskStarted } from './api/activity-task';
import { requestCancelWorkflow, terminateWorkflow } from './api/cancel-terminate';
import { describeWorkflow } from './api/describe-workflow';
import { getWorkflowHistory } from './api/get-history';
import { buildQueryTask, queryWorkflow, QueryRegistry, respondQueryTaskCompleted } from './api/query-workflow';
import { signalWorkflow } from './api/signal-workflow';
import { pollWorkflowUpdate, updateWorkflow, type UpdateStatus } from './api/update-workflow';
import { checkBlob, startWorkflow, validateStartRequest, type NamespaceRef, type SignalToDeliver } from './api/start-workflow';
import type { WorkflowTaskToken } from './api/task-token';
import { recordWorkflowTaskStarted, respondWorkflowTaskCompleted, respondWorkflowTaskFailed } from './api/workflow-task';
import type { ActivityTaskRef, MatchingClient, WorkflowTaskRef } from './matching-client';
import { TimerQueueProcessor, TransferQueueProcessor } from './queues/queue-processors';
import { payloadsSize } from './limits';

type Exec = { workflowId: string; runId: string };

export class HistoryService {
  readonly engine: HistoryEngine;
  private readonly queries = new QueryRegistry();
  private readonly processors: { stop(): void }[] = [];

  constructor(
    store: PersistenceBundle,
    private readonly opts: HistoryEngineOptions,
    log: Logger,
  ) {
    this.engine = new HistoryEngine(store, opts, log);
  }

  async start(matching: MatchingClient, onShardProgress?: (done: number, total: number) => void): Promise<void> {
    this.engine.matching = matching;
    await this.engine.start(onShardProgress);
    for (const shard of this.engine.shards.values()) {
      const t = new TransferQueueProcessor(shard, this.engine, this.engine.log);
      const tm = new TimerQueueProcessor(shard, this.engine, this.engine.log);
      t.start();
      tm.start();
      this.processors.push(t, tm);
    }
  }

  stop(): void {
    for (const p of this.processors) p.stop();
  }

  async startWorkflow(ns: NamespaceRef, req: ws.IStartWorkflowExecutionRequest): Promise<{ runId: string; started: boolean }> {
    validateStartRequest(req, this.engine.limits);
    return startWorkflow(this.engine, ns, req);
  }

  async signalWithStart(ns: NamespaceRef, req: ws.ISignalWithStartWorkflowExecutionRequest): Promise<{ runId: string; started: boolean }> {
    validateStartRequest(req, this.engine.limits, 'signal-with-start');
    return startWorkflow(this.engine, ns, req, {
      signalName: req.signalName!,
      input: req.signalInput,
      header: req.header,
      identity: req.identity ?? '',
      requestId: req.requestId ?? '',
    });
  }

  async signal(namespaceId: string, ex: Exec, s: SignalToDeliver): Promise<void> {
    checkBlob('input', payloadsSize(s.input), this.engine.limits);
    await signalWorkflow(this.engine, await this.engine.resolve(namespaceId, ex.workflowId, ex.runId), s);
  }

  async requestCancel(namespaceId: string, ex: Exec, reason: string, identity: string, requestId: string): Promise<void> {
    await requestCancelWorkflow(this.engine, await this.engine.resolve(namespaceId, ex.workflowId, ex.runId), reason, identity, requestId);
  }

  async terminate(
    namespaceId: string,
    ex: Exec,
    reason: string,
    details: temporal.api.common.v1.IPayloads | null | undefined,
    identity: string,
  ): Promise<void> {
    await terminateWorkflow(this.engine, await this.engine.resolve(namespaceId, ex.workflowId, ex.runId), reason, details, identity);
  }

  async describe(namespaceId: string, ex: Exec): Promise<object> {
    return describeWorkflow(this.engine, await this.engine.resolve(namespaceId, ex.workflowId, ex.runId));
  }

  async getHistory(namespaceId: string, ex: Exec, req: ws.IGetWorkflowExecutionHistoryRequest, signal?: AbortSignal): Promise<object> {
    return getWorkflowHistory(this.engine, await this.engine.resolve(namespaceId, ex.workflowId, ex.runId), req, this.opts.longPollTimeoutMs, signal);
  }

  async query(namespaceId: string, ex: Exec, query: temporal.api.query.v1.IWorkflowQuery, timeoutMs: number) {
    return queryWorkflow(this.engine, this.queries, await this.engine.resolve(namespaceId, ex.workflowId, ex.runId), query, timeoutMs);
  }

  /** UpdateWorkflowExecution: admit (or find) the update and wait for `stage` at most `timeoutMs`. */
  async updateWorkflow(
    namespaceId: string,
    ex: Exec,
    request: temporal.api.update.v1.IRequest,
    stage: number,
    timeoutMs: number,
    signal?: AbortSignal,
    firstExecutionRunId?: string | null,
  ): Promise<UpdateStatus & { runId: string }> {
    const ref = await this.engine.resolve(namespaceId, ex.workflowId, ex.runId);
    if (firstExecutionRunId) {
      const ms = await this.engine.getMutableState(ref);
      if (ms.execution.firstRunId !== firstExecutionRunId) {
        throw new NotFoundError(`workflow execution ${ex.workflowId} with first run id ${firstExecutionRunId} not found`, ex);
      }
    }
    return { ...(await updateWorkflow(this.engine, ref, request, stage, timeoutMs, signal)), runId: ref.runId };
  }

  async pollUpdate(
    namespaceId: string,
    ex: Exec,
    updateId: string,
    stage: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<UpdateStatus & { runId: string }> {
    const ref = await this.engine.resolve(namespaceId, ex.workflowId, ex.runId);
    return { ...(await pollWorkflowUpdate(this.engine, ref, updateId, stage, timeoutMs, signal)), runId: ref.runId };
  }

  get longPollTimeoutMs(): number {
    return this.opts.longPollTimeoutMs;
  }

  respondQuery(queryId: string, req: ws.IRespondQueryTaskCompletedRequest): void {
    respondQueryTaskCompleted(this.queries, queryId, req);
  }

  buildQueryTask(queryId: string) {
    return buildQueryTask(this.engine, this.queries, queryId);
  }

  recordWorkflowTaskStarted(task: WorkflowTaskRef, identity: string, sticky = false) {
    return recordWorkflowTaskStarted(this.engine, task, identity, sticky, this.queries);
  }

  recordActivityTaskStarted(task: ActivityTaskRef, identity: string) {
    return recordActivityTaskStarted(this.engine, task, identity);
  }

  respondWorkflowTaskCompleted(token: WorkflowTaskToken, req: ws.IRespondWorkflowTaskCompletedRequest) {
    return respondWorkflowTaskCompleted(this.engine, token, req, this.queries);
  }

  respondWorkflowTaskFailed(token: WorkflowTaskToken, req: ws.IRespondWorkflowTaskFailedRequest) {
    return respondWorkflowTaskFailed(this.engine, token, req);
  }

  heartbeat = heartbeatFn(() => this.engine);
  activityCompleted = activityCompleted(() => this.engine);
  activityFailed = activityFailedFn(() => this.engine);
  activityCanceled = activityCanceled(() => this.engine);
}
