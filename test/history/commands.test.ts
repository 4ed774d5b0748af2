/**
 * The command registry of src/history/commands: one entry per command type of the API, checks that
 * fail the workflow task with Temporal's cause before anything is applied, unknown types refused as
 * INVALID_ARGUMENT, and the two races Temporal resolves in favour of the workflow's command (a timer
 * that fired, an activity that closed while the workflow task ran). Driven on a real mutable state.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/common/errors';
import { msToDuration, num, temporal, WorkflowTaskFailedCause } from '../../src/common/proto';
import { newRunContext } from '../../src/history/api/start-workflow';
import { BadCommandError, type Command } from '../../src/history/commands/command';
import { applyCommands, COMMANDS, isCloseCommand, limitedPayloads, validateCommands } from '../../src/history/commands/registry';
import type { MutationContext } from '../../src/history/context';
import { scheduleWorkflowTask, workflowTaskMachine } from '../../src/history/state-machines/workflow-task';
import { timerMachine } from '../../src/history/state-machines/timer';
import { activityMachine } from '../../src/history/state-machines/activity';

const CT = temporal.api.enums.v1.CommandType;
const Cause = WorkflowTaskFailedCause;
const ET = temporal.api.enums.v1.EventType;

function freshRun(): MutationContext {
  return newRunContext({ id: 'ns-id', name: 'default' }, { workflowId: 'wf', workflowType: { name: 'Wf' }, taskQueue: { name: 'tq' } }, 'req', 'run-1');
}

const activity = (id: string): Command => ({
  commandType: CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
  scheduleActivityTaskCommandAttributes: { activityId: id, activityType: { name: 'Act' }, startToCloseTimeout: msToDuration(10_000) },
});
const timer = (id: string): Command => ({
  commandType: CT.COMMAND_TYPE_START_TIMER,
  startTimerCommandAttributes: { timerId: id, startToFireTimeout: msToDuration(1_000) },
});
const cancelTimer = (id: string): Command => ({ commandType: CT.COMMAND_TYPE_CANCEL_TIMER, cancelTimerCommandAttributes: { timerId: id } });
const cancelActivity = (sched: number): Command => ({
  commandType: CT.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
  requestCancelActivityTaskCommandAttributes: { scheduledEventId: sched as never },
});
const complete: Command = { commandType: CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} };

/** Runs a batch as RespondWorkflowTaskCompleted does after validation. */
function apply(ctx: MutationContext, commands: Command[]): void {
  validateCommands(ctx.ms, commands);
  applyCommands({ ctx, workflowTaskCompletedEventId: 4, identity: 'worker', applyMessage: () => undefined }, commands);
}

function refused(ctx: MutationContext, commands: Command[], cause: number, message: RegExp): void {
  const before = JSON.stringify(ctx.ms);
  assert.throws(
    () => validateCommands(ctx.ms, commands),
    (err: unknown) => err instanceof BadCommandError && err.failedCause === cause && message.test(err.message),
  );
  assert.equal(JSON.stringify(ctx.ms), before, 'validation changes nothing');
}

describe('command registry', () => {
  test('every command type of the API has an entry (a definition or an explicit unsupported)', () => {
    const apiTypes = Object.keys(CT).filter((k) => Number.isNaN(Number(k)) && k !== 'COMMAND_TYPE_UNSPECIFIED');
    assert.deepEqual(Object.keys(COMMANDS).sort(), apiTypes.sort());
    assert.deepEqual(
      Object.entries(COMMANDS)
        .filter(([, d]) => !d.supported)
        .map(([k]) => k)
        .sort(),
      ['COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION', 'COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION'],
    );
    assert.deepEqual(
      Object.entries(COMMANDS)
        .filter(([, d]) => d.supported && d.closesWorkflow)
        .map(([k]) => k)
        .sort(),
      [
        'COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION',
        'COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION',
        'COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION',
        'COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION',
      ],
    );
    assert.equal(isCloseCommand(complete), true);
    assert.equal(isCloseCommand({ commandType: 99 as never }), false);
  });

  test('a command type the API does not know is INVALID_ARGUMENT naming it; an unimplemented one fails the task with FEATURE_DISABLED', () => {
    const ctx = freshRun();
    for (const t of [99, 0]) {
      assert.throws(
        () => validateCommands(ctx.ms, [timer('t1'), { commandType: t as never }]),
        (err: unknown) => err instanceof InvalidArgumentError && err.message === `commands: Unknown command type: ${t}`,
      );
    }
    refused(
      ctx,
      [{ commandType: CT.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION }],
      Cause.WORKFLOW_TASK_FAILED_CAUSE_FEATURE_DISABLED,
      /SCHEDULE_NEXUS_OPERATION is not supported by this server: Nexus operations/,
    );
  });

  test('bad attributes fail the task with the command\u2019s cause, before any command is applied', () => {
    const ctx = freshRun();
    refused(ctx, [complete, timer('t1')], Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES, /must be the last command/);
    refused(ctx, [{ commandType: CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK }], Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, /is not set/);
    refused(ctx, [activity('a'), activity('a')], Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, /activity id a is already in use/);
    refused(
      ctx,
      [{ commandType: CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK, scheduleActivityTaskCommandAttributes: { activityId: 'a', activityType: { name: 'A' } } }],
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
      /StartToClose or ScheduleToCloseTimeout/,
    );
    refused(ctx, [timer('t'), timer('t')], Cause.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID, /timer id t is already in use/);
    refused(ctx, [cancelTimer('nope')], Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES, /no pending timer nope/);
    refused(ctx, [timer('t'), cancelTimer('t'), cancelTimer('t')], Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES, /already canceled/);
    refused(
      ctx,
      [cancelActivity(42)],
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES,
      /no pending activity with scheduled event id 42/,
    );
    refused(
      ctx,
      [
        {
          commandType: CT.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
          startChildWorkflowExecutionCommandAttributes: { workflowId: 'c', workflowType: { name: 'C' }, cronSchedule: 'not cron' },
        },
      ],
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
      /CronSchedule is invalid/,
    );
    refused(
      ctx,
      [
        {
          commandType: CT.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
          signalExternalWorkflowExecutionCommandAttributes: { execution: { workflowId: 'x' } },
        },
      ],
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
      /SignalName is not set/,
    );
    refused(
      ctx,
      [{ commandType: CT.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION, requestCancelExternalWorkflowExecutionCommandAttributes: {} }],
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
      /WorkflowId is not set/,
    );
  });

  test('a batch applies in order through the tables: a timer started and canceled in one task, an activity scheduled and its cancel in the next', () => {
    const ctx = freshRun();
    apply(ctx, [timer('t'), cancelTimer('t'), activity('a')]);
    assert.deepEqual(
      ctx.newEvents.slice(1).map((e) => ET[Number(e.eventType)]),
      ['EVENT_TYPE_TIMER_STARTED', 'EVENT_TYPE_TIMER_CANCELED', 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED'],
    );
    assert.deepEqual(ctx.ms.timers, {});
    const sched = num(ctx.newEvents[3]!.eventId);
    apply(ctx, [cancelActivity(sched)]);
    // not started: canceled at once
    assert.deepEqual(
      ctx.newEvents.slice(4).map((e) => ET[Number(e.eventType)]),
      ['EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED', 'EVENT_TYPE_ACTIVITY_TASK_CANCELED'],
    );
    assert.deepEqual(ctx.ms.activities, {});
    apply(ctx, [complete]);
    assert.equal(ctx.ms.execution.state, 'completed');
  });

  test('a timer that fired while the task ran and is canceled by it: the cancel wins, the buffered fire is dropped (as Temporal)', () => {
    const ctx = freshRun();
    apply(ctx, [timer('t')]);
    scheduleWorkflowTask(ctx);
    workflowTaskMachine.fire(ctx, ctx.ms, 'start', { identity: 'worker' });
    timerMachine.fire(ctx, ctx.ms.timers.t!, 'fire'); // buffered: the task is started
    assert.equal(ctx.ms.bufferedEvents.length, 1);
    workflowTaskMachine.fire(ctx, ctx.ms, 'complete', { identity: 'worker' });
    apply(ctx, [cancelTimer('t')]);
    assert.deepEqual(ctx.ms.bufferedEvents, []);
    const last = ctx.newEvents[ctx.newEvents.length - 1]!;
    assert.equal(ET[Number(last.eventType)], 'EVENT_TYPE_TIMER_CANCELED');
    assert.equal(num(last.timerCanceledEventAttributes!.startedEventId), num(ctx.newEvents[1]!.eventId));
  });

  test('an activity that closed while the task ran and is canceled by it: the request is recorded, nothing else', () => {
    const ctx = freshRun();
    apply(ctx, [activity('a')]);
    const sched = num(ctx.newEvents[1]!.eventId);
    scheduleWorkflowTask(ctx);
    workflowTaskMachine.fire(ctx, ctx.ms, 'start', { identity: 'worker' });
    // the activity completes meanwhile: its events are buffered, it leaves the mutable state
    const a = ctx.ms.activities[String(sched)]!;
    activityMachine.fire(ctx, a, 'start', { identity: 'worker' });
    activityMachine.fire(ctx, a, 'complete', { result: undefined, identity: 'worker' });
    assert.equal(ctx.ms.bufferedEvents.length, 2);
    assert.deepEqual(ctx.ms.activities, {});
    workflowTaskMachine.fire(ctx, ctx.ms, 'complete', { identity: 'worker' });
    const n = ctx.newEvents.length;
    apply(ctx, [cancelActivity(sched)]);
    assert.deepEqual(
      ctx.newEvents.slice(n).map((e) => ET[Number(e.eventType)]),
      ['EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED'],
    );
    refused(ctx, [cancelActivity(sched), cancelActivity(sched)], Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES, /already requested/);
  });

  test('size-limited payloads are listed in command order with the field Temporal names and the command\u2019s cause', () => {
    const big = { payloads: [{ data: Buffer.alloc(100) }] };
    const out = limitedPayloads([
      timer('t'),
      { ...activity('a'), scheduleActivityTaskCommandAttributes: { ...activity('a').scheduleActivityTaskCommandAttributes, input: big } },
      { commandType: CT.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES, modifyWorkflowPropertiesCommandAttributes: {} },
      { commandType: CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: { result: big } },
    ]);
    assert.deepEqual(
      out.map((p) => [p.field, p.kind, p.size > 100, p.cause]),
      [
        ['ScheduleActivityTaskCommandAttributes.Input', 'blob', true, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES],
        ['ModifyWorkflowPropertiesCommandAttributes.UpsertedMemo', 'memo', false, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES],
        ['CompleteWorkflowExecutionCommandAttributes.Result', 'blob', true, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES],
      ],
    );
  });
});
