/**
 * A schedule as history stores it: the scheduler's ScheduleRecord inside the mutable state of a
 * special execution (workflow id "temporal-sys-scheduler:<schedule id>", no history events), in a
 * JSON-safe form (proto messages as base64 of their proto3 encoding), plus the wake-up timers
 * already committed for it, and the projection the visibility row is built from.
 * Owns: that encoding and the execution's identity. Does not own: what a schedule does (src/scheduler)
 * or when it runs (driver.ts).
 */
import { fromB64, temporal, toB64 } from '../../common/proto';
import type { ScheduleRecord } from '../../scheduler';

/** Temporal's workflow id prefix and type of the execution a schedule lives in. */
export const SCHEDULER_WORKFLOW_ID_PREFIX = 'temporal-sys-scheduler:';
export const SCHEDULER_WORKFLOW_TYPE = 'temporal-sys-scheduler-workflow';
export const SCHEDULER_TASK_QUEUE = 'temporal-sys-per-ns-tq';
/** TemporalNamespaceDivision of schedule rows in visibility (as Temporal). */
export const SCHEDULER_NAMESPACE_DIVISION = 'TemporalScheduler';

export const schedulerWorkflowId = (scheduleId: string): string => `${SCHEDULER_WORKFLOW_ID_PREFIX}${scheduleId}`;
export const scheduleIdOf = (workflowId: string): string | undefined =>
  workflowId.startsWith(SCHEDULER_WORKFLOW_ID_PREFIX) ? workflowId.slice(SCHEDULER_WORKFLOW_ID_PREFIX.length) : undefined;

const P = temporal.api;

/** ScheduleRecord with its proto-valued fields as base64. */
export interface StoredSchedule {
  record: Omit<ScheduleRecord, 'spec' | 'action' | 'memo' | 'searchAttributes' | 'internal'> & {
    specB64: string;
    actionB64: string | undefined;
    memoB64: string | undefined;
    searchAttributesB64: string | undefined;
    internal: Omit<ScheduleRecord['internal'], 'lastCompletionResult' | 'continuedFailure'> & {
      lastCompletionResultB64: string | undefined;
      continuedFailureB64: string | undefined;
    };
  };
  /** fire times of the wake-up timer tasks committed and not yet fired (so a tick does not add a twin) */
  timersAt: number[];
}

const opt = <T>(v: T | null | undefined, f: (v: T) => string): string | undefined => (v ? f(v) : undefined);

export function encodeSchedule(r: ScheduleRecord, timersAt: number[]): StoredSchedule {
  const { spec, action, memo, searchAttributes, internal, ...rest } = r;
  const { lastCompletionResult, continuedFailure, ...internalRest } = internal;
  return {
    record: {
      ...structuredClone(rest),
      specB64: toB64(P.schedule.v1.ScheduleSpec, spec),
      actionB64: opt(action, (a) => toB64(P.workflow.v1.NewWorkflowExecutionInfo, a)),
      memoB64: opt(memo, (m) => toB64(P.common.v1.Memo, m)),
      searchAttributesB64: opt(searchAttributes, (s) => toB64(P.common.v1.SearchAttributes, s)),
      internal: {
        ...structuredClone(internalRest),
        lastCompletionResultB64: opt(lastCompletionResult, (p) => toB64(P.common.v1.Payloads, p)),
        continuedFailureB64: opt(continuedFailure, (f) => toB64(P.failure.v1.Failure, f)),
      },
    },
    timersAt: [...timersAt],
  };
}

export function decodeSchedule(s: StoredSchedule): ScheduleRecord {
  const { specB64, actionB64, memoB64, searchAttributesB64, internal, ...rest } = structuredClone(s.record);
  const { lastCompletionResultB64, continuedFailureB64, ...internalRest } = internal;
  const dec = <T>(b64: string | undefined, type: { decode(b: Uint8Array): T }): T | undefined => (b64 ? fromB64(type, b64) : undefined);
  return {
    ...rest,
    spec: fromB64(P.schedule.v1.ScheduleSpec, specB64),
    action: dec(actionB64, P.workflow.v1.NewWorkflowExecutionInfo),
    memo: dec(memoB64, P.common.v1.Memo),
    searchAttributes: dec(searchAttributesB64, P.common.v1.SearchAttributes),
    internal: {
      ...internalRest,
      lastCompletionResult: dec(lastCompletionResultB64, P.common.v1.Payloads),
      continuedFailure: dec(continuedFailureB64, P.failure.v1.Failure),
    },
  };
}

const json = (v: unknown): temporal.api.common.v1.IPayload => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(v)) });

/**
 * The search attributes of the schedule's visibility row: its own plus TemporalNamespaceDivision
 * (which keeps it out of workflow lists) and TemporalSchedulePaused, base64 as the execution keeps them.
 */
export function visibilitySearchAttributesB64(r: ScheduleRecord): string {
  return toB64(P.common.v1.SearchAttributes, {
    indexedFields: {
      ...(r.searchAttributes?.indexedFields ?? {}),
      TemporalNamespaceDivision: json(SCHEDULER_NAMESPACE_DIVISION),
      TemporalSchedulePaused: json(r.state.paused),
    },
  });
}

export function memoB64(r: ScheduleRecord): string | undefined {
  return r.memo && Object.keys(r.memo.fields ?? {}).length > 0 ? toB64(P.common.v1.Memo, r.memo) : undefined;
}
