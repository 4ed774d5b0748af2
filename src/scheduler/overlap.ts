/**
 * The six overlap policies (temporal.api.enums.v1.ScheduleOverlapPolicy) applied to a schedule's
 * buffer of pending starts, as Temporal applies them: given the buffer and whether a run the
 * schedule started is still running, decide what starts now, what stays buffered, what is skipped,
 * and whether the running run must be cancelled or terminated first.
 * Owns: that decision, as a pure function. Does not own: starting, cancelling or recording
 * (scheduler.ts does, through the actions port).
 *
 * - SKIP: a start that would overlap is dropped (counted in overlap_skipped).
 * - BUFFER_ONE: one start waits for the running run; further ones are dropped.
 * - BUFFER_ALL: every start waits, in order.
 * - CANCEL_OTHER / TERMINATE_OTHER: the running run is cancelled / terminated, the start waits for it
 *   to close (a start that overlaps only another pending start replaces it).
 * - ALLOW_ALL: starts at once, alongside anything running, and is not tracked as "the" running run.
 * A start's policy UNSPECIFIED resolves to the schedule's current policy at decision time, so an
 * update of the policy applies to starts already buffered.
 */
import { temporal } from '../common/proto';

export const OverlapPolicy = temporal.api.enums.v1.ScheduleOverlapPolicy;
export type OverlapPolicy = temporal.api.enums.v1.ScheduleOverlapPolicy;

export interface Overlappable {
  overlapPolicy: OverlapPolicy;
}

export interface OverlapDecision<T extends Overlappable> {
  /** ALLOW_ALL starts: all of them start now */
  overlappingStarts: T[];
  /** at most one start that runs alone */
  nonOverlappingStart: T | undefined;
  /** what stays in the buffer, in order */
  newBuffer: T[];
  needCancel: boolean;
  needTerminate: boolean;
  overlapSkipped: number;
}

export function decideOverlap<T extends Overlappable>(
  buffer: readonly T[],
  isRunning: boolean,
  resolve: (p: OverlapPolicy) => OverlapPolicy,
): OverlapDecision<T> {
  const d: OverlapDecision<T> = {
    overlappingStarts: [],
    nonOverlappingStart: undefined,
    newBuffer: [],
    needCancel: false,
    needTerminate: false,
    overlapSkipped: 0,
  };
  for (const start of buffer) {
    const policy = resolve(start.overlapPolicy);
    if (policy === OverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL) {
      d.overlappingStarts.push(start);
      continue;
    }
    if (!isRunning && d.nonOverlappingStart === undefined) {
      d.nonOverlappingStart = start;
      continue;
    }
    switch (policy) {
      case OverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE:
        if (d.newBuffer.length === 0) d.newBuffer.push(start);
        else d.overlapSkipped++;
        break;
      case OverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL:
        d.newBuffer.push(start);
        break;
      case OverlapPolicy.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER:
      case OverlapPolicy.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER:
        if (isRunning) {
          if (policy === OverlapPolicy.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER) d.needCancel = true;
          else d.needTerminate = true;
          d.newBuffer.push(start);
        } else {
          // nothing runs yet: this start replaces the one chosen before it
          d.nonOverlappingStart = start;
        }
        break;
      default:
        // SKIP (and UNSPECIFIED, which `resolve` never returns)
        d.overlapSkipped++;
    }
  }
  // Starting ALLOW_ALL runs while a cancel/terminate is due would only have them cancelled next.
  if (d.needCancel || d.needTerminate) d.overlappingStarts = [];
  return d;
}
