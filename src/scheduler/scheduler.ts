/**
 * The scheduler state machine of one schedule: turns the passage of time, patches (trigger,
 * backfill, pause, unpause), updates and the closing of started runs into starts, cancels and
 * terminates, with Temporal's semantics (overlap policies, catch-up window, pause on failure,
 * limited actions, recent/running actions, counters). Pure: time comes from an injected clock, every
 * effect goes through the `SchedulerActions` port, and all state lives in the `ScheduleRecord`.
 * Owns: the decisions and the record's changes. Does not own: storage, timers or who runs it.
 *
 * How a schedule fires exactly once per nominal time (the contract with whoever drives it):
 * 1. `tick()` reads the record, decides, calls the port, and changes the record in memory; the
 *    driver persists the record after the tick (one fenced write, see index.ts). A crash anywhere
 *    before that write leaves the old record, and the next tick decides the same starts again.
 * 2. Each start carries a request id derived from (namespace id, schedule id, origin, nominal time,
 *    jittered time), and a workflow id `<base>-<nominal time>`; the history service answers a repeated
 *    request id with the run it already started, so the retried start records that run instead of
 *    starting a second one. An "already started" answer for a different request (the run continued as
 *    new, or a user's workflow has that id) means the time already fired: the start is dropped.
 * 3. Patches and updates change the record through methods the driver persists before it answers
 *    the RPC; a trigger or backfill gets its own id there, so its starts are stable too.
 * `lastProcessedTime` only moves over spec times that were handled (started, buffered, skipped,
 * missed) so a jittered time that is still in the future is not lost, and none is counted twice.
 */
import { randomUUID } from 'node:crypto';
import { FailedPreconditionError, InvalidArgumentError, WorkflowExecutionAlreadyStartedError } from '../common/errors';
import { temporal } from '../common/proto';
import { schedulerIdentity, scheduledSearchAttributes, scheduledWorkflowId, startRequestId, type StartOrigin } from './ids';
import { decideOverlap, OverlapPolicy } from './overlap';
import {
  acceptSchedule,
  effectiveCatchupWindowMs,
  IDLE_RETENTION_MS,
  MAX_BUFFER_SIZE,
  newScheduleRecord,
  RECENT_ACTIONS,
  resolveOverlapPolicy,
  type ActionResult,
  type BufferedStart,
  type NewScheduleInput,
  type RunningWorkflow,
  type ScheduleRecord,
} from './record';
import { CompiledSpec, SpecComputeLimitError, timestampMs, type NextTime } from './spec';

const Status = temporal.api.enums.v1.WorkflowExecutionStatus;
type Status = temporal.api.enums.v1.WorkflowExecutionStatus;
type IStartWorkflowExecutionRequest = temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest;

/** The status of the latest run of the chain a schedule started (undefined: no such workflow). */
export interface RunStatus {
  status: Status;
  closeTime?: number;
  result?: temporal.api.common.v1.IPayloads | null;
  failure?: temporal.api.failure.v1.IFailure | null;
}

/** The effects a scheduler needs; the integration implements them on the history service. */
export interface SchedulerActions {
  /** Starts a run; throws WorkflowExecutionAlreadyStartedError when the id is taken by another request. */
  startWorkflow(req: IStartWorkflowExecutionRequest): Promise<{ runId: string; startTime: number }>;
  /** The latest run of the chain that began with `firstExecutionRunId`. */
  describeRun(namespace: string, workflowId: string, firstExecutionRunId: string): Promise<RunStatus | undefined>;
  cancelWorkflow(namespace: string, run: RunningWorkflow, reason: string, identity: string, requestId: string): Promise<void>;
  terminateWorkflow(namespace: string, run: RunningWorkflow, reason: string, identity: string, requestId: string): Promise<void>;
}

export interface SchedulerDeps {
  /** epoch ms */
  clock: () => number;
  actions: SchedulerActions;
  /** ids for triggers and backfills (default: random UUIDs) */
  newId?: () => string;
  /** reported, never thrown: a failed start that will be retried, a failed cancel, ... */
  onWarning?: (message: string, err?: unknown) => void;
}

export interface TickResult {
  /** when the scheduler wants its next tick (undefined: only on a patch, an update or a run closing) */
  nextWakeup: number | undefined;
  /** runs whose closing should wake the scheduler (the driver subscribes to them) */
  watch: RunningWorkflow[];
  /** when a schedule with nothing left to do may be deleted (undefined: it is not idle) */
  idleExpiration: number | undefined;
}

/** Backoff before retrying a start that failed for a transient reason: 1s, 2s, 4s ... 60s. */
const retryDelayMs = (attempts: number) => Math.min(60_000, 1000 * 2 ** Math.max(0, attempts - 1));
/** Backfilled actions started per tick (Temporal: per iteration), so one backfill cannot hog a tick. */
const BACKFILLS_PER_TICK = 10;

export class Scheduler {
  private spec: CompiledSpec | undefined;
  private readonly newId: () => string;

  constructor(
    readonly record: ScheduleRecord,
    private readonly deps: SchedulerDeps,
  ) {
    this.newId = deps.newId ?? randomUUID;
    this.compile();
  }

  /** CreateSchedule: a new record (validated) with the request's initial patch applied. */
  static create(input: NewScheduleInput & { initialPatch?: temporal.api.schedule.v1.ISchedulePatch | null }, deps: SchedulerDeps): Scheduler {
    const s = new Scheduler(newScheduleRecord(input), deps);
    if (input.initialPatch) s.patch(input.initialPatch);
    return s;
  }

  private compile(): void {
    try {
      this.spec = CompiledSpec.compile(this.record.spec);
      this.record.info.invalidScheduleError = '';
    } catch (err) {
      // a stored spec was valid when accepted; a zone that vanished from ICU would land here
      this.spec = undefined;
      this.record.info.invalidScheduleError = err instanceof Error ? err.message : String(err);
    }
  }

  private get jitterSeed(): string {
    return `${this.record.namespaceId}-${this.record.scheduleId}`;
  }

  private get identity(): string {
    return schedulerIdentity(this.record.namespace, this.record.scheduleId);
  }

  private nextTime(after: number): NextTime | undefined {
    if (!this.spec) return undefined;
    try {
      return this.spec.getNextTime(this.jitterSeed, after);
    } catch (err) {
      if (!(err instanceof SpecComputeLimitError)) throw err;
      this.record.info.invalidScheduleError = err.message;
      return undefined;
    }
  }

  private resolve = (p: OverlapPolicy) => resolveOverlapPolicy(p, this.record.policies.overlapPolicy);

  /** Paused or out of actions stops spec-driven starts; triggers and backfills always go. */
  private canTakeScheduledAction(manual: boolean): boolean {
    if (manual) return true;
    const st = this.record.state;
    if (st.paused) return false;
    return !st.limitedActions || st.remainingActions > 0;
  }

  private bumpConflictToken(): void {
    this.record.internal.conflictToken++;
  }

  // -------------------------------------------------------------------------------------------
  // client requests (the driver persists the record before answering)

  /** PatchSchedule (and CreateSchedule's initial patch): trigger, backfills, pause, unpause. */
  patch(p: temporal.api.schedule.v1.ISchedulePatch): void {
    const now = this.deps.clock();
    if (p.triggerImmediately) {
      const at = p.triggerImmediately.scheduledTime ? timestampMs(p.triggerImmediately.scheduledTime) : now;
      this.addStart(at, at, p.triggerImmediately.overlapPolicy ?? 0, true, `trigger-${this.newId()}`);
    }
    for (const [i, b] of (p.backfillRequest ?? []).entries()) {
      if (!b.startTime || !b.endTime) throw new InvalidArgumentError(`patch.backfill_request[${i}]`, 'needs both start_time and end_time');
      const start = timestampMs(b.startTime);
      const end = timestampMs(b.endTime);
      if (end < start) throw new InvalidArgumentError(`patch.backfill_request[${i}]`, 'end_time is before start_time');
    }
    for (const b of p.backfillRequest ?? []) {
      if (this.record.internal.ongoingBackfills.length >= MAX_BUFFER_SIZE) {
        this.record.info.bufferDropped++;
        continue;
      }
      // Backfill start times are inclusive (Temporal's InclusiveBackfillStartTime).
      this.record.internal.ongoingBackfills.push({
        backfillId: this.newId(),
        startTime: timestampMs(b.startTime!) - 1,
        endTime: timestampMs(b.endTime!),
        overlapPolicy: b.overlapPolicy ?? 0,
      });
    }
    if (p.pause) {
      this.record.state.paused = true;
      this.record.state.notes = p.pause;
      this.bumpConflictToken();
    }
    if (p.unpause) {
      this.record.state.paused = false;
      this.record.state.notes = p.unpause;
      this.bumpConflictToken();
    }
  }

  /**
   * UpdateSchedule: replaces spec, action, policies and state (not info, memo or history). A
   * conflict token other than the current one is refused; `searchAttributes` (when given)
   * replaces the schedule's own search attributes.
   */
  update(
    schedule: temporal.api.schedule.v1.ISchedule | null | undefined,
    conflictToken?: number,
    searchAttributes?: temporal.api.common.v1.ISearchAttributes | null,
  ): void {
    if (conflictToken !== undefined && conflictToken !== 0 && conflictToken !== this.record.internal.conflictToken) {
      throw new FailedPreconditionError(
        `schedule ${this.record.scheduleId} changed since it was read (conflict token ${conflictToken}, now ${this.record.internal.conflictToken}): describe it again and retry`,
      );
    }
    const accepted = acceptSchedule(schedule);
    Object.assign(this.record, accepted);
    if (searchAttributes) this.record.searchAttributes = searchAttributes;
    this.record.info.updateTime = this.deps.clock();
    this.bumpConflictToken();
    this.compile();
  }

  // -------------------------------------------------------------------------------------------
  // time

  private addStart(nominal: number, actual: number, overlapPolicy: OverlapPolicy, manual: boolean, origin: StartOrigin): void {
    const internal = this.record.internal;
    if (internal.bufferedStarts.length >= MAX_BUFFER_SIZE) {
      this.record.info.bufferDropped++;
      return;
    }
    internal.bufferedStarts.push({
      nominalTime: nominal,
      actualTime: actual,
      overlapPolicy,
      manual,
      origin,
      requestId: startRequestId(this.record.namespaceId, this.record.scheduleId, origin, nominal, actual),
      attempts: 0,
    });
    // a new start needs an up-to-date view of what is running
    internal.needRefresh = true;
  }

  /**
   * Handles the spec times in (start, end]: buffers a start for each (or counts it missed when it is
   * older than the catch-up window at `end`). Returns the first time not handled (jittered) and the
   * time up to which everything was handled.
   */
  private processTimeRange(
    start: number,
    end: number,
    overlapPolicy: OverlapPolicy,
    manual: boolean,
    origin: StartOrigin,
    limit?: { left: number },
  ): { next: number | undefined; processedUntil: number } {
    if (!this.spec) return { next: undefined, processedUntil: end };
    // Paused or out of actions: the whole range passes without action (and is not "missed").
    if (!this.canTakeScheduledAction(manual)) return { next: this.nextTime(end)?.next, processedUntil: end };
    const catchup = effectiveCatchupWindowMs(this.record.policies);
    const updateTime = this.record.info.updateTime;
    let processedUntil = start;
    let t = this.nextTime(start);
    while (t && t.next <= end) {
      if (limit && limit.left <= 0) break;
      processedUntil = t.next;
      if (!manual && updateTime !== undefined && updateTime > t.next) {
        // before the last update: that time belonged to the old schedule
      } else if (!manual && end - t.next > catchup) {
        this.record.info.missedCatchupWindow++;
      } else {
        this.addStart(t.nominal, t.next, overlapPolicy, manual, origin);
        if (limit) limit.left--;
      }
      t = this.nextTime(t.next);
    }
    return { next: t?.next, processedUntil };
  }

  private processBackfills(): void {
    const internal = this.record.internal;
    const limit = { left: BACKFILLS_PER_TICK };
    // backfills may use half of the buffer, leaving room for the spec's own starts
    while (internal.ongoingBackfills.length > 0 && limit.left > 0 && internal.bufferedStarts.length < MAX_BUFFER_SIZE / 2) {
      const b = internal.ongoingBackfills[0]!;
      const { next, processedUntil } = this.processTimeRange(b.startTime, b.endTime, b.overlapPolicy, true, `backfill-${b.backfillId}`, limit);
      if (next === undefined || next > b.endTime) internal.ongoingBackfills.shift();
      else b.startTime = processedUntil;
    }
  }

  private startRequest(start: BufferedStart, action: temporal.api.workflow.v1.INewWorkflowExecutionInfo): IStartWorkflowExecutionRequest {
    const allowAll = this.resolve(start.overlapPolicy) === OverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL;
    // ALLOW_ALL runs take no part in last-completion-result / continued-failure chaining
    const chain = allowAll ? {} : { lastCompletionResult: this.record.internal.lastCompletionResult, continuedFailure: this.record.internal.continuedFailure };
    return {
      namespace: this.record.namespace,
      workflowId: this.record.policies.keepOriginalWorkflowId ? action.workflowId : scheduledWorkflowId(action.workflowId ?? '', start.nominalTime),
      workflowType: action.workflowType,
      taskQueue: action.taskQueue,
      input: action.input,
      workflowExecutionTimeout: action.workflowExecutionTimeout,
      workflowRunTimeout: action.workflowRunTimeout,
      workflowTaskTimeout: action.workflowTaskTimeout,
      identity: this.identity,
      requestId: start.requestId,
      // A spec-driven start refuses an id that already ran (a second guard against double fires);
      // a trigger or backfill may repeat a time on purpose.
      workflowIdReusePolicy: start.manual
        ? temporal.api.enums.v1.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
        : temporal.api.enums.v1.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
      retryPolicy: action.retryPolicy,
      memo: action.memo,
      searchAttributes: scheduledSearchAttributes(action.searchAttributes, this.record.scheduleId, start.nominalTime),
      header: action.header,
      userMetadata: action.userMetadata,
      priority: action.priority,
      ...chain,
    };
  }

  private recordAction(result: ActionResult, nonOverlapping: boolean): void {
    const info = this.record.info;
    info.actionCount++;
    info.recentActions = [...info.recentActions, result].slice(-RECENT_ACTIONS);
    // ALLOW_ALL runs are not "the" running run that later starts wait for
    if (nonOverlapping) info.runningWorkflows.push({ workflowId: result.workflowId, runId: result.runId });
  }

  /** Applies a run's close: running list, recent action status, pause on failure, result chaining. */
  runClosed(workflowId: string, outcome: RunStatus | undefined): void {
    const info = this.record.info;
    const i = info.runningWorkflows.findIndex((r) => r.workflowId === workflowId);
    if (i >= 0) info.runningWorkflows.splice(i, 1);
    const status = outcome?.status ?? Status.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED;
    const recent = info.recentActions.find((a) => a.workflowId === workflowId);
    if (recent && outcome) recent.status = status;
    const failed = status === Status.WORKFLOW_EXECUTION_STATUS_FAILED || status === Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT;
    const st = this.record.state;
    if (this.record.policies.pauseOnFailure && failed && !st.paused) {
      st.paused = true;
      st.notes =
        status === Status.WORKFLOW_EXECUTION_STATUS_FAILED
          ? `paused due to workflow failure: ${workflowId}: ${outcome?.failure?.message ?? ''}`
          : `paused due to workflow timeout: ${workflowId}`;
      this.bumpConflictToken();
    }
    if (outcome?.result) {
      this.record.internal.lastCompletionResult = outcome.result;
      this.record.internal.continuedFailure = undefined;
    } else if (outcome?.failure) {
      this.record.internal.continuedFailure = outcome.failure;
    }
  }

  private async refreshRunning(): Promise<void> {
    for (const run of [...this.record.info.runningWorkflows]) {
      let st: RunStatus | undefined;
      try {
        st = await this.deps.actions.describeRun(this.record.namespace, run.workflowId, run.runId);
      } catch (err) {
        // unknown: assume it still runs, and look again next time
        this.deps.onWarning?.(`schedule ${this.record.scheduleId}: cannot read the status of ${run.workflowId}`, err);
        continue;
      }
      if (!st || st.status !== Status.WORKFLOW_EXECUTION_STATUS_RUNNING) this.runClosed(run.workflowId, st);
    }
  }

  /** One pass over the buffer; true when another pass might do more right away. */
  private async processBuffer(): Promise<boolean> {
    const internal = this.record.internal;
    const info = this.record.info;
    // Starts waiting for a run to close need to know whether it has: the driver's close
    // notification (runClosed) may have been lost in a crash, so look.
    const waiting = internal.bufferedStarts.length > 0 && info.runningWorkflows.length > 0;
    if (internal.needRefresh || waiting) {
      await this.refreshRunning();
      internal.needRefresh = false;
    }
    const action = this.record.action;
    if (!action || internal.bufferedStarts.length === 0) {
      internal.bufferedStarts = [];
      return false;
    }
    const now = this.deps.clock();
    const d = decideOverlap(internal.bufferedStarts, info.runningWorkflows.length > 0, this.resolve);
    internal.bufferedStarts = d.newBuffer;
    info.overlapSkipped += d.overlapSkipped;
    const starts = [...d.overlappingStarts, ...(d.nonOverlappingStart ? [d.nonOverlappingStart] : [])];
    const retries: BufferedStart[] = [];
    let tryAgain = false;
    for (const start of starts) {
      if (!this.canTakeScheduledAction(start.manual)) {
        // paused or out of actions since it was buffered: dropped (as Temporal)
        tryAgain = true;
        continue;
      }
      const req = this.startRequest(start, action);
      try {
        const res = await this.deps.actions.startWorkflow(req);
        if (!start.manual && this.record.state.limitedActions) {
          this.record.state.remainingActions = Math.max(0, this.record.state.remainingActions - 1);
          this.bumpConflictToken();
        }
        this.recordAction(
          {
            scheduleTime: start.actualTime,
            actualTime: res.startTime,
            workflowId: req.workflowId!,
            runId: res.runId,
            status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
          },
          start === d.nonOverlappingStart,
        );
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          // The id is taken by another request: this time already fired (or a user's workflow
          // holds the id). Dropped, never started twice.
          this.deps.onWarning?.(`schedule ${this.record.scheduleId}: ${req.workflowId} already started; not started again`);
          tryAgain = true;
          continue;
        }
        if (!start.manual && now - start.actualTime > effectiveCatchupWindowMs(this.record.policies)) {
          info.missedCatchupWindow++;
          continue;
        }
        this.deps.onWarning?.(`schedule ${this.record.scheduleId}: starting ${req.workflowId} failed; will retry`, err);
        retries.push({ ...start, attempts: start.attempts + 1 });
      }
    }
    if (d.needTerminate || d.needCancel) {
      const verb = d.needTerminate ? 'terminate' : 'cancel';
      for (const run of info.runningWorkflows) {
        const requestId = `sched-${verb}-${run.runId}`;
        try {
          if (d.needTerminate)
            await this.deps.actions.terminateWorkflow(this.record.namespace, run, 'terminated by schedule overlap policy', this.identity, requestId);
          else await this.deps.actions.cancelWorkflow(this.record.namespace, run, 'cancelled by schedule overlap policy', this.identity, requestId);
        } catch (err) {
          // tried again on the next pass that still finds it running
          this.deps.onWarning?.(`schedule ${this.record.scheduleId}: ${verb} of ${run.workflowId} failed`, err);
        }
      }
    }
    if (retries.length > 0) {
      internal.bufferedStarts = [...retries, ...internal.bufferedStarts];
      internal.retryAt = now + retryDelayMs(Math.max(...retries.map((r) => r.attempts)));
      return false;
    }
    return tryAgain;
  }

  /**
   * The time-driven half of a tick, without starting anything: the spec times that came due are
   * buffered (or counted missed), backfills move along. A driver that persists the record after this
   * and before `tick()` makes each decision durable before its start is attempted, so a start made
   * just before a crash is found again (same request id) and recorded, whatever its age by then.
   * Returns true when the buffer grew.
   */
  bufferDue(): boolean {
    const internal = this.record.internal;
    const before = internal.bufferedStarts.length;
    const now = this.deps.clock();
    internal.lastProcessedTime = this.processTimeRange(internal.lastProcessedTime, Math.max(now, internal.lastProcessedTime), 0, false, 'auto').processedUntil;
    this.processBackfills();
    return internal.bufferedStarts.length > before;
  }

  /**
   * One wake-up: handle the spec times that came due, move backfills along, start what the overlap
   * policy allows. The driver persists the record afterwards and calls again at `nextWakeup`, on a
   * patch or update, and when a watched run closes (after `runClosed`).
   */
  async tick(): Promise<TickResult> {
    const internal = this.record.internal;
    const now = this.deps.clock();
    if (internal.retryAt !== undefined && internal.retryAt <= now) internal.retryAt = undefined;
    const t1 = internal.lastProcessedTime;
    const t2 = Math.max(now, t1);
    const { next, processedUntil } = this.processTimeRange(t1, t2, 0, false, 'auto');
    internal.lastProcessedTime = processedUntil;
    this.processBackfills();
    // a pass either shrinks the buffer or stops, so this ends; the bound is a guard
    for (let i = 0; i < MAX_BUFFER_SIZE && internal.retryAt === undefined && (await this.processBuffer()); i++);
    return this.wakeup(next);
  }

  private wakeup(specNext: number | undefined): TickResult {
    const internal = this.record.internal;
    const now = this.deps.clock();
    const candidates: number[] = [];
    if (specNext !== undefined && this.canTakeScheduledAction(false)) candidates.push(specNext);
    if (internal.retryAt !== undefined) candidates.push(internal.retryAt);
    const backfillRoom = internal.ongoingBackfills.length > 0 && internal.bufferedStarts.length < MAX_BUFFER_SIZE / 2;
    if (backfillRoom) candidates.push(now + 1000);
    const nextWakeup = candidates.length > 0 ? Math.min(...candidates) : undefined;
    const idle = !this.record.state.paused && nextWakeup === undefined && internal.bufferedStarts.length === 0 && internal.ongoingBackfills.length === 0;
    return {
      nextWakeup,
      watch: [...this.record.info.runningWorkflows],
      idleExpiration: idle ? this.lastEvent() + IDLE_RETENTION_MS : undefined,
    };
  }

  /** The last creation, update or action: idle retention counts from it. */
  private lastEvent(): number {
    const info = this.record.info;
    const lastAction = info.recentActions.at(-1)?.actualTime ?? 0;
    return Math.max(lastAction, info.createTime, info.updateTime ?? 0);
  }

  // -------------------------------------------------------------------------------------------
  // reads

  /** The next `n` action times (jittered) from where processing stands; limited by remaining actions. */
  futureActionTimes(n: number): number[] {
    const st = this.record.state;
    if (st.limitedActions) n = Math.min(n, st.remainingActions);
    const out: number[] = [];
    const updateTime = this.record.info.updateTime;
    let t = this.record.internal.lastProcessedTime;
    while (out.length < n) {
      const next = this.nextTime(t);
      if (!next) break;
      t = next.next;
      if (updateTime !== undefined && updateTime > t) continue;
      out.push(t);
    }
    return out;
  }

  /** ListScheduleMatchingTimes: jittered times in (start, end]; an invalid spec is INVALID_ARGUMENT. */
  listMatchingTimes(startMs: number, endMs: number): number[] {
    if (!this.spec) throw new InvalidArgumentError('schedule', `the schedule's spec is invalid: ${this.record.info.invalidScheduleError}`);
    return this.spec.listMatchingTimes(this.jitterSeed, startMs, endMs);
  }
}
