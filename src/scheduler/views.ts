/**
 * What clients see of a schedule: the DescribeScheduleResponse, the ScheduleListEntry of
 * ListSchedules, and the ListScheduleMatchingTimesResponse, built from a Scheduler's record in
 * Temporal's shapes (cleaned spec ranges, resolved policies, ten recent and future actions in
 * Describe, five in List, the conflict token as 8 big-endian bytes).
 * Owns: those message shapes. Does not own: the record or its changes (record.ts, scheduler.ts).
 */
import type { temporal } from '../common/proto';
import { FUTURE_ACTIONS, LIST_FUTURE_ACTIONS, LIST_RECENT_ACTIONS, type ActionResult, type ScheduleRecord } from './record';
import type { Scheduler } from './scheduler';
import { cleanSpec, msToDuration, msToTimestamp } from './spec';

type IDescribeScheduleResponse = temporal.api.workflowservice.v1.IDescribeScheduleResponse;
type IScheduleListEntry = temporal.api.schedule.v1.IScheduleListEntry;

/** The conflict token on the wire: 8 bytes, big-endian (as Temporal). */
export function encodeConflictToken(token: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(token));
  return b;
}

/** Back from the wire; empty means "no check" (0). */
export function decodeConflictToken(bytes: Uint8Array | null | undefined): number {
  if (!bytes || bytes.length === 0) return 0;
  if (bytes.length !== 8) return -1;
  return Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0));
}

function actionResult(a: ActionResult): temporal.api.schedule.v1.IScheduleActionResult {
  return {
    scheduleTime: msToTimestamp(a.scheduleTime),
    actualTime: msToTimestamp(a.actualTime),
    startWorkflowResult: { workflowId: a.workflowId, runId: a.runId },
    startWorkflowStatus: a.status,
  };
}

function schedule(r: ScheduleRecord): temporal.api.schedule.v1.ISchedule {
  return {
    spec: cleanSpec(r.spec),
    action: r.action ? { startWorkflow: r.action } : {},
    policies: {
      overlapPolicy: r.policies.overlapPolicy,
      catchupWindow: msToDuration(r.policies.catchupWindowMs),
      pauseOnFailure: r.policies.pauseOnFailure,
      keepOriginalWorkflowId: r.policies.keepOriginalWorkflowId,
    },
    state: {
      notes: r.state.notes,
      paused: r.state.paused,
      limitedActions: r.state.limitedActions,
      remainingActions: r.state.remainingActions as never,
    },
  };
}

export function describeResponse(s: Scheduler): IDescribeScheduleResponse {
  const r = s.record;
  return {
    schedule: schedule(r),
    info: {
      actionCount: r.info.actionCount as never,
      missedCatchupWindow: r.info.missedCatchupWindow as never,
      overlapSkipped: r.info.overlapSkipped as never,
      bufferDropped: r.info.bufferDropped as never,
      bufferSize: r.internal.bufferedStarts.length as never,
      runningWorkflows: r.info.runningWorkflows.map((w) => ({ workflowId: w.workflowId, runId: w.runId })),
      recentActions: r.info.recentActions.map(actionResult),
      futureActionTimes: s.futureActionTimes(FUTURE_ACTIONS).map(msToTimestamp),
      createTime: msToTimestamp(r.info.createTime),
      ...(r.info.updateTime !== undefined ? { updateTime: msToTimestamp(r.info.updateTime) } : {}),
      invalidScheduleError: r.info.invalidScheduleError,
    },
    memo: r.memo,
    searchAttributes: r.searchAttributes,
    conflictToken: encodeConflictToken(r.internal.conflictToken),
  };
}

/** The ListSchedules entry: abbreviated spec (at most 10 of each list), workflow type, 5 recent and 5 future actions. */
export function listEntry(s: Scheduler): IScheduleListEntry {
  const r = s.record;
  const spec = cleanSpec(r.spec);
  return {
    scheduleId: r.scheduleId,
    memo: r.memo,
    searchAttributes: r.searchAttributes,
    info: {
      spec: {
        ...spec,
        structuredCalendar: (spec.structuredCalendar ?? []).slice(0, 10),
        excludeStructuredCalendar: (spec.excludeStructuredCalendar ?? []).slice(0, 10),
        interval: (spec.interval ?? []).slice(0, 10),
      },
      workflowType: r.action?.workflowType ?? null,
      notes: r.state.notes,
      paused: r.state.paused,
      recentActions: r.info.recentActions.slice(-LIST_RECENT_ACTIONS).map(actionResult),
      futureActionTimes: s.futureActionTimes(LIST_FUTURE_ACTIONS).map(msToTimestamp),
    },
  };
}

export function matchingTimesResponse(times: readonly number[]): temporal.api.workflowservice.v1.IListScheduleMatchingTimesResponse {
  return { startTime: times.map(msToTimestamp) };
}
