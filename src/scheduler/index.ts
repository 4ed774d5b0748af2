/**
 * Schedules: the scheduling core (Temporal runs it in its worker service; here it is a service of
 * its own in the tree). Pure and persistence-agnostic: no store, no timers, no gRPC.
 *
 *   time-zone.ts   IANA zones from Node's ICU: offsets and transitions
 *   calendar.ts    CalendarSpec / StructuredCalendarSpec: parsing, validation, wall-clock matching
 *   cron-string.ts cron strings (5/6/7 fields, @descriptors, @every, CRON_TZ=/TZ=, # comments)
 *   jitter.ts      Temporal's deterministic jitter, bit for bit
 *   spec.ts        ScheduleSpec: canonical form, next time, ListScheduleMatchingTimes
 *   overlap.ts     the six overlap policies over the buffer of pending starts
 *   ids.ts         workflow ids, start request ids, TemporalScheduledById/StartTime
 *   record.ts      the durable record of one schedule, defaults and request validation
 *   scheduler.ts   the state machine (injected clock, SchedulerActions port)
 *   views.ts       DescribeSchedule / ListSchedules / ListScheduleMatchingTimes answers
 *
 * ## Storage and ownership (design note; built as (a): src/history/schedules/)
 *
 * Goal: a schedule fires exactly once per nominal time across kill -9 and, with issue 12, across
 * several server processes. Two designs were weighed:
 *
 * (a) Temporal's: each schedule is an execution owned by a history shard
 *     (shard = hash(namespace id, "temporal-sys-scheduler:" + schedule id) % numHistoryShards). Its
 *     record (ScheduleRecord) is that execution's mutable state, its wake-ups are the shard's timer
 *     tasks, and every change commits in one transaction with the tasks it creates, fenced by the
 *     shard's range_id.
 * (b) A `schedules` table keyed by (namespace id, schedule id) with a shard id column, writes fenced
 *     by the owning shard's range_id, and a due-time index that the shard owner polls.
 *
 * Recommendation: (a), in the form Temporal itself moved to (CHASM): a state machine stored as a
 * blob beside the shard's executions, not a workflow with an event history (the legacy scheduler
 * workflow pays history growth, continue-as-new and replay for nothing). Reasons:
 * - Fencing, ownership hand-over, crash recovery and routing to the owner are the history shard's
 *   existing, tested invariants (DESIGN.md 1 and 4); (b) would need a second ownership protocol,
 *   a second fenced-write path and a poller, each with its own crash windows to test.
 * - Timer tasks are durable outbox rows written in the same transaction as the record, so a wake-up
 *   can neither be lost nor outlive its record; a poll over a due-time index adds latency and load
 *   and must itself be fenced against a stale owner.
 * - Visibility (ListSchedules with a List Filter query, CountSchedules) comes from the visibility
 *   queue like workflows, instead of a second query path over a new table.
 * The cost: the history service must host an execution kind that is not a workflow (a record blob,
 * timer tasks that call `Scheduler.tick`, no events). That is a hook in history's task executors and
 * mutable-state store, not a new subsystem.
 *
 * How exactly-once follows (the driver around `Scheduler`, on the owning shard):
 * 1. A timer task (or a patch/update) loads the record, checking the shard's range_id.
 * 2. `tick()` decides and calls the SchedulerActions port; starts go to the history service with a
 *    request id derived from (namespace id, schedule id, origin, nominal time, jittered time) and a
 *    workflow id `<base>-<nominal time>`, so a repeated start returns the existing run.
 * 3. The new record and the next timer task (at `nextWakeup`) commit in one transaction, fenced by
 *    range_id; the fired timer task is completed only after that commit.
 * A kill -9 between 2 and 3 leaves the old record and the old timer task: the task runs again on
 * restart (or on the next owner), `tick()` makes the same decisions with the same request ids, and
 * the history service answers them with the runs already started. A stale owner's commit fails its
 * range_id check, and the new owner repeats the tick the same way. Missed times after an outage
 * follow the catch-up window because `lastProcessedTime` is durable.
 *
 * Integration needs (see the report): frontend handlers Create/Describe/Update/Patch/Delete/List/
 * Count/ListScheduleMatchingTimes; history hooks (host the record, timer task -> tick, wake on close
 * of a watched run, visibility task on change); store methods (create/get/update/delete the record
 * fenced by range_id, with timer tasks in the same transaction).
 */
export { loadZone, type ZoneRules } from './time-zone';
export { parseCalendarStrings, validateStructuredCalendar, CompiledCalendar, type StructuredCalendar, type CalendarStrings, type Range } from './calendar';
export { parseCronString, parseGoDuration } from './cron-string';
export { jitterMs } from './jitter';
export { CompiledSpec, SpecComputeLimitError, cleanSpec, MAX_LIST_MATCHING_TIMES, type NextTime } from './spec';
export { decideOverlap, OverlapPolicy } from './overlap';
export { scheduledWorkflowId, startRequestId, scheduledSearchAttributes, schedulerIdentity } from './ids';
export {
  newScheduleRecord,
  acceptSchedule,
  validateScheduleId,
  validateStartWorkflowAction,
  type ScheduleRecord,
  type BufferedStart,
  type ActionResult,
  type RunningWorkflow,
} from './record';
export { Scheduler, type SchedulerActions, type SchedulerDeps, type RunStatus, type TickResult } from './scheduler';
export { describeResponse, listEntry, matchingTimesResponse, encodeConflictToken, decodeConflictToken } from './views';
