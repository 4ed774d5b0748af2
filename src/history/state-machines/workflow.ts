/**
 * The workflow execution's lifecycle as a transition table:
 *
 *   running --signal / request-cancel--> running
 *   running --complete | fail | fail-by-server | cancel | continue-as-new | terminate | time-out--> (closed)
 *
 * A run is born running (api/start-workflow.ts newRunContext builds it). Every close writes the close
 * event (never buffered), drops a scheduled workflow task, schedules the retention timer when the
 * retention is known and the close-execution transfer task (parent, children, retention). The closes
 * the server decides (terminate, run timeout, a payload it refused) first abort a started workflow task
 * and then abandon the pending activities and timers; the closes a worker commands leave them.
 * A close that starts a next run (retry, cron, continue-as-new) plans it here (next-run-plan.ts); the
 * caller creates it (next-run.ts) before the change commits.
 *
 * Room for later rows (issue 14): reset (running --terminate--> terminated with a new run from a
 * workflow task event), delete (closed states --delete--> deleted), options update (running --> running).
 */
import { num, TimeoutType, WorkflowTaskFailedCause, type IFailure, type IPayloads, type temporal } from '../../common/proto';
import type { MutationContext } from '../context';
import type { EventTypeName } from '../events';
import type { MutableState } from '../mutable-state';
import { planAfterCompletion, planAfterFailure, planContinueAsNew } from '../next-run-plan';
import { activityMachine } from './activity';
import { StateMachine } from './machine';
import type { WorkflowState } from './states';
import { timerMachine } from './timer';
import { scheduleWorkflowTask, workflowTaskMachine } from './workflow-task';

const MAX_REMEMBERED_SIGNAL_REQUESTS = 100;
const FORCE_CLOSE = WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND;

/** A signal to deliver (SignalWorkflowExecution, SignalWithStart, SignalExternal). */
export interface WorkflowSignal {
  signalName: string;
  input: IPayloads | null | undefined;
  header: temporal.api.common.v1.IHeader | null | undefined;
  identity: string;
  requestId: string;
}

export interface WorkflowActions {
  signal: WorkflowSignal;
  'request-cancel': { reason: string; identity: string; requestId: string };
  complete: { result: IPayloads | null | undefined; workflowTaskCompletedEventId: number };
  fail: { failure: IFailure; workflowTaskCompletedEventId: number };
  /** the server fails the run for a command it refused (a payload over the limit): no retry, no cron */
  'fail-by-server': { cause: number; failure: IFailure; identity: string };
  cancel: { details: IPayloads | null | undefined; workflowTaskCompletedEventId: number };
  'continue-as-new': { attrs: temporal.api.command.v1.IContinueAsNewWorkflowExecutionCommandAttributes; workflowTaskCompletedEventId: number };
  terminate: { reason: string; details?: IPayloads | null; identity: string };
  /** the run timeout fired */
  'time-out': void;
}

export const workflowMachine = new StateMachine<WorkflowState, WorkflowActions, MutationContext, MutableState>(
  {
    entity: 'workflow',
    describe: (_ctx, ms) => `workflow ${ms.execution.workflowId}/${ms.execution.runId}`,
    stateOf: (ms) => ms.execution.state,
    setState: (ms, s) => {
      ms.execution.state = s;
    },
  },
  (t) => {
    t.on('running', 'signal', 'running', signal);
    t.on('running', 'request-cancel', 'running', requestCancel);
    t.on('running', 'complete', 'completed', complete);
    t.on('running', 'fail', 'failed', fail);
    t.on('running', 'fail-by-server', 'failed', failByServer);
    t.on('running', 'cancel', 'canceled', (ctx, ms, p) => {
      closeRun(ctx, ms, 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED', { details: p.details, workflowTaskCompletedEventId: p.workflowTaskCompletedEventId });
    });
    t.on('running', 'continue-as-new', 'continued-as-new', continueAsNew);
    t.on('running', 'terminate', 'terminated', terminate);
    t.on('running', 'time-out', 'timed-out', timeOut);
  },
);

function signal(ctx: MutationContext, ms: MutableState, s: WorkflowSignal): void {
  ctx.addEvent('EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED', { signalName: s.signalName, input: s.input, header: s.header, identity: s.identity });
  if (s.requestId) {
    ms.signalRequestIds.push(s.requestId);
    if (ms.signalRequestIds.length > MAX_REMEMBERED_SIGNAL_REQUESTS) ms.signalRequestIds.shift();
  }
  scheduleWorkflowTask(ctx);
}

function requestCancel(ctx: MutationContext, ms: MutableState, p: WorkflowActions['request-cancel']): void {
  if (ms.execution.cancelRequested) return; // asked before: the workflow was told once
  ms.execution.cancelRequested = true;
  ctx.addEvent('EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED', { cause: p.reason, identity: p.identity });
  if (p.requestId) ms.signalRequestIds.push(p.requestId);
  scheduleWorkflowTask(ctx);
}

function complete(ctx: MutationContext, ms: MutableState, p: WorkflowActions['complete']): void {
  const next = planAfterCompletion(ctx, p.result);
  closeRun(ctx, ms, 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED', {
    result: p.result,
    workflowTaskCompletedEventId: p.workflowTaskCompletedEventId,
    newExecutionRunId: next?.runId,
  });
}

function fail(ctx: MutationContext, ms: MutableState, p: WorkflowActions['fail']): void {
  const { plan, retryState } = planAfterFailure(ctx, p.failure);
  closeRun(ctx, ms, 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED', {
    failure: p.failure,
    retryState,
    workflowTaskCompletedEventId: p.workflowTaskCompletedEventId,
    newExecutionRunId: plan?.runId,
  });
}

/** Temporal's failWorkflow: the task fails with the command's cause, the run with a non-retryable failure. */
function failByServer(ctx: MutationContext, ms: MutableState, p: WorkflowActions['fail-by-server']): void {
  workflowTaskMachine.fire(ctx, ms, 'abort', { cause: p.cause, failure: p.failure, identity: p.identity });
  closeRun(ctx, ms, 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED', {
    failure: p.failure,
    retryState: 'RETRY_STATE_NON_RETRYABLE_FAILURE',
    workflowTaskCompletedEventId: ctx.lastAppended('EVENT_TYPE_WORKFLOW_TASK_FAILED'),
  });
  abandonPendingWork(ctx, ms);
}

function continueAsNew(ctx: MutationContext, ms: MutableState, { attrs: a, workflowTaskCompletedEventId }: WorkflowActions['continue-as-new']): void {
  const next = planContinueAsNew(ctx, a);
  const e = ms.execution;
  closeRun(ctx, ms, 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW', {
    newExecutionRunId: next.runId,
    workflowType: a.workflowType?.name ? a.workflowType : { name: e.workflowType },
    taskQueue: { name: a.taskQueue?.name || e.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
    input: a.input,
    workflowRunTimeout: a.workflowRunTimeout,
    workflowTaskTimeout: a.workflowTaskTimeout,
    workflowTaskCompletedEventId,
    backoffStartInterval: a.backoffStartInterval,
    initiator: 'CONTINUE_AS_NEW_INITIATOR_WORKFLOW',
    failure: a.failure,
    lastCompletionResult: a.lastCompletionResult,
    header: a.header,
    memo: a.memo,
    searchAttributes: a.searchAttributes,
  });
}

/** Closes the run at once; a started workflow task is failed first so the history stays well formed. */
function terminate(ctx: MutationContext, ms: MutableState, p: WorkflowActions['terminate']): void {
  if (workflowTaskMachine.can(ms, 'abort')) workflowTaskMachine.fire(ctx, ms, 'abort', { cause: FORCE_CLOSE, identity: p.identity });
  closeRun(ctx, ms, 'EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED', { reason: p.reason, details: p.details, identity: p.identity });
  abandonPendingWork(ctx, ms);
}

/** As Temporal's TimeoutWorkflow: the in-flight task is failed with FORCE_CLOSE_COMMAND; the retry policy or cron may go on. */
function timeOut(ctx: MutationContext, ms: MutableState): void {
  if (workflowTaskMachine.can(ms, 'abort')) workflowTaskMachine.fire(ctx, ms, 'abort', { cause: FORCE_CLOSE, identity: 'history-service' });
  const failure = { message: 'workflow run timed out', source: 'Server', timeoutFailureInfo: { timeoutType: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE } };
  const { plan, retryState } = planAfterFailure(ctx, failure);
  closeRun(ctx, ms, 'EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT', {
    retryState: plan ? retryState : 'RETRY_STATE_TIMEOUT',
    newExecutionRunId: plan?.runId,
  });
  abandonPendingWork(ctx, ms);
}

/** What every close does after its own decisions: the close event and the tasks that follow a close. */
function closeRun(ctx: MutationContext, ms: MutableState, type: EventTypeName, attrs: object): void {
  const e = ms.execution;
  const ev = ctx.appendEvent(type, attrs);
  e.completionEventId = num(ev.eventId);
  e.closeTimeMs = ctx.nowMs;
  workflowTaskMachine.fire(ctx, ms, 'drop');
  ms.bufferedEvents = [];
  // retention: deletion is scheduled with the close when the namespace's retention is known here
  // (the timer re-checks the retention when it fires); else the close-execution task does it
  if (ctx.retentionHintMs !== undefined) {
    ctx.addTimer(ctx.nowMs + ctx.retentionHintMs, { type: 'delete-execution' });
    e.retentionTimerSet = true;
  }
  // parent notification, parent close policy, retention (queues/transfer-handlers.ts)
  ctx.addTransfer({ type: 'close-execution' });
}

/** The run was closed by the server: its activities and timers go without events. */
function abandonPendingWork(ctx: MutationContext, ms: MutableState): void {
  for (const a of Object.values(ms.activities)) activityMachine.fire(ctx, a, 'abandon');
  for (const timer of Object.values(ms.timers)) timerMachine.fire(ctx, timer, 'abandon');
}
