/**
 * The workflow task's RPCs: RecordWorkflowTaskStarted (called by matching when a poller takes the
 * task), RespondWorkflowTaskCompleted / Failed, and the start-to-close timeout. What each does to the
 * task is a transition of the workflow task table (../state-machines/workflow-task.ts); the commands
 * of a completion are checked and applied through the command registry (../commands/registry.ts).
 * A failed or timed out task is rescheduled with attempt + 1 as a transient task (no events; see the
 * table). Core reports failures only on attempt 1, and a failure the server finds in a completion of
 * attempt 2 or later is answered INVALID_ARGUMENT and changes nothing (Temporal drops it): the task
 * then times out, so its start-to-close timeout paces the retries instead of a flood of attempts.
 */
import { NotFoundError } from '../../common/errors';
import { eagerActivitiesDispatched } from '../../common/metrics';
import { msToTimestamp, temporal, WorkflowTaskFailedCause } from '../../common/proto';
import type { MutationContext } from '../context';
import type { HistoryEngine } from '../engine';
import type { PollActivityTaskQueueResponse, PollWorkflowTaskQueueResponse, WorkflowTaskRef } from '../matching-client';
import type { ActivityInfo } from '../mutable-state';
import type { ExecutionKey } from '../../persistence';
import { createNextRun, mayStartNextRun, reserveNextRunId } from '../next-run';
import type { Logger } from '../../common/logger';
import { blobLimitSentence, blobVerdict, HistoryLimitExceededError, type Limits } from '../limits';
import { BadCommandError, type Command } from '../commands/command';
import { applyCommands, isCloseCommand, limitedPayloads, validateCommands } from '../commands/registry';
import { isRunning, isWorkflowTaskStarted } from '../state-machines/states';
import { workflowMachine } from '../state-machines/workflow';
import { scheduleWorkflowTask, transientEvents, workflowTaskMachine } from '../state-machines/workflow-task';
import type { QueryRegistry } from './query-workflow';
import { applyProtocolMessage, forgetAdmittedUpdates, hasUndeliveredUpdates, messagesForStartedTask } from './update-workflow';
import { encodeToken, type WorkflowTaskToken } from './task-token';
import { activityTaskResponse, startEagerActivities } from './eager-activities';
import { encodedHistory, encodeEvents } from '../encoded-history';

type CompletedRequest = temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest;

/** From this attempt on, each start of the task is logged as a warning (Temporal's history.workflowTaskCriticalAttempt). */
const CRITICAL_ATTEMPTS = 10;
type FailedRequest = temporal.api.workflowservice.v1.IRespondWorkflowTaskFailedRequest;

/**
 * `sticky`: the task was taken from the worker's sticky queue, so the worker has the run cached and
 * gets only the events after the last workflow task it completed (as Temporal does).
 */
export async function recordWorkflowTaskStarted(
  engine: HistoryEngine,
  task: WorkflowTaskRef,
  identity: string,
  sticky = false,
  queries?: QueryRegistry,
): Promise<PollWorkflowTaskQueueResponse> {
  const ref: ExecutionKey = task;
  const started = await startTask(engine, ref, (ctx) => {
    const ms = ctx.ms;
    const wt = ms.workflowTask;
    if (!isRunning(ms) || !wt || wt.scheduledEventId !== task.scheduledEventId || !workflowTaskMachine.can(ms, 'start')) {
      throw new NotFoundError('workflow task not found or already started', ref);
    }
    workflowTaskMachine.fire(ctx, ms, 'start', { identity });
    const messages = messagesForStartedTask(engine, ctx, wt.startedEventId);
    // buffered queries ride along with the task (answered in RespondWorkflowTaskCompleted.query_results)
    const attached = queries?.attachToTask(ref, wt.startedEventId);
    const e = ms.execution;
    return {
      wt: { ...wt },
      execution: { lastCompleted: e.lastCompletedWorkflowTaskStartedEventId, workflowType: e.workflowType, taskQueue: e.taskQueue },
      // a transient task's scheduled and started events are not stored: the worker gets them after the rest
      transient: transientEvents(ms),
      messages,
      attached,
    };
  });
  const { wt, execution, transient, messages, attached } = started;
  if (wt.attempt >= CRITICAL_ATTEMPTS) {
    engine.log.warn({ workflowId: ref.workflowId, runId: ref.runId, attempt: wt.attempt }, 'critical attempts processing workflow task');
  }
  // a sticky worker has the run cached: only the events after the last task it completed are read and sent
  const firstEventId = sticky && execution.lastCompleted > 0 ? execution.lastCompleted + 1 : 1;
  // the stored events go out as they are stored (encoded-history.ts)
  const stored = await engine.readEncodedHistoryFrom(ref, firstEventId, wt.startedEventId + 1, Number.POSITIVE_INFINITY);
  const history = encodedHistory(transient.length > 0 ? Buffer.concat([stored.bytes, encodeEvents(transient)]) : stored.bytes);
  const token: WorkflowTaskToken = {
    k: 'wt',
    ns: ref.namespaceId,
    wid: ref.workflowId,
    rid: ref.runId,
    sched: wt.scheduledEventId,
    started: wt.startedEventId,
    attempt: wt.attempt,
  };
  return {
    taskToken: encodeToken(token),
    workflowExecution: { workflowId: ref.workflowId, runId: ref.runId },
    workflowType: { name: execution.workflowType },
    previousStartedEventId: execution.lastCompleted as never,
    startedEventId: wt.startedEventId as never,
    attempt: wt.attempt,
    backlogCountHint: 0 as never,
    history,
    workflowExecutionTaskQueue: { name: execution.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    scheduledTime: msToTimestamp(wt.scheduledTimeMs),
    startedTime: msToTimestamp(wt.startedTimeMs),
    messages,
    queries: attached,
  };
}

/** engine.update for the start of a task: a workflow terminated by a history limit meanwhile is "not found" to matching. */
export async function startTask<T>(engine: HistoryEngine, ref: ExecutionKey, fn: (ctx: MutationContext) => T): Promise<T> {
  try {
    return await engine.update(ref, fn);
  } catch (err) {
    if (err instanceof HistoryLimitExceededError) throw new NotFoundError(`task dropped: ${err.message}`, ref);
    throw err;
  }
}

/** The task the token names, when it is still the started one. */
function startedTask(ctx: MutationContext, token: WorkflowTaskToken) {
  const ms = ctx.ms;
  const wt = ms.workflowTask;
  if (!isRunning(ms)) throw new NotFoundError('workflow execution already completed', { workflowId: token.wid, runId: token.rid });
  if (!wt || !isWorkflowTaskStarted(ms) || wt.scheduledEventId !== token.sched || wt.attempt !== token.attempt || wt.startedEventId !== token.started) {
    throw new NotFoundError('workflow task not found', { workflowId: token.wid, runId: token.rid });
  }
  return wt;
}

/**
 * The first command carrying a payload over the blob error limit (Temporal's messages), or
 * undefined; payloads over the warn limit are logged.
 */
function oversizedPayload(commands: Command[], limits: Limits, log: Logger, workflowId: string): BadCommandError | undefined {
  for (const p of limitedPayloads(commands)) {
    const verdict = blobVerdict(p.size, limits, p.kind);
    if (verdict === 'warn') log.warn({ workflowId, field: p.field, size: p.size }, 'payload exceeds the warn limit');
    if (verdict === 'error') return new BadCommandError(p.cause, `${p.field} exceeds size limit: ${blobLimitSentence(p.size, limits, p.kind)}.`);
  }
  return undefined;
}

export interface CompletedOutcome {
  /** set when the server failed the task instead (bad command): returned to the worker as an error */
  failedWith?: BadCommandError;
  /** activities started for the worker by this completion (eager dispatch: eager-activities.ts) */
  activityTasks?: PollActivityTaskQueueResponse[];
}

/**
 * Thrown inside the update to leave the run unchanged: the server found the completion of a retried
 * task (attempt > 1) bad again. As Temporal, the worker is told why, no event or attempt is counted,
 * and the task's start-to-close timeout schedules the next attempt.
 */
class RepeatedFailureDropped extends Error {
  constructor(readonly failedWith: BadCommandError) {
    super(failedWith.message);
  }
}

/** A failure the server decides on a retried task (attempt > 1) is dropped; UNHANDLED_COMMAND is not a failure of the worker's. */
function dropsServerFailure(attempt: number, cause: number): boolean {
  return attempt > 1 && cause !== WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND;
}

export async function respondWorkflowTaskCompleted(
  engine: HistoryEngine,
  token: WorkflowTaskToken,
  req: CompletedRequest,
  queries?: QueryRegistry,
): Promise<CompletedOutcome> {
  const ref: ExecutionKey = { namespaceId: token.ns, workflowId: token.wid, runId: token.rid };
  let eager: { acts: ActivityInfo[]; namespace: string; workflowType: string } | undefined;
  const outcome = await engine
    .update(ref, async (ctx): Promise<CompletedOutcome> => {
      const ms = ctx.ms;
      const wt = startedTask(ctx, token);
      // answers to the queries that rode along with this task
      queries?.answerFromTask(req.queryResults);
      const commands = req.commands ?? [];
      const closing = commands.filter(isCloseCommand);
      if (closing.length > 0 && mayStartNextRun(ms, closing)) ctx.reservedNextRunId = await reserveNextRunId(engine, ms);
      const identity = req.identity ?? '';
      if ((ms.bufferedEvents.length > 0 || hasUndeliveredUpdates(engine, ctx)) && commands.some(isCloseCommand)) {
        // new events came in while the worker decided to close: it must see them first
        workflowTaskMachine.fire(ctx, ms, 'fail', { cause: WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, identity });
        return {};
      }
      try {
        validateCommands(ms, commands);
      } catch (err) {
        if (!(err instanceof BadCommandError)) throw err;
        if (dropsServerFailure(wt.attempt, err.failedCause)) throw new RepeatedFailureDropped(err);
        workflowTaskMachine.fire(ctx, ms, 'fail', {
          cause: err.failedCause,
          failure: { message: err.message, source: 'temporal-ts', applicationFailureInfo: { type: 'BadCommand', nonRetryable: true } },
          identity,
        });
        return { failedWith: err };
      }
      const oversized = oversizedPayload(commands, engine.limits, engine.log, ms.execution.workflowId);
      if (oversized) {
        if (dropsServerFailure(wt.attempt, oversized.failedCause)) throw new RepeatedFailureDropped(oversized);
        // a bad payload would fail every retry alike: the run fails (non-retryable ServerFailure)
        const failure = { message: oversized.message, source: 'Server', serverFailureInfo: { nonRetryable: true } };
        workflowMachine.fire(ctx, ms, 'fail-by-server', { cause: oversized.failedCause, failure, identity });
        return { failedWith: oversized };
      }
      // the worker keeps the run cached and polls its sticky queue (a failed task clears it)
      ms.execution.stickyTaskQueue = req.stickyAttributes?.workerTaskQueue?.name || undefined;
      workflowTaskMachine.fire(ctx, ms, 'complete', {
        identity,
        binaryChecksum: req.binaryChecksum,
        workerVersionStamp: req.workerVersionStamp,
        sdkMetadata: req.sdkMetadata,
        meteringMetadata: req.meteringMetadata,
      });
      // protocol messages (updates): in the place of the ProtocolMessage command naming them, the rest first
      const messages = new Map((req.messages ?? []).map((m) => [m.id ?? '', m]));
      const ordered = new Set(commands.map((c) => c.protocolMessageCommandAttributes?.messageId ?? '').filter((id) => messages.has(id)));
      for (const [id, m] of messages) if (!ordered.has(id)) applyProtocolMessage(engine, ctx, m);
      applyCommands(
        {
          ctx,
          workflowTaskCompletedEventId: ctx.lastAppended('EVENT_TYPE_WORKFLOW_TASK_COMPLETED'),
          identity,
          applyMessage: (id) => {
            const m = messages.get(id);
            if (m) applyProtocolMessage(engine, ctx, m);
          },
        },
        commands,
      );
      if (isRunning(ms)) {
        const acts = startEagerActivities(ctx, commands, identity);
        if (acts.length > 0) eager = { acts, namespace: ms.execution.namespace, workflowType: ms.execution.workflowType };
        const newWork = ctx.flushBufferedEvents() > 0;
        if (newWork || req.forceCreateNewWorkflowTask || hasUndeliveredUpdates(engine, ctx)) scheduleWorkflowTask(ctx);
      } else {
        forgetAdmittedUpdates(engine, ctx);
        await createNextRun(engine, ctx);
      }
      return {};
    })
    .catch((err: unknown): CompletedOutcome => {
      if (err instanceof RepeatedFailureDropped) return { failedWith: err.failedWith };
      throw err;
    });
  // built after the commit: an eager activity exists for the worker only once its start is durable
  if (eager) {
    outcome.activityTasks = eager.acts.map((a) => activityTaskResponse(ref, a, eager!));
    eagerActivitiesDispatched.inc(eager.acts.length);
  }
  return outcome;
}

/**
 * The worker failed the task (or, with `byServer`, the server did, for a command it refused before the
 * history saw it). A failure of a retried task counts the attempt without an event; one the server
 * decides on a retried task is dropped (see RepeatedFailureDropped).
 */
export async function respondWorkflowTaskFailed(engine: HistoryEngine, token: WorkflowTaskToken, req: FailedRequest, byServer = false): Promise<void> {
  const ref: ExecutionKey = { namespaceId: token.ns, workflowId: token.wid, runId: token.rid };
  await engine.update(ref, (ctx) => {
    const wt = startedTask(ctx, token);
    if (byServer && dropsServerFailure(wt.attempt, Number(req.cause ?? 0))) return;
    workflowTaskMachine.fire(ctx, ctx.ms, 'fail', {
      cause: Number(req.cause ?? WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED),
      failure: req.failure,
      identity: req.identity ?? '',
    });
  });
}

/** Timer task: the start-to-close timeout of attempt `attempt` of the task scheduled at `scheduledEventId`. */
export async function workflowTaskTimedOut(engine: HistoryEngine, ref: ExecutionKey, scheduledEventId: number, attempt: number): Promise<void> {
  await engine.update(ref, (ctx) => {
    const wt = ctx.ms.workflowTask;
    if (!isRunning(ctx.ms) || !wt || !workflowTaskMachine.can(ctx.ms, 'time-out') || wt.scheduledEventId !== scheduledEventId || wt.attempt !== attempt) return;
    workflowTaskMachine.fire(ctx, ctx.ms, 'time-out');
  });
}
