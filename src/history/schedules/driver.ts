/**
 * The scheduler driver: runs src/scheduler's state machine for schedules stored as special
 * executions of the history shards (stored-schedule.ts). Every change (create, update, patch, a
 * wake-up, a started run closing) is one `HistoryEngine.update` of the schedule's execution: the
 * record and the next wake-up timer task commit in one transaction fenced by the shard's range_id.
 *
 * Exactly once per nominal time: a wake-up timer task loads the record, `Scheduler.tick()` starts
 * runs through the history engine's start path with request ids derived from the nominal time (a
 * repeated start returns the run already started), then the new record commits; the fired timer
 * task is completed by the timer queue only after that. A kill -9 in between replays the tick with
 * the same request ids. Client changes commit first and then wake the schedule with a timer task at
 * "now", so nothing a client asked for is lost in a crash either.
 * Owns: loading/saving schedules, the SchedulerActions port over history, wake-up timers, the RPCs'
 * history side. Does not own: the decisions (src/scheduler) or request shapes (the frontend).
 */
import { AlreadyExistsError, NotFoundError } from '../../common/errors';
import { newUuid } from '../../common/ids';
import { fromB64, num, temporal } from '../../common/proto';
import {
  decodeConflictToken,
  describeResponse,
  encodeConflictToken,
  listEntry,
  matchingTimesResponse,
  Scheduler,
  type RunStatus,
  type SchedulerActions,
  type ScheduleRecord,
} from '../../scheduler';
import type { ExecutionKey } from '../../persistence';
import { MutationContext } from '../context';
import type { HistoryEngine } from '../engine';
import { EXECUTION_STATE, newExecutionInfo, newMutableState, type MutableState } from '../mutable-state';
import { executionStatus, isRunning } from '../state-machines/states';
import { requestCancelWorkflow, terminateWorkflow } from '../api/cancel-terminate';
import type { NamespaceRef } from '../api/start-workflow';
import {
  decodeSchedule,
  encodeSchedule,
  memoB64,
  SCHEDULER_TASK_QUEUE,
  SCHEDULER_WORKFLOW_TYPE,
  schedulerWorkflowId,
  visibilitySearchAttributesB64,
} from './stored-schedule';

type ICreateScheduleRequest = temporal.api.workflowservice.v1.ICreateScheduleRequest;
type IUpdateScheduleRequest = temporal.api.workflowservice.v1.IUpdateScheduleRequest;

function notFound(scheduleId: string): NotFoundError {
  return new NotFoundError(`schedule not found: ${scheduleId}`, { workflowId: schedulerWorkflowId(scheduleId) });
}

/** The schedule's execution (its current run), or NotFound naming the schedule. */
async function scheduleRef(engine: HistoryEngine, namespaceId: string, scheduleId: string): Promise<ExecutionKey> {
  try {
    return await engine.resolve(namespaceId, schedulerWorkflowId(scheduleId), '');
  } catch (err) {
    if (err instanceof NotFoundError) throw notFound(scheduleId);
    throw err;
  }
}

function recordOf(ms: MutableState, scheduleId: string): ScheduleRecord {
  if (!ms.schedule || !isRunning(ms)) throw notFound(scheduleId);
  return decodeSchedule(ms.schedule);
}

/** The latest run of the chain that began with `firstRunId` (run on the shard of `workflowId`). */
export async function scheduleRunStatus(engine: HistoryEngine, namespaceId: string, workflowId: string, firstRunId: string): Promise<RunStatus | undefined> {
  let ms: MutableState;
  try {
    ms = await engine.getMutableState(await engine.resolve(namespaceId, workflowId, ''));
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
  // another chain holds the id now: the run the schedule started is gone
  if (ms.execution.firstRunId !== firstRunId) return undefined;
  const status = executionStatus(ms);
  if (isRunning(ms)) return { status };
  const close = (await engine.readHistory({ namespaceId, workflowId, runId: ms.execution.runId })).find(
    (e) => num(e.eventId) === ms.execution.completionEventId,
  );
  return {
    status,
    closeTime: ms.execution.closeTimeMs,
    result: close?.workflowExecutionCompletedEventAttributes?.result ?? null,
    failure: close?.workflowExecutionFailedEventAttributes?.failure ?? null,
  };
}

/** Cancels or terminates the current run of `workflowId` (run on its shard); a closed or missing one is left alone. */
export async function scheduleStopRun(
  engine: HistoryEngine,
  namespaceId: string,
  workflowId: string,
  how: 'cancel' | 'terminate',
  reason: string,
  identity: string,
  requestId: string,
): Promise<void> {
  try {
    const ref = await engine.resolve(namespaceId, workflowId, '');
    if (how === 'cancel') await requestCancelWorkflow(engine, ref, reason, identity, requestId);
    else await terminateWorkflow(engine, ref, reason, undefined, identity);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}

/** The effects port of the scheduler: starts, reads, cancels and terminates on whichever shard (and member) holds the run. */
function actionsFor(engine: HistoryEngine, ns: NamespaceRef): SchedulerActions {
  const x = engine.crossShard;
  return {
    async startWorkflow(req) {
      const res = await x.scheduleStart(ns, req);
      return { runId: res.runId, startTime: Date.now() };
    },
    describeRun: (_namespace, workflowId, firstExecutionRunId) => x.scheduleRunStatus(ns.id, workflowId, firstExecutionRunId),
    cancelWorkflow: (_namespace, run, reason, identity, requestId) => x.scheduleStopRun(ns.id, run.workflowId, 'cancel', reason, identity, requestId),
    terminateWorkflow: (_namespace, run, reason, identity, requestId) => x.scheduleStopRun(ns.id, run.workflowId, 'terminate', reason, identity, requestId),
  };
}

function schedulerFor(engine: HistoryEngine, record: ScheduleRecord): Scheduler {
  return new Scheduler(record, {
    clock: Date.now,
    actions: actionsFor(engine, { id: record.namespaceId, name: record.namespace }),
    onWarning: (message, err) => engine.log.warn({ err: err instanceof Error ? err.message : err }, message),
  });
}

/** Writes the record back into the mutable state (and its visibility projection), with a wake-up at `wakeAt`. */
function save(ctx: MutationContext, record: ScheduleRecord, wakeAt: number | undefined): void {
  const now = ctx.nowMs;
  const timersAt = (ctx.ms.schedule?.timersAt ?? []).filter((t) => t > now);
  // a wake-up already committed for that time will do (those at or before now are firing)
  if (wakeAt !== undefined && !timersAt.includes(wakeAt)) {
    ctx.addTimer(wakeAt, { type: 'schedule-wakeup' });
    timersAt.push(wakeAt);
  }
  ctx.ms.schedule = encodeSchedule(record, timersAt);
  ctx.ms.execution.searchAttributesB64 = visibilitySearchAttributesB64(record);
  ctx.ms.execution.memoB64 = memoB64(record);
  ctx.touch();
}

// ---------------------------------------------------------------------------------------------
// RPCs

/** CreateSchedule: the schedule's execution with its record and a wake-up now. */
export async function createSchedule(engine: HistoryEngine, ns: NamespaceRef, req: ICreateScheduleRequest): Promise<{ conflictToken: Uint8Array }> {
  const scheduleId = req.scheduleId ?? '';
  const workflowId = schedulerWorkflowId(scheduleId);
  const requestId = req.requestId || newUuid();
  const now = Date.now();
  const s = Scheduler.create(
    {
      namespace: ns.name,
      namespaceId: ns.id,
      scheduleId,
      schedule: req.schedule,
      memo: req.memo,
      searchAttributes: req.searchAttributes,
      initialPatch: req.initialPatch,
      now,
    },
    { clock: () => now, actions: actionsFor(engine, ns) },
  );
  for (let tries = 0; ; tries++) {
    const shard = engine.shardFor(ns.id, workflowId);
    const cur = await engine.store.executions.getCurrentExecution(shard.shardId, ns.id, workflowId);
    if (cur) {
      if (cur.createRequestId === requestId) {
        const ms = await engine.getMutableState({ namespaceId: ns.id, workflowId, runId: cur.runId });
        return { conflictToken: encodeConflictToken(recordOf(ms, scheduleId).internal.conflictToken) };
      }
      if (cur.state !== EXECUTION_STATE.completed) throw new AlreadyExistsError(`schedule ${scheduleId} is already registered in namespace ${ns.name}`);
    }
    const runId = newUuid();
    const ms = newMutableState(
      newExecutionInfo({
        namespaceId: ns.id,
        namespace: ns.name,
        workflowId,
        runId,
        firstRunId: runId,
        workflowType: SCHEDULER_WORKFLOW_TYPE,
        taskQueue: SCHEDULER_TASK_QUEUE,
        createRequestId: requestId,
        startTimeMs: now,
      }),
    );
    const ctx = new MutationContext(ms, now);
    save(ctx, s.record, now);
    try {
      await engine.create(ctx, cur?.runId);
      return { conflictToken: encodeConflictToken(s.record.internal.conflictToken) };
    } catch (err) {
      if (engine.isRetryableWriteError(err) && tries < 3) continue; // raced with another create: re-read
      throw err;
    }
  }
}

export async function describeSchedule(
  engine: HistoryEngine,
  namespaceId: string,
  scheduleId: string,
): Promise<temporal.api.workflowservice.v1.IDescribeScheduleResponse> {
  const ms = await engine.getMutableState(await scheduleRef(engine, namespaceId, scheduleId));
  return describeResponse(schedulerFor(engine, recordOf(ms, scheduleId)));
}

/** The ListSchedules entry of one schedule; undefined when it was deleted meanwhile. */
export async function scheduleListEntry(
  engine: HistoryEngine,
  namespaceId: string,
  scheduleId: string,
): Promise<temporal.api.schedule.v1.IScheduleListEntry | undefined> {
  try {
    const ms = await engine.getMutableState(await scheduleRef(engine, namespaceId, scheduleId));
    return listEntry(schedulerFor(engine, recordOf(ms, scheduleId)));
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

export async function listScheduleMatchingTimes(engine: HistoryEngine, namespaceId: string, scheduleId: string, startMs: number, endMs: number) {
  const ms = await engine.getMutableState(await scheduleRef(engine, namespaceId, scheduleId));
  return matchingTimesResponse(schedulerFor(engine, recordOf(ms, scheduleId)).listMatchingTimes(startMs, endMs));
}

/** Applies `change` to the record and commits it with a wake-up now (the tick runs from the timer queue). */
async function changeSchedule(engine: HistoryEngine, namespaceId: string, scheduleId: string, change: (s: Scheduler) => void): Promise<void> {
  const ref = await scheduleRef(engine, namespaceId, scheduleId);
  await engine.update(ref, (ctx) => {
    const s = schedulerFor(engine, recordOf(ctx.ms, scheduleId));
    change(s);
    save(ctx, s.record, ctx.nowMs);
  });
}

export function updateSchedule(engine: HistoryEngine, namespaceId: string, req: IUpdateScheduleRequest): Promise<void> {
  const token = decodeConflictToken(req.conflictToken);
  return changeSchedule(engine, namespaceId, req.scheduleId ?? '', (s) => s.update(req.schedule, token === 0 ? undefined : token, req.searchAttributes));
}

export function patchSchedule(engine: HistoryEngine, namespaceId: string, scheduleId: string, patch: temporal.api.schedule.v1.ISchedulePatch): Promise<void> {
  return changeSchedule(engine, namespaceId, scheduleId, (s) => s.patch(patch));
}

/** DeleteSchedule: the schedule's execution and its visibility row go; the runs it started stay. */
export async function deleteSchedule(engine: HistoryEngine, namespaceId: string, scheduleId: string): Promise<void> {
  const ref = await scheduleRef(engine, namespaceId, scheduleId);
  recordOf(await engine.getMutableState(ref), scheduleId);
  await engine.deleteExecution(ref);
}

// ---------------------------------------------------------------------------------------------
// wake-ups

/**
 * A schedule-wakeup timer task fired: first the times that came due are buffered and committed (so a
 * start is only ever attempted for a decision already durable), then one tick, committed with the
 * next wake-up.
 */
export async function scheduleWakeup(engine: HistoryEngine, ref: ExecutionKey): Promise<void> {
  await engine.update(ref, (ctx) => {
    if (!ctx.ms.schedule || !isRunning(ctx.ms)) return;
    const s = schedulerFor(engine, decodeSchedule(ctx.ms.schedule));
    if (s.bufferDue()) save(ctx, s.record, undefined);
  });
  await engine.update(ref, async (ctx) => {
    if (!ctx.ms.schedule || !isRunning(ctx.ms)) return;
    const s = schedulerFor(engine, decodeSchedule(ctx.ms.schedule));
    const res = await s.tick();
    save(ctx, s.record, res.nextWakeup);
  });
}

/** A run a schedule started closed (its close transfer task): the schedule looks at its runs now. */
export async function scheduledRunClosed(engine: HistoryEngine, namespaceId: string, scheduleId: string, workflowId: string): Promise<void> {
  let ref: ExecutionKey;
  try {
    ref = await scheduleRef(engine, namespaceId, scheduleId);
  } catch (err) {
    if (err instanceof NotFoundError) return; // deleted since
    throw err;
  }
  await engine.update(ref, (ctx) => {
    if (!ctx.ms.schedule || !isRunning(ctx.ms)) return;
    const record = decodeSchedule(ctx.ms.schedule);
    if (!record.info.runningWorkflows.some((r) => r.workflowId === workflowId)) return;
    record.internal.needRefresh = true;
    save(ctx, record, ctx.nowMs);
  });
}

/** The schedule id a closing run was started by (its TemporalScheduledById), if any. */
export function scheduledByOf(ms: MutableState): string | undefined {
  if (!ms.execution.searchAttributesB64 || ms.schedule) return undefined;
  const sa = fromB64(temporal.api.common.v1.SearchAttributes, ms.execution.searchAttributesB64);
  const p = sa.indexedFields?.TemporalScheduledById;
  if (!p?.data) return undefined;
  try {
    const v = JSON.parse(Buffer.from(p.data).toString('utf8')) as unknown;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
