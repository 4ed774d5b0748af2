/**
 * The scheduler state machine (src/scheduler/scheduler.ts) driven through its real interface: an
 * injected clock and a SchedulerActions port implemented by a small in-memory history (`World`) that
 * behaves as our history service does for the calls a schedule makes: a repeated request id returns
 * the run it started, REJECT_DUPLICATE and a running id refuse with WorkflowExecutionAlreadyStarted,
 * terminate closes a run, cancel only requests it. The integration tests over gRPC come with the
 * frontend handlers (issue 14, after the history refactor); these pin the decisions.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FailedPreconditionError, InvalidArgumentError, UnavailableError, WorkflowExecutionAlreadyStartedError } from '../../src/common/errors';
import { temporal } from '../../src/common/proto';
import { Scheduler, type RunStatus, type SchedulerActions } from '../../src/scheduler/scheduler';
import type { RunningWorkflow, ScheduleRecord } from '../../src/scheduler/record';
import { decodeConflictToken, describeResponse, listEntry } from '../../src/scheduler/views';
import { OverlapPolicy } from '../../src/scheduler/overlap';

const Status = temporal.api.enums.v1.WorkflowExecutionStatus;
const Reuse = temporal.api.enums.v1.WorkflowIdReusePolicy;
type StartReq = temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest;

const T0 = Date.parse('2022-03-23T12:00:00Z');
const MIN = 60_000;
const dur = (seconds: number) => ({ seconds, nanos: 0 }) as never;
const ts = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: 0 }) as never;
const payloadText = (p: temporal.api.common.v1.IPayload | null | undefined) => JSON.parse(Buffer.from(p?.data ?? []).toString()) as unknown;

interface Run {
  workflowId: string;
  runId: string;
  requestId: string;
  status: temporal.api.enums.v1.WorkflowExecutionStatus;
  startTime: number;
  req: StartReq;
  result?: temporal.api.common.v1.IPayloads;
  failure?: temporal.api.failure.v1.IFailure;
}

/** Our history service, as far as a schedule's calls go. */
class World implements SchedulerActions {
  readonly runs = new Map<string, Run>();
  readonly started: Run[] = [];
  startCalls = 0;
  failStarts = 0;
  readonly cancels: string[] = [];
  readonly terminates: string[] = [];
  private seq = 0;

  constructor(private readonly clock: () => number) {}

  startWorkflow(req: StartReq): Promise<{ runId: string; startTime: number }> {
    this.startCalls++;
    if (this.failStarts > 0) {
      this.failStarts--;
      return Promise.reject(new UnavailableError('history is unavailable'));
    }
    const cur = this.runs.get(req.workflowId!);
    if (cur && cur.requestId === req.requestId) return Promise.resolve({ runId: cur.runId, startTime: cur.startTime });
    if (cur && (cur.status === Status.WORKFLOW_EXECUTION_STATUS_RUNNING || req.workflowIdReusePolicy === Reuse.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)) {
      return Promise.reject(new WorkflowExecutionAlreadyStartedError(cur.workflowId, cur.runId, cur.requestId));
    }
    const run: Run = {
      workflowId: req.workflowId!,
      runId: `run-${++this.seq}`,
      requestId: req.requestId!,
      status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
      startTime: this.clock(),
      req,
    };
    this.runs.set(run.workflowId, run);
    this.started.push(run);
    return Promise.resolve({ runId: run.runId, startTime: run.startTime });
  }

  describeRun(_ns: string, workflowId: string): Promise<RunStatus | undefined> {
    const r = this.runs.get(workflowId);
    return Promise.resolve(r ? { status: r.status, result: r.result, failure: r.failure } : undefined);
  }

  cancelWorkflow(_ns: string, run: RunningWorkflow): Promise<void> {
    this.cancels.push(run.workflowId);
    return Promise.resolve();
  }

  terminateWorkflow(_ns: string, run: RunningWorkflow): Promise<void> {
    this.terminates.push(run.workflowId);
    this.close(run.workflowId, Status.WORKFLOW_EXECUTION_STATUS_TERMINATED);
    return Promise.resolve();
  }

  close(workflowId: string, status: temporal.api.enums.v1.WorkflowExecutionStatus, extra: Partial<Run> = {}): void {
    const r = this.runs.get(workflowId);
    assert.ok(r, `no run ${workflowId}`);
    Object.assign(r, { status }, extra);
  }

  get ids(): string[] {
    return this.started.map((r) => r.workflowId);
  }
}

interface Harness {
  s: Scheduler;
  world: World;
  clock: { now: number };
  /** set the clock and tick */
  at(ms: number): ReturnType<Scheduler['tick']>;
}

function harness(
  schedule: temporal.api.schedule.v1.ISchedule,
  opts: { initialPatch?: temporal.api.schedule.v1.ISchedulePatch; record?: ScheduleRecord; world?: World; clock?: { now: number } } = {},
): Harness {
  const clock = opts.clock ?? { now: T0 };
  const world = opts.world ?? new World(() => clock.now);
  let ids = 0;
  const deps = { clock: () => clock.now, actions: world, newId: () => `id${++ids}` };
  const action = { startWorkflow: { workflowId: 'wf', workflowType: { name: 'Report' }, taskQueue: { name: 'reports' }, input: { payloads: [] } } };
  const s = opts.record
    ? new Scheduler(opts.record, deps)
    : Scheduler.create(
        {
          namespace: 'default',
          namespaceId: 'ns-1',
          scheduleId: 'daily-report',
          schedule: { action, ...schedule },
          now: clock.now,
          initialPatch: opts.initialPatch,
        },
        deps,
      );
  return {
    s,
    world,
    clock,
    at(ms: number) {
      clock.now = ms;
      return s.tick();
    },
  };
}

const every10m = { spec: { interval: [{ interval: dur(600) }] } };
const withPolicy = (overlapPolicy: OverlapPolicy, extra: temporal.api.schedule.v1.ISchedulePolicies = {}) => ({
  ...every10m,
  policies: { overlapPolicy, ...extra },
});
const closeLast = (h: Harness, status = Status.WORKFLOW_EXECUTION_STATUS_COMPLETED, extra: Partial<Run> = {}) =>
  h.world.close(h.world.started.at(-1)!.workflowId, status, extra);

describe('firing on the spec', () => {
  test('each nominal time starts one run: id <base>-<time>, scheduled search attributes, identity, counters', async () => {
    const h = harness(every10m);
    const first = await h.at(T0 + 5 * MIN);
    assert.equal(h.world.started.length, 0);
    assert.equal(first.nextWakeup, T0 + 10 * MIN);
    await h.at(T0 + 10 * MIN);
    closeLast(h);
    await h.at(T0 + 20 * MIN + 500);
    assert.deepEqual(h.world.ids, ['wf-2022-03-23T12:10:00Z', 'wf-2022-03-23T12:20:00Z']);
    const req = h.world.started[0]!.req;
    assert.equal(req.namespace, 'default');
    assert.equal(req.workflowType?.name, 'Report');
    assert.equal(req.taskQueue?.name, 'reports');
    assert.equal(req.identity, 'temporal-scheduler-default-daily-report');
    assert.equal(req.workflowIdReusePolicy, Reuse.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE);
    assert.match(req.requestId!, /^sched-auto-[0-9a-f-]{36}$/);
    assert.equal(payloadText(req.searchAttributes?.indexedFields?.TemporalScheduledById), 'daily-report');
    assert.equal(payloadText(req.searchAttributes?.indexedFields?.TemporalScheduledStartTime), '2022-03-23T12:10:00Z');
    const info = h.s.record.info;
    assert.equal(info.actionCount, 2);
    assert.deepEqual(
      info.recentActions.map((a) => [a.workflowId, a.status]),
      [
        ['wf-2022-03-23T12:10:00Z', Status.WORKFLOW_EXECUTION_STATUS_COMPLETED],
        ['wf-2022-03-23T12:20:00Z', Status.WORKFLOW_EXECUTION_STATUS_RUNNING],
      ],
    );
    assert.deepEqual(info.runningWorkflows, [{ workflowId: 'wf-2022-03-23T12:20:00Z', runId: 'run-2' }]);
    assert.deepEqual(
      h.s.futureActionTimes(3).map((t) => new Date(t).toISOString()),
      ['2022-03-23T12:30:00.000Z', '2022-03-23T12:40:00.000Z', '2022-03-23T12:50:00.000Z'],
    );
  });

  test('jitter delays the start; the workflow id and TemporalScheduledStartTime keep the nominal time', async () => {
    const h = harness({ spec: { interval: [{ interval: dur(3600) }], jitter: dur(600) } });
    const r = await h.at(T0 + 30 * MIN);
    const due = r.nextWakeup!;
    assert.ok(due > T0 + 60 * MIN && due < T0 + 70 * MIN, `jittered wake-up ${new Date(due).toISOString()}`);
    await h.at(T0 + 60 * MIN + 1); // nominal time passed, jittered time not yet
    assert.equal(h.world.started.length, 0);
    await h.at(due);
    assert.deepEqual(h.world.ids, ['wf-2022-03-23T13:00:00Z']);
    assert.equal(h.s.record.info.recentActions[0]!.scheduleTime, due);
    assert.equal(payloadText(h.world.started[0]!.req.searchAttributes?.indexedFields?.TemporalScheduledStartTime), '2022-03-23T13:00:00Z');
  });

  test('start and end time bound the firing; after the end the schedule is idle and may be deleted later', async () => {
    const h = harness({ spec: { interval: [{ interval: dur(600) }], startTime: ts(T0 + 30 * MIN), endTime: ts(T0 + 40 * MIN) } });
    await h.at(T0 + 25 * MIN);
    assert.equal(h.world.started.length, 0);
    await h.at(T0 + 30 * MIN);
    closeLast(h);
    const last = await h.at(T0 + 50 * MIN);
    assert.deepEqual(h.world.ids, ['wf-2022-03-23T12:30:00Z', 'wf-2022-03-23T12:40:00Z']);
    assert.equal(last.nextWakeup, undefined);
    // idle from the last action (the 12:40 run started at 12:50, when the schedule was woken)
    assert.equal(last.idleExpiration, T0 + 50 * MIN + 7 * 24 * 3600_000);
  });
});

describe('overlap policies', () => {
  test('SKIP (the default): a time that would overlap the running run is skipped and counted', async () => {
    const h = harness(every10m);
    await h.at(T0 + 10 * MIN);
    await h.at(T0 + 20 * MIN);
    await h.at(T0 + 30 * MIN);
    assert.equal(h.world.started.length, 1);
    assert.equal(h.s.record.info.overlapSkipped, 2);
    assert.equal(h.s.record.policies.overlapPolicy, OverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP);
    closeLast(h);
    await h.at(T0 + 40 * MIN);
    assert.deepEqual(h.world.ids, ['wf-2022-03-23T12:10:00Z', 'wf-2022-03-23T12:40:00Z']);
  });

  test('BUFFER_ONE keeps one start waiting and drops the rest; it starts when the run closes', async () => {
    const h = harness(withPolicy(OverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE));
    await h.at(T0 + 10 * MIN);
    await h.at(T0 + 20 * MIN);
    const r = await h.at(T0 + 30 * MIN);
    assert.equal(h.s.record.internal.bufferedStarts.length, 1);
    assert.equal(h.s.record.info.overlapSkipped, 1);
    assert.deepEqual(r.watch, [{ workflowId: 'wf-2022-03-23T12:10:00Z', runId: 'run-1' }]);
    // the driver learns that the watched run closed, and ticks
    closeLast(h);
    h.s.runClosed('wf-2022-03-23T12:10:00Z', { status: Status.WORKFLOW_EXECUTION_STATUS_COMPLETED });
    await h.at(T0 + 31 * MIN);
    assert.deepEqual(h.world.ids, ['wf-2022-03-23T12:10:00Z', 'wf-2022-03-23T12:20:00Z']);
  });

  test('BUFFER_ALL starts every time, one after the other', async () => {
    const h = harness(withPolicy(OverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL));
    await h.at(T0 + 30 * MIN);
    assert.deepEqual(h.world.ids, ['wf-2022-03-23T12:10:00Z']);
    assert.equal(h.s.record.internal.bufferedStarts.length, 2);
    for (const expected of ['wf-2022-03-23T12:20:00Z', 'wf-2022-03-23T12:30:00Z']) {
      closeLast(h);
      await h.at(h.clock.now + 1000);
      assert.equal(h.world.ids.at(-1), expected);
    }
    assert.equal(h.s.record.info.overlapSkipped, 0);
  });

  test('CANCEL_OTHER requests cancellation and starts once the run has closed', async () => {
    const h = harness(withPolicy(OverlapPolicy.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER));
    await h.at(T0 + 10 * MIN);
    await h.at(T0 + 20 * MIN);
    assert.deepEqual(h.world.cancels, ['wf-2022-03-23T12:10:00Z']);
    assert.equal(h.world.started.length, 1, 'waits for the cancelled run to close');
    closeLast(h, Status.WORKFLOW_EXECUTION_STATUS_CANCELED);
    await h.at(T0 + 21 * MIN);
    assert.deepEqual(h.world.ids, ['wf-2022-03-23T12:10:00Z', 'wf-2022-03-23T12:20:00Z']);
  });

  test('TERMINATE_OTHER terminates the running run and starts the new one', async () => {
    const h = harness(withPolicy(OverlapPolicy.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER));
    await h.at(T0 + 10 * MIN);
    await h.at(T0 + 20 * MIN);
    assert.deepEqual(h.world.terminates, ['wf-2022-03-23T12:10:00Z']);
    await h.at(T0 + 20 * MIN + 100);
    assert.deepEqual(h.world.ids, ['wf-2022-03-23T12:10:00Z', 'wf-2022-03-23T12:20:00Z']);
    assert.equal(h.world.runs.get('wf-2022-03-23T12:10:00Z')!.status, Status.WORKFLOW_EXECUTION_STATUS_TERMINATED);
  });

  test('ALLOW_ALL starts every time at once and does not track the runs as "running"', async () => {
    const h = harness(withPolicy(OverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL));
    await h.at(T0 + 30 * MIN);
    assert.deepEqual(h.world.ids, ['wf-2022-03-23T12:10:00Z', 'wf-2022-03-23T12:20:00Z', 'wf-2022-03-23T12:30:00Z']);
    assert.deepEqual(h.s.record.info.runningWorkflows, []);
    assert.equal(h.world.started[1]!.req.lastCompletionResult, undefined);
  });
});

describe('catch-up window, pause, limited actions', () => {
  test('after an outage, times older than the catch-up window are missed; the rest follow the overlap policy', async () => {
    const h = harness(withPolicy(OverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP, { catchupWindow: dur(3600) }));
    // the process was down from T0 to two hours later: 12 times passed
    await h.at(T0 + 120 * MIN + 30_000);
    const info = h.s.record.info;
    assert.equal(info.missedCatchupWindow, 6, '12:10 ... 13:00 are older than one hour');
    assert.deepEqual(h.world.ids, ['wf-2022-03-23T13:10:00Z']);
    assert.equal(info.overlapSkipped, 5);
    // nothing is counted twice on the next tick
    await h.at(T0 + 121 * MIN);
    assert.equal(info.missedCatchupWindow, 6);
    assert.equal(info.overlapSkipped, 5);
  });

  test('a catch-up window below 10 seconds counts as 10 seconds', async () => {
    const h = harness(withPolicy(OverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP, { catchupWindow: dur(1) }));
    await h.at(T0 + 10 * MIN + 9_000);
    assert.equal(h.world.started.length, 1);
    assert.equal(describeResponse(h.s).schedule?.policies?.catchupWindow?.seconds, 10);
  });

  test('paused: no runs, nothing missed, a patch unpauses with a note; the conflict token moves', async () => {
    const h = harness(every10m);
    const token = h.s.record.internal.conflictToken;
    h.s.patch({ pause: 'maintenance' });
    assert.deepEqual([h.s.record.state.paused, h.s.record.state.notes], [true, 'maintenance']);
    const r = await h.at(T0 + 30 * MIN);
    assert.equal(r.nextWakeup, undefined, 'a paused schedule sleeps until a patch or update');
    assert.equal(r.idleExpiration, undefined, 'a paused schedule is not idle');
    assert.equal(h.world.started.length, 0);
    assert.equal(h.s.record.info.missedCatchupWindow, 0);
    h.s.patch({ unpause: 'done' });
    assert.equal(h.s.record.internal.conflictToken, token + 2);
    await h.at(T0 + 35 * MIN);
    assert.equal(h.world.started.length, 0, 'times that passed while paused do not fire');
    await h.at(T0 + 40 * MIN);
    assert.deepEqual(h.world.ids, ['wf-2022-03-23T12:40:00Z']);
    assert.equal(h.s.record.state.notes, 'done');
  });

  test('limited actions: exactly remaining_actions spec starts, then none; triggers still work', async () => {
    const h = harness({ ...withPolicy(OverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL), state: { limitedActions: true, remainingActions: 2 as never } });
    assert.equal(h.s.futureActionTimes(10).length, 2);
    await h.at(T0 + 40 * MIN);
    assert.equal(h.world.started.length, 2);
    assert.equal(h.s.record.state.remainingActions, 0);
    const r = await h.at(T0 + 60 * MIN);
    assert.equal(h.world.started.length, 2);
    assert.equal(r.nextWakeup, undefined);
    assert.deepEqual(h.s.futureActionTimes(10), []);
    h.s.patch({ triggerImmediately: {} });
    await h.at(T0 + 61 * MIN);
    assert.equal(h.world.started.length, 3);
    assert.equal(h.s.record.state.remainingActions, 0);
  });
});

describe('trigger, backfill, pause on failure', () => {
  test('trigger immediately starts a run now, even when paused, with a duplicate-allowing id', async () => {
    const h = harness({ ...every10m, state: { paused: true } });
    h.clock.now = T0 + 3 * MIN + 250;
    h.s.patch({ triggerImmediately: {} });
    await h.s.tick();
    assert.deepEqual(h.world.ids, ['wf-2022-03-23T12:03:00Z']);
    const req = h.world.started[0]!.req;
    assert.equal(req.workflowIdReusePolicy, Reuse.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE);
    assert.match(req.requestId!, /^sched-trigger-/);
    assert.equal(h.s.record.info.actionCount, 1);
  });

  test('a trigger with scheduled_time names the run after that time', async () => {
    const h = harness(every10m, { initialPatch: { triggerImmediately: { scheduledTime: ts(Date.parse('2022-01-01T00:00:00Z')) } } });
    await h.s.tick();
    assert.deepEqual(h.world.ids, ['wf-2022-01-01T00:00:00Z']);
  });

  test('backfill (start inclusive) with ALLOW_ALL starts every time in the range, ten per tick', async () => {
    const h = harness(every10m);
    h.s.patch({
      backfillRequest: [{ startTime: ts(T0 - 240 * MIN), endTime: ts(T0 - 10 * MIN), overlapPolicy: OverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL }],
    });
    const r = await h.s.tick();
    assert.equal(h.world.started.length, 10);
    assert.equal(h.world.ids[0], 'wf-2022-03-23T08:00:00Z');
    assert.equal(r.nextWakeup, T0 + 1000, 'more backfill to do: wake in a second');
    await h.at(T0 + 1000);
    await h.at(T0 + 2000);
    assert.equal(h.world.started.length, 24);
    assert.equal(h.world.ids.at(-1), 'wf-2022-03-23T11:50:00Z');
    assert.deepEqual(h.s.record.internal.ongoingBackfills, []);
    assert.ok(h.world.started.every((run) => /^sched-backfill-/.test(run.req.requestId!)));
  });

  test('backfill with BUFFER_ALL runs the range one run at a time', async () => {
    const h = harness(every10m);
    h.s.patch({ backfillRequest: [{ startTime: ts(T0 - 30 * MIN), endTime: ts(T0), overlapPolicy: OverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL }] });
    await h.s.tick();
    assert.deepEqual(h.world.ids, ['wf-2022-03-23T11:30:00Z']);
    for (let i = 0; i < 3; i++) {
      closeLast(h);
      await h.at(h.clock.now + 1000);
    }
    assert.deepEqual(h.world.ids, ['wf-2022-03-23T11:30:00Z', 'wf-2022-03-23T11:40:00Z', 'wf-2022-03-23T11:50:00Z', 'wf-2022-03-23T12:00:00Z']);
  });

  test('pause on failure: a failed run pauses the schedule with a note; a cancelled one does not', async () => {
    const h = harness({ ...every10m, policies: { pauseOnFailure: true } });
    await h.at(T0 + 10 * MIN);
    closeLast(h, Status.WORKFLOW_EXECUTION_STATUS_CANCELED);
    await h.at(T0 + 20 * MIN);
    assert.equal(h.s.record.state.paused, false);
    closeLast(h, Status.WORKFLOW_EXECUTION_STATUS_FAILED, { failure: { message: 'disk full' } });
    await h.at(T0 + 30 * MIN);
    assert.equal(h.s.record.state.paused, true);
    assert.equal(h.s.record.state.notes, 'paused due to workflow failure: wf-2022-03-23T12:20:00Z: disk full');
    assert.equal(h.world.started.length, 2, 'the 12:30 time found the schedule paused');
    assert.equal(h.s.record.info.recentActions.at(-1)!.status, Status.WORKFLOW_EXECUTION_STATUS_FAILED);
  });

  test('a timed-out run pauses too; the last completion result goes to the next run', async () => {
    const h = harness({ ...every10m, policies: { pauseOnFailure: true } });
    await h.at(T0 + 10 * MIN);
    const result = { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('42') }] };
    closeLast(h, Status.WORKFLOW_EXECUTION_STATUS_COMPLETED, { result });
    await h.at(T0 + 20 * MIN);
    assert.deepEqual(h.world.started[1]!.req.lastCompletionResult, result);
    closeLast(h, Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT);
    await h.at(T0 + 30 * MIN);
    assert.equal(h.s.record.state.notes, 'paused due to workflow timeout: wf-2022-03-23T12:20:00Z');
  });
});

describe('exactly once across crashes', () => {
  test('a crash after the starts but before the record was saved: the replay starts nothing twice', async () => {
    const h = harness(withPolicy(OverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL));
    await h.at(T0 + 10 * MIN);
    const saved = structuredClone(h.s.record); // what the store holds
    await h.at(T0 + 30 * MIN); // starts 12:20 and 12:30, then "kill -9" before the save
    assert.equal(h.world.started.length, 3);
    const callsBefore = h.world.startCalls;
    // a new process loads the saved record and ticks again
    const again = harness(withPolicy(OverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL), { record: saved, world: h.world, clock: h.clock });
    await again.s.tick();
    assert.equal(h.world.startCalls, callsBefore + 2, 'the two starts were repeated ...');
    assert.equal(h.world.started.length, 3, '... and deduplicated by their request ids');
    assert.deepEqual(
      again.s.record.info.recentActions.map((a) => a.runId),
      ['run-1', 'run-2', 'run-3'],
    );
    assert.equal(again.s.record.info.actionCount, 3);
  });

  test('bufferDue saved before the tick: a start made before a crash is recorded, however old it is by the replay', async () => {
    const policy = withPolicy(OverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL, { catchupWindow: dur(60) });
    const h = harness(policy);
    h.clock.now = T0 + 10 * MIN;
    assert.equal(h.s.bufferDue(), true);
    assert.equal(h.world.startCalls, 0, 'bufferDue starts nothing');
    const saved = structuredClone(h.s.record); // the driver commits here
    await h.s.tick(); // starts 12:10, then "kill -9" before the second commit
    assert.equal(h.world.started.length, 1);
    // the server is back 55 minutes later: far beyond the one-minute catch-up window
    h.clock.now = T0 + 65 * MIN;
    const again = harness(policy, { record: saved, world: h.world, clock: h.clock });
    assert.equal(again.s.bufferDue(), false, 'the times since are missed, not buffered');
    await again.s.tick();
    assert.equal(h.world.started.length, 1, 'nothing new started');
    assert.equal(again.s.record.info.actionCount, 1, 'the run made before the crash is recorded, not counted missed');
    assert.equal(again.s.record.info.recentActions[0]!.runId, 'run-1');
    assert.equal(again.s.record.info.missedCatchupWindow, 5, '12:20 .. 13:00 were missed');
  });

  test('a kill -9 after any number of effects in any tick: every nominal time runs exactly once', async () => {
    /** Passes the first `left` calls to the world, then hangs forever: the process died there. */
    class Dying implements SchedulerActions {
      constructor(
        private readonly world: World,
        private left: number,
      ) {}
      private gate<T>(f: () => Promise<T>): Promise<T> {
        return this.left-- > 0 ? f() : new Promise<T>(() => undefined);
      }
      startWorkflow(req: StartReq) {
        return this.gate(() => this.world.startWorkflow(req));
      }
      describeRun(ns: string, id: string) {
        return this.gate(() => this.world.describeRun(ns, id));
      }
      cancelWorkflow(ns: string, run: RunningWorkflow) {
        return this.gate(() => this.world.cancelWorkflow(ns, run));
      }
      terminateWorkflow(ns: string, run: RunningWorkflow) {
        return this.gate(() => this.world.terminateWorkflow(ns, run));
      }
    }
    const schedule = withPolicy(OverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL);
    const ticks = [T0 + 10 * MIN, T0 + 35 * MIN, T0 + 36 * MIN, T0 + 37 * MIN, T0 + 38 * MIN];
    let scenarios = 0;
    for (let crashTick = 0; crashTick < ticks.length; crashTick++) {
      for (let crashAfter = 0; crashAfter <= 4; crashAfter++) {
        const clock = { now: T0 };
        const world = new World(() => clock.now);
        let h = harness(schedule, { clock, world });
        // a backfill accepted (and saved) before the ticks, as PatchSchedule would
        h.s.patch({
          backfillRequest: [{ startTime: ts(T0 - 20 * MIN), endTime: ts(T0 - 10 * MIN), overlapPolicy: OverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL }],
        });
        for (const [i, at] of ticks.entries()) {
          const saved = structuredClone(h.s.record);
          if (i === crashTick) {
            clock.now = at;
            const dying = new Scheduler(structuredClone(saved), { clock: () => clock.now, actions: new Dying(world, crashAfter), newId: () => 'x' });
            void dying.tick();
            await new Promise((r) => setImmediate(r));
            // the new process starts from what was saved
            h = harness(schedule, { clock, world, record: structuredClone(saved) });
          }
          await h.at(at);
          // every run the world started completes before the next tick
          for (const run of world.runs.values())
            if (run.status === Status.WORKFLOW_EXECUTION_STATUS_RUNNING) world.close(run.workflowId, Status.WORKFLOW_EXECUTION_STATUS_COMPLETED);
        }
        const ids = world.ids;
        assert.equal(new Set(ids).size, ids.length, `crash in tick ${crashTick} after ${crashAfter} calls: a time ran twice: ${ids.join(' ')}`);
        assert.deepEqual(
          [...ids].sort(),
          ['11:40', '11:50', '12:10', '12:20', '12:30'].map((t) => `wf-2022-03-23T${t}:00Z`),
          `crash in tick ${crashTick} after ${crashAfter} calls`,
        );
        assert.equal(h.s.record.info.actionCount, 5);
        scenarios++;
      }
    }
    assert.equal(scenarios, 25);
  });

  test('an "already started" answer for another request id means the time fired: dropped, not retried', async () => {
    const h = harness(every10m);
    // someone else holds the id of the 12:10 run
    await h.world.startWorkflow({ workflowId: 'wf-2022-03-23T12:10:00Z', requestId: 'user', workflowIdReusePolicy: 0 });
    await h.at(T0 + 10 * MIN);
    assert.equal(h.world.started.length, 1);
    assert.equal(h.s.record.info.actionCount, 0);
    assert.deepEqual(h.s.record.internal.bufferedStarts, []);
  });

  test('a transient failure keeps the start and retries it later with the same request id', async () => {
    const h = harness(every10m);
    h.world.failStarts = 2;
    const r1 = await h.at(T0 + 10 * MIN);
    assert.equal(h.world.started.length, 0);
    assert.equal(r1.nextWakeup, T0 + 10 * MIN + 1000);
    const r2 = await h.at(T0 + 10 * MIN + 1000);
    assert.equal(r2.nextWakeup, T0 + 10 * MIN + 1000 + 2000, 'backoff doubles');
    await h.at(T0 + 10 * MIN + 3000);
    assert.deepEqual(h.world.ids, ['wf-2022-03-23T12:10:00Z']);
    assert.equal(h.world.startCalls, 3);
    assert.equal(h.s.record.info.actionCount, 1);
  });

  test('a start that keeps failing past the catch-up window is counted missed', async () => {
    const h = harness(withPolicy(OverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP, { catchupWindow: dur(60) }));
    h.world.failStarts = 1;
    await h.at(T0 + 10 * MIN);
    h.world.failStarts = 1;
    await h.at(T0 + 12 * MIN);
    assert.equal(h.s.record.info.missedCatchupWindow, 1);
    assert.deepEqual(h.s.record.internal.bufferedStarts, []);
  });
});

describe('update, describe, list, bad input', () => {
  test('update replaces the schedule; a stale conflict token is refused and changes nothing', async () => {
    const h = harness(every10m);
    await h.at(T0 + 10 * MIN);
    const token = decodeConflictToken(describeResponse(h.s).conflictToken);
    assert.equal(token, h.s.record.internal.conflictToken);
    assert.throws(() => h.s.update({ spec: { interval: [{ interval: dur(60) }] } }, token + 5), FailedPreconditionError);
    assert.equal(h.s.record.spec.interval![0]!.interval!.seconds, 600);
    h.clock.now = T0 + 14 * MIN;
    h.s.update(
      {
        spec: { cronString: ['*/15 * * * *'] },
        action: { startWorkflow: { workflowId: 'wf2', workflowType: { name: 'Report2' }, taskQueue: { name: 'q2' } } },
      },
      token,
    );
    assert.equal(h.s.record.info.updateTime, T0 + 14 * MIN);
    closeLast(h);
    await h.at(T0 + 15 * MIN);
    assert.deepEqual(h.world.ids, ['wf-2022-03-23T12:10:00Z', 'wf2-2022-03-23T12:15:00Z']);
    assert.equal(h.world.started[1]!.req.workflowType?.name, 'Report2');
  });

  test('describe shows the cleaned canonical spec, policies, state, info and the conflict token', async () => {
    const h = harness({ spec: { cronString: ['30 9 * * mon-fri'] }, state: { notes: 'weekdays' } }, { initialPatch: { triggerImmediately: {} } });
    await h.s.tick();
    const d = describeResponse(h.s);
    const cal = d.schedule!.spec!.structuredCalendar![0]!;
    assert.deepEqual(cal.hour, [{ start: 9, end: 9, step: 1 }]);
    assert.deepEqual(cal.dayOfWeek, [{ start: 1, end: 5, step: 1 }]);
    assert.equal(d.schedule!.policies!.overlapPolicy, OverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP);
    assert.equal(d.schedule!.policies!.catchupWindow!.seconds, 365 * 24 * 3600);
    assert.equal(d.schedule!.state!.notes, 'weekdays');
    assert.equal(d.info!.actionCount, 1);
    assert.equal(d.info!.runningWorkflows!.length, 1);
    assert.equal(d.info!.futureActionTimes!.length, 10);
    assert.equal(new Date(Number(d.info!.futureActionTimes![0]!.seconds) * 1000).toISOString(), '2022-03-24T09:30:00.000Z');
    assert.equal(d.conflictToken!.length, 8);
    const l = listEntry(h.s);
    assert.equal(l.scheduleId, 'daily-report');
    assert.equal(l.info!.workflowType!.name, 'Report');
    assert.equal(l.info!.futureActionTimes!.length, 5);
    assert.equal(l.info!.recentActions!.length, 1);
  });

  test('ListScheduleMatchingTimes uses the schedule seed', () => {
    const h = harness({ spec: { cronString: ['0 * * * *'] } });
    assert.equal(h.s.listMatchingTimes(T0, T0 + 3 * 60 * MIN).length, 3);
  });

  test('bad create input is INVALID_ARGUMENT naming the field', () => {
    const clock = { now: T0 };
    const deps = { clock: () => clock.now, actions: new World(() => clock.now) };
    const create = (scheduleId: string, schedule: temporal.api.schedule.v1.ISchedule) => () =>
      Scheduler.create({ namespace: 'default', namespaceId: 'ns-1', scheduleId, schedule, now: T0 }, deps);
    const wf = { workflowId: 'wf', workflowType: { name: 'T' }, taskQueue: { name: 'q' } };
    const bad: Array<[string, temporal.api.schedule.v1.ISchedule, RegExp]> = [
      ['', {}, /^schedule_id: is not set/],
      ['s', { action: { startWorkflow: { ...wf, workflowId: '' } } }, /workflow_id: is not set/],
      ['s', { action: { startWorkflow: { ...wf, workflowType: { name: '' } } } }, /workflow_type\.name: is not set/],
      ['s', { action: { startWorkflow: { ...wf, taskQueue: null } } }, /task_queue\.name: is not set/],
      ['s', { action: { startWorkflow: { ...wf, cronSchedule: '* * * * *' } } }, /cron_schedule: is not allowed/],
      ['s', { action: { startWorkflow: { ...wf, workflowIdReusePolicy: Reuse.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE } } }, /workflow_id_reuse_policy/],
      ['s', { action: { startWorkflow: { ...wf, workflowRunTimeout: dur(-5) } } }, /workflow_run_timeout: is negative/],
      ['s', { action: { startWorkflow: { ...wf, workflowId: 'x'.repeat(990) } } }, /workflow_id: is too long/],
      ['s', { spec: { cronString: ['bad'] } }, /cron_string\[0\]/],
      ['s', { policies: { catchupWindow: dur(-1) } }, /catchup_window: is negative/],
      ['s', { policies: { overlapPolicy: 42 as never } }, /overlap_policy: 42 is not a ScheduleOverlapPolicy/],
      ['s', { state: { remainingActions: -1 as never } }, /remaining_actions: is negative/],
    ];
    for (const [id, schedule, why] of bad) {
      assert.throws(create(id, schedule), (err: unknown) => err instanceof InvalidArgumentError && why.test(err.message), String(why));
    }
    const h = harness(every10m);
    assert.throws(() => h.s.patch({ backfillRequest: [{ startTime: ts(T0), endTime: ts(T0 - 1000) }] }), /end_time is before start_time/);
    assert.throws(() => h.s.patch({ backfillRequest: [{ startTime: ts(T0) }] }), /needs both start_time and end_time/);
    assert.deepEqual(h.s.record.internal.ongoingBackfills, [], 'a bad patch changes nothing');
  });
});
