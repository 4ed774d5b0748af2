/**
 * The history service's implementation (interface in index.ts): builds the HistoryEngine from its
 * dependencies, owns the per-shard queue processors (transfer, timer, visibility) and the background
 * data-format rewrite, and routes each API to its module under ./api. Request shape is checked by the
 * frontend before a call gets here; what is checked here needs the execution's state or a namespace's
 * definitions.
 */
import type { Logger } from '../common/logger';
import type { RunStatus } from '../scheduler';
import { NotFoundError } from '../common/errors';
import { temporal, type IFailure } from '../common/proto';
import type { VisibilityWriter } from '../visibility';
import type { ExecutionKey, PersistenceBundle } from '../persistence';
import { localCrossShard, type ClosedChild, type CrossShardCalls, type ExternalRequest } from './cross-shard';
import { DATA_REWRITE_SHARD, DataFormatRewriter, type DataRewriteOptions } from './data-rewrite';
import type { ParentInfo } from './mutable-state';
import type { ShardContext, ShardLossReporter } from './shard';
import { HistoryEngine, type HistoryEngineOptions, type NamespaceLookup } from './engine';
import {
  recordActivityTaskHeartbeat,
  recordActivityTaskStarted,
  respondActivityTaskCanceled,
  respondActivityTaskCompleted,
  respondActivityTaskFailed,
} from './api/activity-task';
import { requestCancelWorkflow, terminateWorkflow } from './api/cancel-terminate';
import { activityTokenById } from './api/activity-by-id';
import { deleteWorkflow } from './api/delete-workflow';
import { describeWorkflow } from './api/describe-workflow';
import { getWorkflowHistoryReverse } from './api/get-history-reverse';
import { pauseActivity, unpauseActivity, type ActivitySelector } from './api/pause-activity';
import { resetStickyTaskQueue } from './api/reset-sticky-task-queue';
import { resetWorkflow, type ResetOptions } from './api/reset-workflow';
import { updateWorkflowOptions } from './api/update-workflow-options';
import { getWorkflowHistory } from './api/get-history';
import { buildQueryTask, queryWorkflow, QueryRegistry, respondQueryTaskCompleted } from './api/query-workflow';
import { signalWorkflow } from './api/signal-workflow';
import { startWorkflow, type NamespaceRef, type SignalToDeliver, type StartResult } from './api/start-workflow';
import type { ActivityTaskToken, WorkflowTaskToken } from './api/task-token';
import { pollWorkflowUpdate, updateWorkflow, type UpdateStatus } from './api/update-workflow';
import { recordWorkflowTaskStarted, respondWorkflowTaskCompleted, respondWorkflowTaskFailed } from './api/workflow-task';
import type { ActivityTaskRef, MatchingClient, WorkflowTaskRef } from './matching-client';
import { TimerQueueProcessor, TransferQueueProcessor } from './queues/queue-processors';
import { VisibilityQueueProcessor } from './queues/visibility-queue-processor';
import {
  createSchedule,
  deleteSchedule,
  describeSchedule,
  listScheduleMatchingTimes,
  patchSchedule,
  scheduleListEntry,
  updateSchedule,
} from './schedules/driver';
import type { WorkflowExecution, WorkflowTaskCompletedOutcome } from './types';
import ws = temporal.api.workflowservice.v1;

type Payloads = temporal.api.common.v1.IPayloads | null | undefined;
const CT = temporal.api.enums.v1.CommandType;
/** How long a stop waits for the writes in flight on the shards it releases. */
const STOP_WRITES_MS = 1000;

export interface HistoryServiceDeps {
  store: PersistenceBundle;
  options: HistoryEngineOptions;
  log: Logger;
  /** where transfer tasks hand workflow and activity tasks (and queries) */
  matching: MatchingClient;
  namespaces: NamespaceLookup;
  /** the visibility service: commits then write visibility tasks, applied by a queue per shard */
  visibility?: VisibilityWriter;
  /** the background data-format rewrite (rate limit) */
  dataRewrite: DataRewriteOptions;
  /** other executions' shards (in a cluster: the routing history client); this process's engine when absent */
  crossShard?: CrossShardCalls;
  /** how a shard taken by another process is reported (shard.ts ShardLossReporter); an error when absent */
  onShardLost?: ShardLossReporter;
}

export class HistoryHandler {
  private readonly engine: HistoryEngine;
  private readonly queries = new QueryRegistry();
  /** the queue processors of each shard served */
  private readonly processors = new Map<number, { stop(): Promise<void> }[]>();
  /** rebalances run one at a time */
  private rebalancing: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly local: CrossShardCalls;
  /** the data rewrite is allowed (the version is active); it runs while this process owns DATA_REWRITE_SHARD */
  private rewriteActive = false;
  /** the rewriter of the current ownership of DATA_REWRITE_SHARD (none while another process owns it) */
  private rewriter: DataFormatRewriter | undefined;
  private readonly visibility: VisibilityWriter | undefined;

  constructor(private readonly deps: HistoryServiceDeps) {
    this.engine = new HistoryEngine(deps);
    this.visibility = deps.visibility;
    this.local = localCrossShard(this.engine);
  }

  // ---------------------------------------------------------------- lifecycle
  async start(onShardProgress?: (done: number, total: number) => void, shardIds?: readonly number[]): Promise<void> {
    if (shardIds) {
      // a cluster member: only the shards the membership gives it, acquired as a rebalance
      await this.rebalance(new Set(shardIds), onShardProgress);
      return;
    }
    await this.engine.start(onShardProgress);
    for (const shard of this.engine.shards.values()) this.startQueues(shard);
  }

  private startQueues(shard: ShardContext): void {
    const log = this.engine.log;
    const queues: { start(): void; stop(): Promise<void> }[] = [
      new TransferQueueProcessor(shard, this.engine, log),
      new TimerQueueProcessor(shard, this.engine, log),
    ];
    if (this.visibility) queues.push(new VisibilityQueueProcessor(shard, this.engine, this.visibility, log));
    for (const q of queues) q.start();
    this.processors.set(shard.shardId, queues);
  }

  private async stopQueues(shardId: number): Promise<void> {
    const queues = this.processors.get(shardId);
    this.processors.delete(shardId);
    await Promise.all((queues ?? []).map((q) => q.stop()));
  }

  rebalance(owned: ReadonlySet<number>, onProgress?: (done: number, total: number) => void): Promise<void> {
    const run = this.rebalancing.then(() => this.applyOwnership(owned, onProgress));
    this.rebalancing = run.catch(() => undefined);
    return run;
  }

  /**
   * Releases the shards no longer this member's (queues stopped first, so their last deletes run
   * under the old range), then acquires the ones it should own and does not serve, or served and
   * lost (another process bumped range_id): a member never stays without a shard it owns.
   */
  private async applyOwnership(owned: ReadonlySet<number>, onProgress?: (done: number, total: number) => void): Promise<void> {
    if (this.stopped) return;
    const log = this.engine.log;
    // released together: each waits for its queues' work in flight
    const released = [...this.engine.shards.keys()].filter((id) => !owned.has(id));
    // the rewrite goes with its shard, its last batch saved before the next owner can read the record
    if (released.includes(DATA_REWRITE_SHARD)) await this.stopRewriter('its shard moved to another member');
    await Promise.all(
      released.map(async (id) => {
        await this.stopQueues(id);
        this.engine.releaseShard(id);
        log.info({ shardId: id }, `shard ${id} released: another member owns it now`);
      }),
    );
    const wanted = [...owned].filter((id) => {
      const s = this.engine.shards.get(id);
      return !s || s.lost;
    });
    let done = 0;
    const began = Date.now();
    const acquired: number[] = [];
    await Promise.all(
      wanted.map(async (id) => {
        if (this.stopped) return;
        await this.stopQueues(id);
        try {
          const shard = await this.engine.acquireShard(id);
          if (this.stopped) return;
          this.startQueues(shard);
          acquired.push(id);
          onProgress?.(++done, wanted.length);
        } catch (err) {
          log.warn({ err, shardId: id }, 'shard not acquired; trying again at the next membership change');
        }
      }),
    );
    if (acquired.length > 0) {
      acquired.sort((x, y) => x - y);
      log.info({ shards: acquired, ms: Date.now() - began }, `acquired ${acquired.length} shard(s): ${acquired.join(', ')}`);
    }
    await this.syncRewriter();
  }

  /**
   * Runs the data rewrite here when it is allowed and this process owns its shard, and stops it when
   * not (data-rewrite.ts says why one shard's owner). A rewriter that stopped on its own because the
   * shard was lost is replaced once the shard is acquired again.
   */
  private async syncRewriter(): Promise<void> {
    const owner = this.rewriteActive && !this.stopped && this.engine.ownsShard(DATA_REWRITE_SHARD);
    if (!owner) return this.stopRewriter('this member no longer owns its shard');
    if (this.rewriter && !this.rewriter.handedOver) return;
    const rewriter = new DataFormatRewriter(this.deps.store, this.deps.dataRewrite, this.deps.log, undefined, () => this.engine.ownsShard(DATA_REWRITE_SHARD));
    this.rewriter = rewriter;
    this.engine.log.debug({ shardId: DATA_REWRITE_SHARD }, `data format rewrite: run by this process (owner of shard ${DATA_REWRITE_SHARD})`);
    await rewriter.start();
  }

  private async stopRewriter(why: string): Promise<void> {
    const rewriter = this.rewriter;
    if (!rewriter) return;
    this.rewriter = undefined;
    await rewriter.stop();
    // info, as "resumed" is: together they say where the rewrite runs (two members may both start it
    // for a moment while a joining member's view of the ring settles; one of them stops at once)
    this.engine.log.info({ shardId: DATA_REWRITE_SHARD }, `data format rewrite: stopped here, ${why}`);
  }

  /** The shards served now (held and not lost). */
  ownedShards(): number[] {
    return [...this.engine.shards.values()].filter((s) => !s.lost && !s.released).map((s) => s.shardId);
  }

  /** Whether this process serves the shard now. */
  ownsShard(shardId: number): boolean {
    return this.engine.ownsShard(shardId);
  }

  /** The version is active: the data rewrite may run (here while this process owns its shard). */
  startDataRewrite(): Promise<void> {
    this.rewriteActive = true;
    // after a rebalance under way, so the two never start a rewriter each
    const run = this.rebalancing.then(() => this.syncRewriter());
    this.rebalancing = run.catch(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // the rewriter finishes its batch first; the queues stop at once
    await this.stopRewriter('the server stops');
    await this.rebalancing;
    await this.stopRewriter('the server stops');
    // each queue deletes the rows of what it executed before it lets go
    await Promise.all([...this.processors.keys()].map((id) => this.stopQueues(id)));
    // then the shards go, as on a hand-over: calls from now on are told to go to the next owner, and
    // the writes in flight commit before a cluster member leaves (the next owner's range_id bump would
    // fence them: "shard ownership lost")
    const shards = [...this.engine.shards.values()];
    for (const shard of shards) this.engine.releaseShard(shard.shardId);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(shards.map((s) => s.writesSettled())), new Promise<void>((r) => (timer = setTimeout(r, STOP_WRITES_MS)))]);
    clearTimeout(timer);
  }

  // ---------------------------------------------------------------- other executions (transfer tasks of other shards' owners)
  startChild(ns: NamespaceRef, req: ws.IStartWorkflowExecutionRequest, parent: ParentInfo): Promise<{ runId: string }> {
    return this.local.startChild(ns, req, parent);
  }

  childClosed(parent: ExecutionKey, initiatedEventId: number, child: ClosedChild): Promise<void> {
    return this.local.childClosed(parent, initiatedEventId, child);
  }

  applyParentClosePolicy(namespaceId: string, childWorkflowId: string, parent: ExecutionKey, initiatedEventId: number, policy: number): Promise<void> {
    return this.local.applyParentClosePolicy(namespaceId, childWorkflowId, parent, initiatedEventId, policy);
  }

  requestExternal(r: ExternalRequest): Promise<{ runId: string }> {
    return this.local.requestExternal(r);
  }

  scheduleStart(ns: NamespaceRef, req: ws.IStartWorkflowExecutionRequest): Promise<{ runId: string }> {
    return this.local.scheduleStart(ns, req);
  }

  scheduleRunStatus(namespaceId: string, workflowId: string, firstRunId: string): Promise<RunStatus | undefined> {
    return this.local.scheduleRunStatus(namespaceId, workflowId, firstRunId);
  }

  scheduleStopRun(namespaceId: string, workflowId: string, how: 'cancel' | 'terminate', reason: string, identity: string, requestId: string): Promise<void> {
    return this.local.scheduleStopRun(namespaceId, workflowId, how, reason, identity, requestId);
  }

  scheduledRunClosed(namespaceId: string, scheduleId: string, workflowId: string): Promise<void> {
    return this.local.scheduledRunClosed(namespaceId, scheduleId, workflowId);
  }

  get longPollTimeoutMs(): number {
    return this.engine.opts.longPollTimeoutMs;
  }

  // ---------------------------------------------------------------- schedules
  createSchedule(ns: NamespaceRef, req: ws.ICreateScheduleRequest): Promise<{ conflictToken: Uint8Array }> {
    return createSchedule(this.engine, ns, req);
  }

  describeSchedule(namespaceId: string, scheduleId: string): Promise<ws.IDescribeScheduleResponse> {
    return describeSchedule(this.engine, namespaceId, scheduleId);
  }

  updateSchedule(namespaceId: string, req: ws.IUpdateScheduleRequest): Promise<void> {
    return updateSchedule(this.engine, namespaceId, req);
  }

  patchSchedule(namespaceId: string, scheduleId: string, patch: temporal.api.schedule.v1.ISchedulePatch): Promise<void> {
    return patchSchedule(this.engine, namespaceId, scheduleId, patch);
  }

  deleteSchedule(namespaceId: string, scheduleId: string): Promise<void> {
    return deleteSchedule(this.engine, namespaceId, scheduleId);
  }

  listScheduleMatchingTimes(namespaceId: string, scheduleId: string, startMs: number, endMs: number): Promise<ws.IListScheduleMatchingTimesResponse> {
    return listScheduleMatchingTimes(this.engine, namespaceId, scheduleId, startMs, endMs);
  }

  scheduleListEntry(namespaceId: string, scheduleId: string): Promise<temporal.api.schedule.v1.IScheduleListEntry | undefined> {
    return scheduleListEntry(this.engine, namespaceId, scheduleId);
  }

  // ---------------------------------------------------------------- workflows
  startWorkflow(ns: NamespaceRef, req: ws.IStartWorkflowExecutionRequest): Promise<StartResult> {
    return startWorkflow(this.engine, ns, req);
  }

  signalWithStart(ns: NamespaceRef, req: ws.ISignalWithStartWorkflowExecutionRequest): Promise<StartResult> {
    return startWorkflow(this.engine, ns, req, {
      signalName: req.signalName!,
      input: req.signalInput,
      header: req.header,
      identity: req.identity ?? '',
      requestId: req.requestId ?? '',
    });
  }

  async signal(namespaceId: string, ex: WorkflowExecution, s: SignalToDeliver): Promise<void> {
    await signalWorkflow(this.engine, await this.engine.resolve(namespaceId, ex.workflowId, ex.runId), s);
  }

  async requestCancel(namespaceId: string, ex: WorkflowExecution, reason: string, identity: string, requestId: string): Promise<void> {
    await requestCancelWorkflow(this.engine, await this.engine.resolve(namespaceId, ex.workflowId, ex.runId), reason, identity, requestId);
  }

  async terminate(namespaceId: string, ex: WorkflowExecution, reason: string, details: Payloads, identity: string): Promise<void> {
    await terminateWorkflow(this.engine, await this.engine.resolve(namespaceId, ex.workflowId, ex.runId), reason, details, identity);
  }

  async describe(namespaceId: string, ex: WorkflowExecution): Promise<ws.IDescribeWorkflowExecutionResponse> {
    return describeWorkflow(this.engine, await this.engine.resolve(namespaceId, ex.workflowId, ex.runId));
  }

  async getHistory(
    namespaceId: string,
    ex: WorkflowExecution,
    req: ws.IGetWorkflowExecutionHistoryRequest,
    signal?: AbortSignal,
  ): Promise<ws.IGetWorkflowExecutionHistoryResponse> {
    const ref = await this.engine.resolve(namespaceId, ex.workflowId, ex.runId);
    return getWorkflowHistory(this.engine, ref, req, this.longPollTimeoutMs, signal);
  }

  async query(namespaceId: string, ex: WorkflowExecution, query: temporal.api.query.v1.IWorkflowQuery, timeoutMs: number) {
    return queryWorkflow(this.engine, this.queries, await this.engine.resolve(namespaceId, ex.workflowId, ex.runId), query, timeoutMs);
  }

  async updateWorkflow(
    namespaceId: string,
    ex: WorkflowExecution,
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
    ex: WorkflowExecution,
    updateId: string,
    stage: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<UpdateStatus & { runId: string }> {
    const ref = await this.engine.resolve(namespaceId, ex.workflowId, ex.runId);
    return { ...(await pollWorkflowUpdate(this.engine, ref, updateId, stage, timeoutMs, signal)), runId: ref.runId };
  }

  async resetWorkflow(namespaceId: string, ex: WorkflowExecution, opts: ResetOptions): Promise<{ runId: string }> {
    return resetWorkflow(this.engine, await this.engine.resolve(namespaceId, ex.workflowId, ex.runId), opts);
  }

  async deleteWorkflow(namespaceId: string, ex: WorkflowExecution, identity: string): Promise<void> {
    await deleteWorkflow(this.engine, await this.engine.resolve(namespaceId, ex.workflowId, ex.runId), identity);
  }

  async getHistoryReverse(namespaceId: string, ex: WorkflowExecution, req: ws.IGetWorkflowExecutionHistoryReverseRequest) {
    return getWorkflowHistoryReverse(this.engine, await this.engine.resolve(namespaceId, ex.workflowId, ex.runId), req);
  }

  async resetStickyTaskQueue(namespaceId: string, ex: WorkflowExecution): Promise<void> {
    await resetStickyTaskQueue(this.engine, await this.engine.resolve(namespaceId, ex.workflowId, ex.runId));
  }

  async updateWorkflowOptions(
    namespaceId: string,
    ex: WorkflowExecution,
    options: temporal.api.workflow.v1.IWorkflowExecutionOptions,
    maskPaths: readonly string[],
    identity: string,
  ): Promise<ws.IUpdateWorkflowExecutionOptionsResponse> {
    return updateWorkflowOptions(this.engine, await this.engine.resolve(namespaceId, ex.workflowId, ex.runId), options, maskPaths, identity);
  }

  async activityTokenById(namespaceId: string, ex: WorkflowExecution, activityId: string, startIfScheduled?: { identity: string }) {
    return activityTokenById(this.engine, await this.engine.resolve(namespaceId, ex.workflowId, ex.runId), activityId, startIfScheduled);
  }

  async pauseActivity(namespaceId: string, ex: WorkflowExecution, sel: ActivitySelector): Promise<void> {
    await pauseActivity(this.engine, await this.engine.resolve(namespaceId, ex.workflowId, ex.runId), sel);
  }

  async unpauseActivity(namespaceId: string, ex: WorkflowExecution, sel: ActivitySelector, resetAttempts: boolean): Promise<void> {
    await unpauseActivity(this.engine, await this.engine.resolve(namespaceId, ex.workflowId, ex.runId), sel, resetAttempts);
  }

  // ---------------------------------------------------------------- queries (legacy query tasks)
  respondQuery(queryId: string, req: ws.IRespondQueryTaskCompletedRequest): void {
    respondQueryTaskCompleted(this.queries, queryId, req);
  }

  buildQueryTask(queryId: string) {
    return buildQueryTask(this.engine, this.queries, queryId);
  }

  // ---------------------------------------------------------------- workflow tasks
  recordWorkflowTaskStarted(task: WorkflowTaskRef, identity: string, sticky = false) {
    return recordWorkflowTaskStarted(this.engine, task, identity, sticky, this.queries);
  }

  async respondWorkflowTaskCompleted(token: WorkflowTaskToken, req: ws.IRespondWorkflowTaskCompletedRequest): Promise<WorkflowTaskCompletedOutcome> {
    const problem = await this.upsertedSearchAttributeProblem(token, req);
    if (problem) {
      // as for any bad command: the workflow task fails and the worker is told why
      await respondWorkflowTaskFailed(
        this.engine,
        token,
        {
          taskToken: req.taskToken,
          cause: temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES,
          failure: { message: problem, source: 'temporal-ts', applicationFailureInfo: { type: 'BadSearchAttributes', nonRetryable: true } },
          identity: req.identity ?? '',
        },
        true,
      );
      return { failedWith: { message: `UpsertWorkflowSearchAttributes: ${problem}` } };
    }
    return respondWorkflowTaskCompleted(this.engine, token, req, this.queries);
  }

  /** Search attributes an UpsertWorkflowSearchAttributes command sets must be defined in the namespace with their type. */
  private async upsertedSearchAttributeProblem(token: WorkflowTaskToken, req: ws.IRespondWorkflowTaskCompletedRequest): Promise<string | undefined> {
    if (!this.visibility) return undefined;
    for (const c of req.commands ?? []) {
      if (Number(c.commandType) !== CT.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES) continue;
      const problem = await this.visibility.searchAttributeProblem(
        token.ns,
        c.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes?.indexedFields,
      );
      if (problem) return problem;
    }
    return undefined;
  }

  respondWorkflowTaskFailed(token: WorkflowTaskToken, req: ws.IRespondWorkflowTaskFailedRequest): Promise<void> {
    return respondWorkflowTaskFailed(this.engine, token, req);
  }

  // ---------------------------------------------------------------- activity tasks
  recordActivityTaskStarted(task: ActivityTaskRef, identity: string) {
    return recordActivityTaskStarted(this.engine, task, identity);
  }

  heartbeat(token: ActivityTaskToken, details: Payloads): Promise<{ cancelRequested: boolean; activityPaused?: boolean }> {
    return recordActivityTaskHeartbeat(this.engine, token, details);
  }

  activityCompleted(token: ActivityTaskToken, result: Payloads, identity: string): Promise<void> {
    return respondActivityTaskCompleted(this.engine, token, result, identity);
  }

  activityFailed(token: ActivityTaskToken, failure: IFailure | null | undefined, lastHeartbeatDetails: Payloads, identity: string): Promise<void> {
    return respondActivityTaskFailed(this.engine, token, failure, lastHeartbeatDetails, identity);
  }

  activityCanceled(token: ActivityTaskToken, details: Payloads, identity: string): Promise<void> {
    return respondActivityTaskCanceled(this.engine, token, details, identity);
  }
}
