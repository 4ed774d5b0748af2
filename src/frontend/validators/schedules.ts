/**
 * Validators of the schedule RPCs: the schedule id, the whole schedule (spec, action, policies,
 * state: src/scheduler's acceptSchedule, the same checks Temporal makes), the patch, conflict
 * tokens and time ranges. Each throws InvalidArgumentError naming the field; nothing is changed.
 * Checks that need the namespace's search attribute definitions stay with the handler.
 */
import { InvalidArgumentError } from '../../common/errors';
import { timestampMs, type temporal } from '../../common/proto';
import { acceptSchedule, decodeConflictToken, validateScheduleId } from '../../scheduler';
import type { ValidatorMap, WorkflowServiceClass } from '../rpc';
import { maxLength, requireNamespace } from './fields';

type ISchedule = temporal.api.schedule.v1.ISchedule;
const MAX_REQUEST_ID_LENGTH = 1000;
/** Longest List Filter query accepted. */
const MAX_QUERY_LENGTH = 10_000;

function requireSchedule(schedule: unknown): void {
  const s = schedule as ISchedule | null | undefined;
  if (!s) throw new InvalidArgumentError('schedule', 'is not set: give the schedule a spec and an action');
  if (!s.action?.startWorkflow) {
    throw new InvalidArgumentError('schedule.action.start_workflow', 'is not set: a schedule starts a workflow (give its type, task queue and workflow id)');
  }
  try {
    acceptSchedule(s);
  } catch (err) {
    // Temporal's wording for a spec it cannot take; the SDK's ScheduleClient turns it into a TypeError
    if (err instanceof InvalidArgumentError && err.field.startsWith('schedule.spec')) throw new InvalidArgumentError('Invalid schedule spec', err.message);
    throw err;
  }
}

function conflictToken(b: Uint8Array | null | undefined): void {
  if (decodeConflictToken(b) < 0) throw new InvalidArgumentError('conflict_token', 'is not a conflict token from DescribeSchedule (8 bytes)');
}

function patch(p: temporal.api.schedule.v1.ISchedulePatch | null | undefined): void {
  if (!p) throw new InvalidArgumentError('patch', 'is not set: give a trigger, backfill, pause or unpause');
  if (p.pause && p.unpause) throw new InvalidArgumentError('patch', 'pause and unpause are both set: give one');
  for (const [i, b] of (p.backfillRequest ?? []).entries()) {
    if (!b.startTime || !b.endTime) throw new InvalidArgumentError(`patch.backfill_request[${i}]`, 'needs both start_time and end_time');
    if (timestampMs(b.endTime) < timestampMs(b.startTime)) throw new InvalidArgumentError(`patch.backfill_request[${i}]`, 'end_time is before start_time');
  }
}

export const scheduleValidators = {
  CreateSchedule(req) {
    requireNamespace(req.namespace);
    validateScheduleId(req.scheduleId);
    maxLength(req.requestId, 'request_id', MAX_REQUEST_ID_LENGTH);
    requireSchedule(req.schedule);
    if (req.initialPatch) patch(req.initialPatch as temporal.api.schedule.v1.ISchedulePatch);
  },
  DescribeSchedule(req) {
    requireNamespace(req.namespace);
    validateScheduleId(req.scheduleId);
  },
  UpdateSchedule(req) {
    requireNamespace(req.namespace);
    validateScheduleId(req.scheduleId);
    maxLength(req.requestId, 'request_id', MAX_REQUEST_ID_LENGTH);
    requireSchedule(req.schedule);
    conflictToken(req.conflictToken);
  },
  PatchSchedule(req) {
    requireNamespace(req.namespace);
    validateScheduleId(req.scheduleId);
    patch(req.patch as temporal.api.schedule.v1.ISchedulePatch);
  },
  DeleteSchedule(req) {
    requireNamespace(req.namespace);
    validateScheduleId(req.scheduleId);
  },
  ListSchedules(req) {
    requireNamespace(req.namespace);
    if ((req.maximumPageSize ?? 0) < 0) throw new InvalidArgumentError('maximum_page_size', 'is negative');
    maxLength(req.query, 'query', MAX_QUERY_LENGTH);
  },
  CountSchedules(req) {
    requireNamespace(req.namespace);
    maxLength(req.query, 'query', MAX_QUERY_LENGTH);
  },
  ListScheduleMatchingTimes(req) {
    requireNamespace(req.namespace);
    validateScheduleId(req.scheduleId);
    if (!req.startTime) throw new InvalidArgumentError('start_time', 'is not set');
    if (!req.endTime) throw new InvalidArgumentError('end_time', 'is not set');
    if (timestampMs(req.endTime as never) < timestampMs(req.startTime as never)) throw new InvalidArgumentError('end_time', 'is before start_time');
  },
} satisfies ValidatorMap<WorkflowServiceClass>;
