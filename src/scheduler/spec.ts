/**
 * Schedule specs (temporal.api.schedule.v1.ScheduleSpec) compiled and evaluated with Temporal's
 * semantics: the union of structured calendars, string calendars, cron strings and intervals, minus
 * exclusions, within [start_time, end_time], in one IANA zone, with deterministic jitter.
 * Owns: canonicalization (what Create stores and Describe returns: cron strings and string calendars
 * become structured calendars, `@every` becomes an interval, a CRON_TZ= zone moves to timezone_name),
 * validation with errors naming the field, next-time and matching-times evaluation.
 * Does not own: the scheduler's state (scheduler.ts), field syntax (calendar.ts, cron-string.ts).
 *
 * Times are epoch milliseconds; matching times are whole seconds (IntervalSpec and calendars have
 * one-second resolution), jittered times have millisecond resolution, as in Temporal.
 */
import type Long from 'long';
import { InvalidArgumentError } from '../common/errors';
import { num, type IDuration, type ITimestamp, type temporal } from '../common/proto';
import { CompiledCalendar, MAX_CALENDAR_YEAR, parseCalendarStrings, validateStructuredCalendar, type Range, type StructuredCalendar } from './calendar';
import { parseCronString, validateInterval, type IntervalSeconds } from './cron-string';
import { jitterMs } from './jitter';
import { loadZone } from './time-zone';

type IScheduleSpec = temporal.api.schedule.v1.IScheduleSpec;
type IStructuredCalendarSpec = temporal.api.schedule.v1.IStructuredCalendarSpec;
type IRange = temporal.api.schedule.v1.IRange;
interface DurationLike {
  seconds?: number | Long | string | null;
  nanos?: number | null;
}

/** A matching time: `nominal` as the spec says it, `next` after jitter (both epoch ms). */
export interface NextTime {
  nominal: number;
  next: number;
}

/** Default bound on skipped (excluded) candidates per next-time search; see `SpecComputeLimitError`. */
export const DEFAULT_MAX_ITERATIONS = 1_000_000;
/** ListScheduleMatchingTimes answers at most this many times per call (as Temporal). */
export const MAX_LIST_MATCHING_TIMES = 1000;

/**
 * The search for the next time skipped more excluded candidates than allowed: the spec excludes
 * (nearly) everything it matches. Temporal answers ListScheduleMatchingTimes with INVALID_ARGUMENT
 * in that case, and its scheduler takes no further action until the spec changes; so do we.
 */
export class SpecComputeLimitError extends InvalidArgumentError {
  constructor() {
    super('schedule.spec', 'the calendar specification has too many exclusions: no matching time was found within the search limit; change the specification');
  }
}

export const durationMs = (d: DurationLike | null | undefined): number => (d ? num(d.seconds) * 1000 + Math.trunc((d.nanos ?? 0) / 1e6) : 0);
const durationSeconds = (d: DurationLike | null | undefined): number => (d ? num(d.seconds) + (d.nanos ?? 0) / 1e9 : 0);
/** A Timestamp as epoch ms (same shape as a Duration). */
export const timestampMs = (t: DurationLike): number => durationMs(t);
// int64 fields take plain numbers when encoded; the generated types say Long
export const msToTimestamp = (ms: number): ITimestamp =>
  ({ seconds: Math.floor(ms / 1000), nanos: (ms - Math.floor(ms / 1000) * 1000) * 1e6 }) as unknown as ITimestamp;
export const msToDuration = (ms: number): IDuration => ({ seconds: Math.trunc(ms / 1000), nanos: (ms % 1000) * 1e6 }) as unknown as IDuration;

const toRange = (r: IRange): Range => ({ start: r.start ?? 0, end: r.end ?? 0, step: r.step ?? 0 });
function toStructured(c: IStructuredCalendarSpec): StructuredCalendar {
  return {
    second: (c.second ?? []).map(toRange),
    minute: (c.minute ?? []).map(toRange),
    hour: (c.hour ?? []).map(toRange),
    dayOfMonth: (c.dayOfMonth ?? []).map(toRange),
    month: (c.month ?? []).map(toRange),
    year: (c.year ?? []).map(toRange),
    dayOfWeek: (c.dayOfWeek ?? []).map(toRange),
    comment: c.comment ?? '',
  };
}

/** The canonical spec: what CreateSchedule stores and DescribeSchedule shows (before `cleanSpec`). */
export interface CanonicalSpec {
  structuredCalendar: StructuredCalendar[];
  excludeStructuredCalendar: StructuredCalendar[];
  /** interval and phase as given (Durations), evaluation truncates them to seconds */
  interval: Array<{ interval: DurationLike; phase: DurationLike | null }>;
  startTime: number | undefined;
  endTime: number | undefined;
  jitterMs: number;
  timezoneName: string;
}

export interface CompileOptions {
  /** bound on excluded candidates skipped per search (default DEFAULT_MAX_ITERATIONS) */
  maxIterations?: number;
}

function canonicalize(spec: IScheduleSpec): CanonicalSpec {
  if (spec.timezoneData && spec.timezoneData.length > 0) {
    throw new InvalidArgumentError('schedule.spec.timezone_data', 'a TZif time zone definition is not supported; give the zone by name in timezone_name');
  }
  const structured = (spec.structuredCalendar ?? []).map(toStructured);
  (spec.calendar ?? []).forEach((c, i) => structured.push(parseCalendarStrings(c, `schedule.spec.calendar[${i}]`)));
  const excludes = (spec.excludeStructuredCalendar ?? []).map(toStructured);
  (spec.excludeCalendar ?? []).forEach((c, i) => excludes.push(parseCalendarStrings(c, `schedule.spec.exclude_calendar[${i}]`)));
  const intervals: CanonicalSpec['interval'] = (spec.interval ?? []).map((iv) => ({ interval: iv.interval ?? {}, phase: iv.phase ?? null }));
  let cronZone: string | undefined;
  (spec.cronString ?? []).forEach((text, i) => {
    const where = `schedule.spec.cron_string[${i}]`;
    const parsed = parseCronString(text, where);
    // All cron strings must agree on their zone, present or not (as Temporal).
    if (cronZone !== undefined && parsed.timeZone !== cronZone) {
      throw new InvalidArgumentError(
        where,
        `time zone "${parsed.timeZone}" conflicts with "${cronZone}" of an earlier cron string; give all cron strings the same CRON_TZ`,
      );
    }
    cronZone = parsed.timeZone;
    if (parsed.calendar) structured.push(parsed.calendar);
    if (parsed.interval)
      intervals.push({ interval: { seconds: parsed.interval.interval }, phase: parsed.interval.phase ? { seconds: parsed.interval.phase } : null });
  });
  let timezoneName = spec.timezoneName ?? '';
  if (cronZone) {
    if (timezoneName !== '' && timezoneName !== cronZone) {
      throw new InvalidArgumentError(
        'schedule.spec.timezone_name',
        `"${timezoneName}" conflicts with CRON_TZ=${cronZone} in a cron string; give the zone in one place`,
      );
    }
    timezoneName = cronZone;
  }
  structured.forEach((c, i) => validateStructuredCalendar(c, `schedule.spec.structured_calendar[${i}]`));
  excludes.forEach((c, i) => validateStructuredCalendar(c, `schedule.spec.exclude_structured_calendar[${i}]`));
  intervals.forEach((iv, i) => {
    const where = `schedule.spec.interval[${i}]`;
    const interval = durationSeconds(iv.interval);
    const phase = durationSeconds(iv.phase);
    validateInterval({ interval, phase }, where);
  });
  const startTime = spec.startTime ? timestampMs(spec.startTime) : undefined;
  const endTime = spec.endTime ? timestampMs(spec.endTime) : undefined;
  return {
    structuredCalendar: structured,
    excludeStructuredCalendar: excludes,
    interval: intervals,
    startTime,
    endTime,
    jitterMs: durationMs(spec.jitter),
    timezoneName,
  };
}

/** A compiled spec: evaluates next times; `toProto()` is the canonical spec for storage and Describe. */
export class CompiledSpec {
  private readonly calendars: CompiledCalendar[];
  private readonly excludes: CompiledCalendar[];
  private readonly intervals: IntervalSeconds[];
  private readonly maxIterations: number;

  private constructor(
    readonly canonical: CanonicalSpec,
    opts: CompileOptions,
  ) {
    const zone = loadZone(canonical.timezoneName, 'schedule.spec.timezone_name');
    this.calendars = canonical.structuredCalendar.map((c) => new CompiledCalendar(c, zone));
    this.excludes = canonical.excludeStructuredCalendar.map((c) => new CompiledCalendar(c, zone));
    this.intervals = canonical.interval.map((iv) => ({
      interval: Math.max(Math.trunc(durationSeconds(iv.interval)), 1),
      phase: Math.max(Math.trunc(durationSeconds(iv.phase)), 0),
    }));
    this.maxIterations = opts.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  }

  /** Canonicalizes and validates; an invalid spec is an InvalidArgumentError naming the field. */
  static compile(spec: IScheduleSpec | null | undefined, opts: CompileOptions = {}): CompiledSpec {
    return new CompiledSpec(canonicalize(spec ?? {}), opts);
  }

  /** The next matching second strictly after `afterSec` over calendars and intervals, unjittered, ignoring exclusions. */
  private rawNext(afterSec: number): number | undefined {
    let best: number | undefined;
    for (const cal of this.calendars) {
      const t = cal.next(afterSec);
      if (t !== undefined && (best === undefined || t < best)) best = t;
    }
    const ts = Math.floor(afterSec);
    for (const iv of this.intervals) {
      const t = (Math.floor((ts - iv.phase) / iv.interval) + 1) * iv.interval + iv.phase;
      if (best === undefined || t < best) best = t;
    }
    return best;
  }

  private excluded(sec: number): boolean {
    return this.excludes.some((c) => c.matches(sec));
  }

  private pastEnd(sec: number): boolean {
    return (this.canonical.endTime !== undefined && sec * 1000 > this.canonical.endTime) || new Date(sec * 1000).getUTCFullYear() > MAX_CALENDAR_YEAR;
  }

  /**
   * The first time strictly after `afterMs` that the spec matches (not excluded, within start and
   * end), with its jittered time; undefined when there is none. `jitterSeed` makes the jitter of a
   * nominal time stable per schedule (Temporal seeds with "<namespace id>-<schedule id>").
   * Throws SpecComputeLimitError when exclusions hide every candidate for too long.
   */
  getNextTime(jitterSeed: string, afterMs: number): NextTime | undefined {
    // Before the start, search from just before it so that the start itself can match.
    let after = this.canonical.startTime !== undefined ? Math.max(afterMs, this.canonical.startTime - 1000) : afterMs;
    let nominal: number | undefined;
    for (let i = 0; nominal === undefined || this.excluded(nominal); i++) {
      if (i >= this.maxIterations) throw new SpecComputeLimitError();
      nominal = this.rawNext(after / 1000);
      if (nominal === undefined || this.pastEnd(nominal)) return undefined;
      after = nominal * 1000;
    }
    let maxJitter = this.canonical.jitterMs;
    // Jitter never pushes a time past the following nominal time.
    const following = this.rawNext(nominal);
    if (following !== undefined) maxJitter = Math.min(maxJitter, (following - nominal) * 1000);
    return { nominal: nominal * 1000, next: nominal * 1000 + jitterMs(jitterSeed, nominal, maxJitter) };
  }

  /**
   * ListScheduleMatchingTimes: the jittered times in (startMs, endMs], at most
   * MAX_LIST_MATCHING_TIMES, each search continuing from the previous jittered time (as Temporal).
   */
  listMatchingTimes(jitterSeed: string, startMs: number, endMs: number): number[] {
    const out: number[] = [];
    let t = startMs;
    while (out.length < MAX_LIST_MATCHING_TIMES) {
      const res = this.getNextTime(jitterSeed, t);
      if (!res || res.next > endMs) break;
      out.push(res.next);
      t = res.next;
    }
    return out;
  }

  /** The canonical spec as a ScheduleSpec message (what Create stores). */
  toProto(): temporal.api.schedule.v1.IScheduleSpec {
    const c = this.canonical;
    const cal = (s: StructuredCalendar): IStructuredCalendarSpec => ({ ...s });
    return {
      structuredCalendar: c.structuredCalendar.map(cal),
      excludeStructuredCalendar: c.excludeStructuredCalendar.map(cal),
      interval: c.interval.map((iv) => ({ interval: iv.interval as never, ...(iv.phase ? { phase: iv.phase as never } : {}) })),
      ...(c.startTime !== undefined ? { startTime: msToTimestamp(c.startTime) } : {}),
      ...(c.endTime !== undefined ? { endTime: msToTimestamp(c.endTime) } : {}),
      ...(c.jitterMs ? { jitter: msToDuration(c.jitterMs) } : {}),
      timezoneName: c.timezoneName,
    };
  }
}

/**
 * What DescribeSchedule and ListSchedules show: every range with its end and step spelled out
 * (end < start becomes start, step 0 becomes 1), as Temporal's frontend does before answering.
 */
export function cleanSpec(spec: temporal.api.schedule.v1.IScheduleSpec): temporal.api.schedule.v1.IScheduleSpec {
  const cleanRanges = (rs: IRange[] | null | undefined) =>
    (rs ?? []).map((r) => ({ start: r.start ?? 0, end: Math.max(r.end ?? 0, r.start ?? 0), step: r.step ? r.step : 1 }));
  const cleanCal = (c: IStructuredCalendarSpec): IStructuredCalendarSpec => ({
    second: cleanRanges(c.second),
    minute: cleanRanges(c.minute),
    hour: cleanRanges(c.hour),
    dayOfMonth: cleanRanges(c.dayOfMonth),
    month: cleanRanges(c.month),
    year: cleanRanges(c.year),
    dayOfWeek: cleanRanges(c.dayOfWeek),
    comment: c.comment ?? '',
  });
  return {
    ...spec,
    structuredCalendar: (spec.structuredCalendar ?? []).map(cleanCal),
    excludeStructuredCalendar: (spec.excludeStructuredCalendar ?? []).map(cleanCal),
  };
}
