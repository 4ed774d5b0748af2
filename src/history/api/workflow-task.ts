/**
 * The workflow task lifecycle: RecordWorkflowTaskStarted (called by matching when a poller takes
 * the task), RespondWorkflowTaskCompleted / Failed, and the start-to-close timeout. A failed or timed
 * out task is rescheduled with attempt + 1 (core reports failures only on attempt 1, so the timeout
 * is what moves a stuck workflow forward).
 */
import { NotFoundError } from '../../common/errors';
import { msToTimestamp, num, temporal, WorkflowTaskFailedCause } from '../../common/proto';
import type { MutationContext } from '../context';
import type { HistoryEngine } from '../engine';
import type { PollWorkflowTaskQueueResponse, WorkflowTaskRef } from '../matching-client';
import { isRunning } from '../mutable-state';
import { workflowTaskMachine } from '../state-machines';
import type { ExecutionKey } from '../../persistence';
import { createNextRun, reserveNextRunId } from '../next-run';
import type { Logger } from '../../common/logger';
import { blobLimitSentence, blobVerdict, failureSize, HistoryLimitExceededError, markerDetailsSize, memoSize, payloadsSize, type Limits } from '../limits';
import type { QueryRegistry } from './query-workflow';
import { applyCommand, BadCommandError, isCloseCommand, validateCommands } from './commands';
import { applyProtocolMessage, forgetAdmittedUpdates, hasUndeliveredUpdates, messagesForStartedTask } from './update-workflow';
import { encodeToken, type WorkflowTaskToken } from './task-token';

type CompletedRequest = temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest;
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
    if (!isRunning(ms) || !wt || wt.scheduledEventId !== task.scheduledEventId || wt.state !== 'scheduled') {
      throw new NotFoundError('workflow task not found or already started', ref);
    }
    const ev = ctx.addEvent('EVENT_TYPE_WORKFLOW_TASK_STARTED', {
      scheduledEventId: wt.scheduledEventId,
      identity,
      requestId: `${wt.scheduledEventId}-${wt.attempt}`,
      historySizeBytes: ms.historySizeBytes,
    })!;
    wt.state = workflowTaskMachine.next(wt.state, 'start') as 'started';
    wt.startedEventId = num(ev.eventId);
    wt.startedTimeMs = ctx.nowMs;
    wt.identity = identity;
    ctx.addTimer(ctx.nowMs + ms.execution.workflowTaskTimeoutMs, { type: 'workflow-task-timeout', scheduledEventId: wt.scheduledEventId, attempt: wt.attempt });
    const messages = messagesForStartedTask(engine, ctx, wt.startedEventId);
    // buffered queries ride along with the task (answered in RespondWorkflowTaskCompleted.query_results)
    const attached = queries?.attachToTask(ref, wt.startedEventId);
    return { wt: { ...wt }, ms: structuredClone(ms), messages, attached };
  });
  const { wt, ms, messages, attached } = started;
  const firstEventId = sticky && ms.execution.lastCompletedWorkflowTaskStartedEventId > 0 ? ms.execution.lastCompletedWorkflowTaskStartedEventId + 1 : 1;
  const events = (await engine.readHistory(ref)).filter((e) => num(e.eventId) >= firstEventId && num(e.eventId) <= wt.startedEventId);
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
    workflowType: { name: ms.execution.workflowType },
    previousStartedEventId: ms.execution.lastCompletedWorkflowTaskStartedEventId as never,
    startedEventId: wt.startedEventId as never,
    attempt: wt.attempt,
    backlogCountHint: 0 as never,
    history: { events },
    workflowExecutionTaskQueue: { name: ms.execution.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
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

function startedTask(ctx: MutationContext, token: WorkflowTaskToken) {
  const ms = ctx.ms;
  const wt = ms.workflowTask;
  if (!isRunning(ms)) throw new NotFoundError('workflow execution already completed', { workflowId: token.wid, runId: token.rid });
  if (!wt || wt.state !== 'started' || wt.scheduledEventId !== token.sched || wt.attempt !== token.attempt || wt.startedEventId !== token.started) {
    throw new NotFoundError('workflow task not found', { workflowId: token.wid, runId: token.rid });
  }
  return wt;
}

/**
 * Close the started workflow task as failed or timed out, write the events buffered meanwhile, and
 * schedule the next attempt (UNHANDLED_COMMAND keeps attempt 1: the worker did nothing wrong).
 */
export function failStartedWorkflowTask(
  ctx: MutationContext,
  how: { timedOut: true } | { timedOut: false; cause: number; failure?: temporal.api.failure.v1.IFailure | null; identity: string },
): void {
  const wt = ctx.ms.workflowTask!;
  ctx.completingWorkflowTask = true;
  // the worker may have lost the run (RESET_STICKY_TASK_QUEUE) or be gone (timeout): full history next time
  ctx.ms.execution.stickyTaskQueue = undefined;
  workflowTaskMachine.next(wt.state, how.timedOut ? 'time-out' : 'fail');
  if (how.timedOut) {
    ctx.addEvent('EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT', {
      scheduledEventId: wt.scheduledEventId,
      startedEventId: wt.startedEventId,
      timeoutType: 'TIMEOUT_TYPE_START_TO_CLOSE',
    });
  } else {
    ctx.addEvent('EVENT_TYPE_WORKFLOW_TASK_FAILED', {
      scheduledEventId: wt.scheduledEventId,
      startedEventId: wt.startedEventId,
      cause: how.cause,
      failure: how.failure,
      identity: how.identity,
    });
  }
  ctx.ms.workflowTask = undefined;
  ctx.flushBufferedEvents();
  const unhandled = !how.timedOut && how.cause === WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND;
  ctx.scheduleWorkflowTask(unhandled ? 1 : wt.attempt + 1);
  ctx.completingWorkflowTask = false;
}

const CT = temporal.api.enums.v1.CommandType;
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;

/**
 * The first command carrying a payload over the blob error limit (Temporal's messages), or
 * undefined; payloads over the warn limit are logged.
 */
function oversizedPayload(commands: temporal.api.command.v1.ICommand[], limits: Limits, log: Logger, workflowId: string): BadCommandError | undefined {
  for (const c of commands) {
    let size: number;
    let what: string;
    let cause: number;
    let kind: 'blob' | 'memo' = 'blob';
    switch (Number(c.commandType)) {
      case CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
        [size, what, cause] = [
          payloadsSize(c.scheduleActivityTaskCommandAttributes?.input),
          'ScheduleActivityTaskCommandAttributes.Input',
          Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
        ];
        break;
      case CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
        [size, what, cause] = [
          payloadsSize(c.completeWorkflowExecutionCommandAttributes?.result),
          'CompleteWorkflowExecutionCommandAttributes.Result',
          Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES,
        ];
        break;
      case CT.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
        [size, what, cause] = [
          failureSize(c.failWorkflowExecutionCommandAttributes?.failure),
          'FailWorkflowExecutionCommandAttributes.Failure',
          Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES,
        ];
        break;
      case CT.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
        [size, what, cause] = [
          payloadsSize(c.cancelWorkflowExecutionCommandAttributes?.details),
          'CancelWorkflowExecutionCommandAttributes.Details',
          Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_WORKFLOW_EXECUTION_ATTRIBUTES,
        ];
        break;
      case CT.COMMAND_TYPE_RECORD_MARKER:
        [size, what, cause] = [
          markerDetailsSize(c.recordMarkerCommandAttributes?.details),
          'RecordMarkerCommandAttributes.Details',
          Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES,
        ];
        break;
      case CT.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES:
        [size, what, cause, kind] = [
          memoSize(c.modifyWorkflowPropertiesCommandAttributes?.upsertedMemo),
          'ModifyWorkflowPropertiesCommandAttributes.UpsertedMemo',
          Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES,
          'memo',
        ];
        break;
      default:
        continue;
    }
    const verdict = blobVerdict(size, limits, kind);
    if (verdict === 'warn') log.warn({ workflowId, field: what, size }, 'payload exceeds the warn limit');
    if (verdict === 'error') return new BadCommandError(cause, `${what} exceeds size limit: ${blobLimitSentence(size, limits, kind)}.`);
  }
  return undefined;
}

/**
 * Temporal's failWorkflow: the task fails with `err.failedCause` and the workflow fails with a
 * non-retryable ServerFailure carrying the message (a bad payload would fail every retry alike).
 */
function failWorkflowForBadCommand(ctx: MutationContext, err: BadCommandError, identity: string): void {
  const wt = ctx.ms.workflowTask!;
  ctx.completingWorkflowTask = true;
  workflowTaskMachine.next(wt.state, 'fail');
  const failure = { message: err.message, source: 'Server', serverFailureInfo: { nonRetryable: true } };
  const failed = ctx.addEvent('EVENT_TYPE_WORKFLOW_TASK_FAILED', {
    scheduledEventId: wt.scheduledEventId,
    startedEventId: wt.startedEventId,
    cause: err.failedCause,
    failure,
    identity,
  })!;
  ctx.ms.workflowTask = undefined;
  ctx.flushBufferedEvents();
  ctx.closeWorkflow('fail', 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED', {
    failure,
    retryState: 'RETRY_STATE_NON_RETRYABLE_FAILURE',
    workflowTaskCompletedEventId: num(failed.eventId),
  });
  ctx.ms.activities = {};
  ctx.ms.timers = {};
  ctx.completingWorkflowTask = false;
}

export interface CompletedOutcome {
  /** set when the server failed the task instead (bad command): returned to the worker as an error */
  failedWith?: BadCommandError;
}

export async function respondWorkflowTaskCompleted(
  engine: HistoryEngine,
  token: WorkflowTaskToken,
  req: CompletedRequest,
  queries?: QueryRegistry,
): Promise<CompletedOutcome> {
  const ref: ExecutionKey = { namespaceId: token.ns, workflowId: token.wid, runId: token.rid };
  const outcome = await engine.update(ref, async (ctx): Promise<CompletedOutcome> => {
    const wt = startedTask(ctx, token);
    // answers to the queries that rode along with this task
    queries?.answerFromTask(req.queryResults);
    const commands = req.commands ?? [];
    if (commands.some(isCloseCommand)) ctx.reservedNextRunId = await reserveNextRunId(engine, ctx.ms);
    const identity = req.identity ?? '';
    ctx.ms.execution.stickyTaskQueue = req.stickyAttributes?.workerTaskQueue?.name || undefined;
    if ((ctx.ms.bufferedEvents.length > 0 || hasUndeliveredUpdates(engine, ctx)) && commands.some(isCloseCommand)) {
      failStartedWorkflowTask(ctx, { timedOut: false, cause: WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, identity });
      return {};
    }
    try {
      validateCommands(ctx, commands);
    } catch (err) {
      if (!(err instanceof BadCommandError)) throw err;
      failStartedWorkflowTask(ctx, {
        timedOut: false,
        cause: err.failedCause,
        failure: { message: err.message, source: 'temporal-ts', applicationFailureInfo: { type: 'BadCommand', nonRetryable: true } },
        identity,
      });
      return { failedWith: err };
    }
    const oversized = oversizedPayload(commands, engine.limits, engine.log, ctx.ms.execution.workflowId);
    if (oversized) {
      failWorkflowForBadCommand(ctx, oversized, identity);
      return { failedWith: oversized };
    }
    ctx.completingWorkflowTask = true;
    workflowTaskMachine.next(wt.state, 'complete');
    const completed = ctx.addEvent('EVENT_TYPE_WORKFLOW_TASK_COMPLETED', {
      scheduledEventId: wt.scheduledEventId,
      startedEventId: wt.startedEventId,
      identity,
      binaryChecksum: req.binaryChecksum,
      workerVersion: req.workerVersionStamp,
      sdkMetadata: req.sdkMetadata,
      meteringMetadata: req.meteringMetadata,
    })!;
    ctx.ms.workflowTask = undefined;
    ctx.ms.execution.lastCompletedWorkflowTaskStartedEventId = wt.startedEventId;
    const completedEventId = num(completed.eventId);
    // protocol messages (updates): in the place of the ProtocolMessage command naming them, the rest first
    const messages = new Map((req.messages ?? []).map((m) => [m.id ?? '', m]));
    const ordered = new Set(commands.map((c) => c.protocolMessageCommandAttributes?.messageId ?? '').filter((id) => messages.has(id)));
    for (const [id, m] of messages) if (!ordered.has(id)) applyProtocolMessage(engine, ctx, m);
    for (const c of commands) {
      if (Number(c.commandType) === temporal.api.enums.v1.CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE) {
        const m = messages.get(c.protocolMessageCommandAttributes?.messageId ?? '');
        if (m) applyProtocolMessage(engine, ctx, m);
        continue;
      }
      applyCommand(ctx, c, completedEventId, identity);
      if (!isRunning(ctx.ms)) break;
    }
    if (isRunning(ctx.ms)) {
      const newWork = ctx.flushBufferedEvents() > 0;
      if (newWork || req.forceCreateNewWorkflowTask || hasUndeliveredUpdates(engine, ctx)) ctx.scheduleWorkflowTask();
    } else {
      forgetAdmittedUpdates(engine, ref);
      await createNextRun(engine, ctx);
    }
    ctx.completingWorkflowTask = false;
    return {};
  });
  return outcome;
}

export async function respondWorkflowTaskFailed(engine: HistoryEngine, token: WorkflowTaskToken, req: FailedRequest): Promise<void> {
  const ref: ExecutionKey = { namespaceId: token.ns, workflowId: token.wid, runId: token.rid };
  await engine.update(ref, (ctx) => {
    startedTask(ctx, token);
    failStartedWorkflowTask(ctx, {
      timedOut: false,
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
    if (!isRunning(ctx.ms) || !wt || wt.state !== 'started' || wt.scheduledEventId !== scheduledEventId || wt.attempt !== attempt) return;
    failStartedWorkflowTask(ctx, { timedOut: true });
  });
}
