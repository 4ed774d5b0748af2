/**
 * StartWorkflowExecution and SignalWithStartWorkflowExecution: workflow-id uniqueness (reuse and
 * conflict policies), request-id idempotency, the first events and the first workflow task. The
 * request's shape is checked by the frontend (src/frontend/validators/start-request.ts) before it gets here.
 */
import { ConditionFailedError, NotFoundError, WorkflowExecutionAlreadyStartedError } from '../../common/errors';
import { newUuid } from '../../common/ids';
import { durationMs, msToDuration, msToTimestamp, temporal, WorkflowExecutionStatus } from '../../common/proto';
import { nextCronTimeMs } from '../cron';
import { resolveRetryPolicy } from '../retry';
import { MutationContext } from '../context';
import type { HistoryEngine } from '../engine';
import type { ParentInfo } from '../mutable-state';
import { EXECUTION_STATE, newExecutionInfo, newMutableState } from '../mutable-state';
import { workflowMachine } from '../state-machines/workflow';
import { scheduleWorkflowTask } from '../state-machines/workflow-task';
import { terminateWorkflow } from './cancel-terminate';
import { signalWorkflow, type SignalToDeliver } from './signal-workflow';

export type { SignalToDeliver } from './signal-workflow';

type StartRequest = temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest;
const ReusePolicy = temporal.api.enums.v1.WorkflowIdReusePolicy;
const ConflictPolicy = temporal.api.enums.v1.WorkflowIdConflictPolicy;

export interface NamespaceRef {
  id: string;
  name: string;
}

export interface StartResult {
  runId: string;
  started: boolean;
}

/**
 * What a run started by the server itself (continue-as-new, retry, cron, child) carries beyond the
 * start request: its chain (first run, attempt, the run it continues) and parent.
 */
export interface NewRunExtras {
  firstRunId?: string;
  attempt?: number;
  continuedExecutionRunId?: string;
  /** enums.v1.ContinueAsNewInitiator */
  initiator?: number;
  continuedFailure?: temporal.api.failure.v1.IFailure | null;
  lastCompletionResult?: temporal.api.common.v1.IPayloads | null;
  /** first workflow task backoff; when undefined it comes from startDelay / cronSchedule */
  backoffMs?: number;
  executionExpirationMs?: number;
  parent?: ParentInfo;
}

export const DEFAULT_WORKFLOW_TASK_TIMEOUT_MS = 10_000;
const MAX_WORKFLOW_TASK_TIMEOUT_MS = 120_000;

export async function startWorkflow(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: StartRequest,
  signal?: SignalToDeliver,
  extras?: NewRunExtras,
): Promise<StartResult> {
  const workflowId = req.workflowId!;
  const requestId = req.requestId || newUuid();
  // TERMINATE_IF_RUNNING is the old spelling of "conflict: TERMINATE_EXISTING, reuse: ALLOW_DUPLICATE"
  let reusePolicy = Number(req.workflowIdReusePolicy ?? 0) || ReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE;
  let conflictPolicy = Number(req.workflowIdConflictPolicy ?? 0);
  if (reusePolicy === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING) {
    reusePolicy = ReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE;
    conflictPolicy = ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING;
  }
  if (conflictPolicy === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED) {
    conflictPolicy = signal ? ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING : ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL;
  }
  let terminatedRunId: string | undefined;
  // A plain start (no signal, conflict policy FAIL) first tries to create the run as the workflow
  // id's first: the create fails (ConditionFailedError, nothing written) when a current run exists,
  // and only then is the current run read and the policies applied. A new workflow id, the common
  // case, saves that read; the other conflict policies and SignalWithStart expect a current run.
  let optimistic = !signal && conflictPolicy === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL;
  for (let tries = 0; ; tries++) {
    const shard = engine.shardFor(ns.id, workflowId);
    const cur = optimistic ? undefined : await engine.store.executions.getCurrentExecution(shard.shardId, ns.id, workflowId);
    let previousRunId: string | undefined;
    if (cur) {
      if (cur.createRequestId === requestId) return { runId: cur.runId, started: true };
      if (cur.state !== EXECUTION_STATE.completed) {
        if (conflictPolicy === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING) {
          if (signal) await signalWorkflow(engine, { namespaceId: ns.id, workflowId, runId: cur.runId }, signal);
          return { runId: cur.runId, started: false };
        }
        if (conflictPolicy === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING && tries < 3) {
          const reason = signal
            ? 'terminated by SignalWithStart (workflow id conflict policy TERMINATE_EXISTING)'
            : 'terminated by StartWorkflowExecution (workflow id conflict policy TERMINATE_EXISTING)';
          try {
            await terminateWorkflow(engine, { namespaceId: ns.id, workflowId, runId: cur.runId }, reason, undefined, req.identity ?? '');
          } catch (err) {
            if (!(err instanceof NotFoundError)) throw err; // closed meanwhile: re-read
          }
          terminatedRunId = cur.runId;
          continue;
        }
        throw new WorkflowExecutionAlreadyStartedError(workflowId, cur.runId, cur.createRequestId);
      }
      // the run we just terminated ourselves does not count against the reuse policy
      if (cur.runId !== terminatedRunId) {
        if (reusePolicy === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE) {
          throw new WorkflowExecutionAlreadyStartedError(workflowId, cur.runId, cur.createRequestId);
        }
        if (
          reusePolicy === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY &&
          cur.status === WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED
        ) {
          throw new WorkflowExecutionAlreadyStartedError(workflowId, cur.runId, cur.createRequestId);
        }
      }
      previousRunId = cur.runId;
    }
    const ctx = newRunContext(ns, req, requestId, newUuid(), extras);
    if (signal) workflowMachine.fire(ctx, ctx.ms, 'signal', signal);
    scheduleWorkflowTask(ctx);
    try {
      await engine.create(ctx, previousRunId);
      return { runId: ctx.ms.execution.runId, started: true };
    } catch (err) {
      if (err instanceof ConditionFailedError && optimistic) {
        // the workflow id has a current run: read it and apply the policies (not counted as a try)
        optimistic = false;
        tries--;
        continue;
      }
      if (err instanceof ConditionFailedError && tries < 3) continue; // raced with another start: re-read current
      throw err;
    }
  }
}

/** The first events, timers and mutable state of a new run (not yet written; the caller creates it). */
export function newRunContext(ns: NamespaceRef, req: StartRequest, requestId: string, runId: string, extras: NewRunExtras = {}): MutationContext {
  const now = Date.now();
  let backoffMs = extras.backoffMs ?? durationMs(req.workflowStartDelay);
  if (extras.backoffMs === undefined && req.cronSchedule) backoffMs = Math.max(0, nextCronTimeMs(req.cronSchedule, now) - now);
  const firstRunId = extras.firstRunId ?? runId;
  // as Temporal: the run timeout defaults to the execution timeout and never exceeds it
  const executionTimeoutMs = durationMs(req.workflowExecutionTimeout);
  let runTimeoutMs = durationMs(req.workflowRunTimeout);
  if (executionTimeoutMs > 0 && (runTimeoutMs === 0 || runTimeoutMs > executionTimeoutMs)) runTimeoutMs = executionTimeoutMs;
  // the execution timeout spans the whole chain (continue-as-new, retry, cron): a later run gets what is left
  const executionExpirationMs = extras.executionExpirationMs ?? (executionTimeoutMs > 0 ? now + executionTimeoutMs : 0);
  if (executionExpirationMs > 0) {
    const left = Math.max(1, executionExpirationMs - now);
    runTimeoutMs = runTimeoutMs > 0 ? Math.min(runTimeoutMs, left) : left;
  }
  let wftMs = durationMs(req.workflowTaskTimeout) || DEFAULT_WORKFLOW_TASK_TIMEOUT_MS;
  wftMs = Math.min(wftMs, MAX_WORKFLOW_TASK_TIMEOUT_MS);
  if (runTimeoutMs > 0) wftMs = Math.min(wftMs, runTimeoutMs);
  const ms = newMutableState(
    newExecutionInfo({
      namespaceId: ns.id,
      namespace: ns.name,
      workflowId: req.workflowId!,
      runId,
      firstRunId,
      workflowType: req.workflowType!.name!,
      taskQueue: req.taskQueue!.name!,
      createRequestId: requestId,
      startTimeMs: now,
      workflowTaskTimeoutMs: wftMs,
      runTimeoutMs,
      executionTimeoutMs,
      attempt: extras.attempt ?? 1,
      retryPolicy: req.retryPolicy ? resolveRetryPolicy(req.retryPolicy) : undefined,
      cronSchedule: req.cronSchedule || undefined,
      executionExpirationMs,
      executionTimeMs: now + backoffMs,
      parent: extras.parent,
    }),
  );
  if (req.memo)
    ms.execution.memoB64 = Buffer.from(temporal.api.common.v1.Memo.encode(temporal.api.common.v1.Memo.fromObject(req.memo)).finish()).toString('base64');
  if (req.searchAttributes) {
    const SA = temporal.api.common.v1.SearchAttributes;
    ms.execution.searchAttributesB64 = Buffer.from(SA.encode(SA.fromObject(req.searchAttributes)).finish()).toString('base64');
  }
  const ctx = new MutationContext(ms, now);
  ctx.addEvent('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED', {
    workflowType: req.workflowType,
    taskQueue: { name: req.taskQueue!.name, kind: 'TASK_QUEUE_KIND_NORMAL' },
    input: req.input,
    workflowExecutionTimeout: executionTimeoutMs ? msToDuration(executionTimeoutMs) : undefined,
    workflowRunTimeout: runTimeoutMs ? msToDuration(runTimeoutMs) : undefined,
    workflowTaskTimeout: msToDuration(wftMs),
    originalExecutionRunId: runId,
    firstExecutionRunId: firstRunId,
    continuedExecutionRunId: extras.continuedExecutionRunId,
    initiator: extras.initiator,
    continuedFailure: extras.continuedFailure ?? req.continuedFailure,
    lastCompletionResult: extras.lastCompletionResult ?? req.lastCompletionResult,
    firstWorkflowTaskBackoff: backoffMs > 0 ? msToDuration(backoffMs) : undefined,
    workflowExecutionExpirationTime: ms.execution.executionExpirationMs ? msToTimestamp(ms.execution.executionExpirationMs) : undefined,
    parentWorkflowNamespace: extras.parent?.namespace,
    parentWorkflowNamespaceId: extras.parent?.namespaceId,
    parentWorkflowExecution: extras.parent ? { workflowId: extras.parent.workflowId, runId: extras.parent.runId } : undefined,
    parentInitiatedEventId: extras.parent?.initiatedEventId,
    identity: req.identity,
    retryPolicy: req.retryPolicy,
    attempt: extras.attempt ?? 1,
    cronSchedule: req.cronSchedule,
    memo: req.memo,
    searchAttributes: req.searchAttributes,
    header: req.header,
    workflowId: req.workflowId,
  });
  if (runTimeoutMs > 0) ctx.addTimer(now + backoffMs + runTimeoutMs, { type: 'workflow-run-timeout' });
  if (backoffMs > 0) ctx.addTimer(now + backoffMs, { type: 'workflow-backoff' });
  return ctx;
}
