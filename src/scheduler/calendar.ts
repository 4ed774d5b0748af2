/**
 * Calendar specs of schedules, with Temporal's semantics (temporal.api.schedule.v1.CalendarSpec and
 * StructuredCalendarSpec): parsing the string form ("*", "x", "x-z", "x/y", "x-z/y", lists, month and
 * day names) into ranges, validating ranges, and finding the next instant a calendar matches.
 * Owns: fields, defaults, ranges, matching. Does not own: cron strings (cron-string.ts), intervals,
 * exclusions, start/end and jitter (spec.ts), zone data (time-zone.ts).
 *
 * Semantics worth knowing (all as Temporal):
 * - Every field must match; day_of_month and day_of_week are AND-ed, never Vixie cron's OR.
 * - Defaults of the string form: second 0, minute 0, hour 0, the other fields "*".
 * - A structured field with no ranges matches nothing, except year, where no ranges means any year.
 * - Years 2000-2100 only; day_of_week 0-6 (7 is accepted in strings as Sunday).
 * - Matching is literal wall-clock matching in the zone (the proto's own rule): a 02:30 calendar
 *   does not fire on the day a DST gap skips 02:30, and a 01:30 calendar fires twice on the day
 *   01:30 happens twice. Temporal's Go implementation follows that rule for zones west of UTC but, for
 *   zones east of it, also fires at the hour after a repeated one (its loop retries the hour with a
 *   one-hour offset); this module applies the documented rule to every zone.
 */
import { InvalidArgumentError } from '../common/errors';
import type { ZoneRules } from './time-zone';

export const MIN_CALENDAR_YEAR = 2000;
export const MAX_CALENDAR_YEAR = 2100;
export const MAX_COMMENT_LENGTH = 200;

/** temporal.api.schedule.v1.Range as plain numbers (end 0 = start, step 0 = 1). */
export interface Range {
  start: number;
  end: number;
  step: number;
}

/** temporal.api.schedule.v1.StructuredCalendarSpec as plain values. */
export interface StructuredCalendar {
  second: Range[];
  minute: Range[];
  hour: Range[];
  dayOfMonth: Range[];
  month: Range[];
  year: Range[];
  dayOfWeek: Range[];
  comment: string;
}

/** temporal.api.schedule.v1.CalendarSpec: each field a string expression. */
export interface CalendarStrings {
  second?: string | null;
  minute?: string | null;
  hour?: string | null;
  dayOfMonth?: string | null;
  month?: string | null;
  year?: string | null;
  dayOfWeek?: string | null;
  comment?: string | null;
}

type FieldName = Exclude<keyof StructuredCalendar, 'comment'>;
type ParseMode = 'int' | 'year' | 'month' | 'dow';

interface FieldDef {
  name: FieldName;
  min: number;
  max: number;
  /** the default of the string form */
  def: string;
  mode: ParseMode;
}

/** The fields of the string form with their ranges (day_of_week 0-7 in strings, 0-6 once structured). */
const STRING_FIELDS: readonly FieldDef[] = [
  { name: 'second', min: 0, max: 59, def: '0', mode: 'int' },
  { name: 'minute', min: 0, max: 59, def: '0', mode: 'int' },
  { name: 'hour', min: 0, max: 23, def: '0', mode: 'int' },
  { name: 'dayOfMonth', min: 1, max: 31, def: '*', mode: 'int' },
  { name: 'month', min: 1, max: 12, def: '*', mode: 'month' },
  { name: 'year', min: MIN_CALENDAR_YEAR, max: MAX_CALENDAR_YEAR, def: '*', mode: 'year' },
  { name: 'dayOfWeek', min: 0, max: 7, def: '*', mode: 'dow' },
];

const STRUCTURED_LIMITS: Record<FieldName, [number, number]> = {
  second: [0, 59],
  minute: [0, 59],
  hour: [0, 23],
  dayOfMonth: [1, 31],
  month: [1, 12],
  year: [MIN_CALENDAR_YEAR, MAX_CALENDAR_YEAR],
  dayOfWeek: [0, 6],
};

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const snake = (f: string) => f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

// ---------------------------------------------------------------------------------------------
// the string form

/** One value: a decimal integer, or a month name prefix (3+ letters) or day name prefix (2+ letters). */
function parseValue(text: string, min: number, max: number, mode: ParseMode): number | undefined {
  const lower = text.toLowerCase();
  if (mode === 'month' && text.length >= 3) {
    const i = MONTHS.findIndex((m) => m.startsWith(lower));
    if (i >= 0) return i + 1 >= min && i + 1 <= max ? i + 1 : undefined;
  } else if (mode === 'dow' && text.length >= 2) {
    const i = DAYS.findIndex((d) => d.startsWith(lower));
    if (i >= 0) return i >= min && i <= max ? i : undefined;
  }
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}

/** A field expression ("1-5/2,8", "*", "mon-fri") to canonical ranges (end 0 when single, step 0 when 1). */
function parseField(text: string | null | undefined, f: FieldDef, where: string): Range[] {
  const what = `${where}.${snake(f.name)}`;
  const bad = (why: string) => new InvalidArgumentError(what, `${JSON.stringify(text)} ${why}`);
  let s = (text ?? '').trim();
  if (s === '') s = f.def;
  if (s === '*' && f.mode === 'year') return [];
  const ranges: Range[] = [];
  const names = f.mode === 'month' ? ' or a month name' : f.mode === 'dow' ? ' or a day name' : '';
  for (const rawPart of s.split(',')) {
    let part = rawPart;
    let step = 1;
    let hasStep = false;
    const slashes = part.split('/').length - 1;
    if (slashes > 1) throw bad('has too many slashes');
    if (slashes === 1) {
      const [p, stepText] = part.split('/') as [string, string];
      if (stepText === '') throw bad('is missing the step value after "/"');
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw bad(`has an invalid step "${stepText}" (a whole number of at least 1)`);
      part = p;
      step = Number(stepText);
      hasStep = true;
    }
    let start = f.min;
    let end = f.max;
    if (part !== '*') {
      const dashes = part.split('-').length - 1;
      if (dashes > 1) throw bad('has too many dashes');
      if (dashes === 1) {
        const [a, b] = part.split('-') as [string, string];
        const lo = parseValue(a, f.min, f.max, f.mode);
        if (lo === undefined) throw bad(`has a range start "${a}" that is not a number in ${f.min}-${f.max}${names}`);
        const hi = parseValue(b, lo, f.max, f.mode);
        if (hi === undefined) throw bad(`has a range end "${b}" that is before its start or not in ${f.min}-${f.max}${names}`);
        start = lo;
        end = hi;
      } else {
        const v = parseValue(part, f.min, f.max, f.mode);
        if (v === undefined) throw bad(`${part === s ? 'is' : `has "${part}", which is`} not a number in ${f.min}-${f.max}${names}`);
        start = v;
        // "x/y" runs from x to the maximum; a plain "x" is just x
        end = hasStep ? f.max : v;
      }
    }
    // Sunday is 0 once structured. When 7 is in the range: 0-7 and 1-7 become 0-6 (Temporal's Go
    // code turns 1-7 into 1-6, losing Sunday; its own comment says 0-6), others get a separate 0.
    if (f.mode === 'dow' && end === 7) {
      if ((7 - start) % step === 0) {
        if (start <= 1 && step === 1) start = 0;
        else {
          ranges.push({ start: 0, end: 0, step: 0 });
          if (start === 7) continue;
        }
      }
      end = 6;
    }
    ranges.push({ start, end: start === end ? 0 : end, step: step === 1 ? 0 : step });
  }
  return ranges;
}

/** CalendarSpec (strings) to StructuredCalendarSpec, with the string form's defaults. */
export function parseCalendarStrings(cal: CalendarStrings, where = 'calendar'): StructuredCalendar {
  const out: Partial<StructuredCalendar> = { comment: cal.comment ?? '' };
  for (const f of STRING_FIELDS) out[f.name] = parseField(cal[f.name], f, where);
  return out as StructuredCalendar;
}

/** Rejects ranges outside a field's limits, ends before starts and negative steps (as Temporal). */
export function validateStructuredCalendar(cal: StructuredCalendar, where: string): void {
  const problems: string[] = [];
  for (const name of Object.keys(STRUCTURED_LIMITS) as FieldName[]) {
    const [min, max] = STRUCTURED_LIMITS[name];
    cal[name].forEach((r, i) => {
      const at = `${snake(name)}[${i}]`;
      if (r.start < min || r.start > max) problems.push(`${at}.start ${r.start} is not in ${min}-${max}`);
      if (r.end !== 0 && (r.end < r.start || r.end > max)) problems.push(`${at}.end ${r.end} is before start ${r.start} or not in ${min}-${max}`);
      if (r.step < 0) problems.push(`${at}.step ${r.step} is negative`);
    });
  }
  if (cal.comment.length > MAX_COMMENT_LENGTH) problems.push(`comment is longer than ${MAX_COMMENT_LENGTH} characters`);
  if (problems.length > 0) throw new InvalidArgumentError(where, problems.join('; '));
}

// ---------------------------------------------------------------------------------------------
// matching

/** The set of values the ranges cover (step 0 = 1, end < start = start), as a lookup table. */
function table(ranges: readonly Range[], size: number): Uint8Array {
  const t = new Uint8Array(size);
  for (const r of ranges) {
    const step = r.step <= 0 ? 1 : r.step;
    const end = r.end < r.start ? r.start : r.end;
    for (let v = r.start; v <= end && v < size; v += step) if (v >= 0) t[v] = 1;
  }
  return t;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** A structured calendar compiled to lookup tables; matches wall-clock times in a zone. */
export class CompiledCalendar {
  private readonly second: Uint8Array;
  private readonly minute: Uint8Array;
  private readonly hour: Uint8Array;
  private readonly dayOfMonth: Uint8Array;
  private readonly month: Uint8Array;
  private readonly dayOfWeek: Uint8Array;
  /** undefined: every year */
  private readonly years: Uint8Array | undefined;

  constructor(
    cal: StructuredCalendar,
    private readonly zone: ZoneRules,
  ) {
    this.second = table(cal.second, 60);
    this.minute = table(cal.minute, 60);
    this.hour = table(cal.hour, 24);
    this.dayOfMonth = table(cal.dayOfMonth, 32);
    this.month = table(cal.month, 13);
    this.dayOfWeek = table(cal.dayOfWeek, 7);
    if (cal.year.length > 0) {
      const t = table(
        cal.year.map((r) => ({ start: r.start - MIN_CALENDAR_YEAR, end: r.end === 0 ? 0 : r.end - MIN_CALENDAR_YEAR, step: r.step })),
        MAX_CALENDAR_YEAR - MIN_CALENDAR_YEAR + 1,
      );
      this.years = t;
    }
  }

  private yearOk(y: number): boolean {
    if (y > MAX_CALENDAR_YEAR) return false;
    return this.years === undefined || (y >= MIN_CALENDAR_YEAR && this.years[y - MIN_CALENDAR_YEAR] === 1);
  }

  /** Whether the wall clock at `atSec` in the calendar's zone matches every field. */
  matches(atSec: number): boolean {
    const d = new Date((atSec + this.zone.offsetAt(atSec)) * 1000);
    return (
      this.yearOk(d.getUTCFullYear()) &&
      this.month[d.getUTCMonth() + 1] === 1 &&
      this.dayOfMonth[d.getUTCDate()] === 1 &&
      this.dayOfWeek[d.getUTCDay()] === 1 &&
      this.hour[d.getUTCHours()] === 1 &&
      this.minute[d.getUTCMinutes()] === 1 &&
      this.second[d.getUTCSeconds()] === 1
    );
  }

  /**
   * The first matching wall-clock second at or after `fromWall` (wall clock written as if it were
   * UTC), or undefined when nothing matches up to the end of MAX_CALENDAR_YEAR. Pure arithmetic:
   * fields are searched from the outside in, each miss carrying into the next larger field.
   */
  nextWallMatch(fromWall: number): number | undefined {
    const d = new Date(fromWall * 1000);
    let y = d.getUTCFullYear();
    let mo = d.getUTCMonth() + 1;
    let day = d.getUTCDate();
    let h = d.getUTCHours();
    let m = d.getUTCMinutes();
    let s = d.getUTCSeconds();
    for (;;) {
      if (s > 59) [m, s] = [m + 1, 0];
      if (m > 59) [h, m] = [h + 1, 0];
      if (h > 23) [day, h] = [day + 1, 0];
      if (day > daysInMonth(y, mo)) [mo, day] = [mo + 1, 1];
      if (mo > 12) [y, mo] = [y + 1, 1];
      if (y > MAX_CALENDAR_YEAR) return undefined;
      if (!this.yearOk(y)) {
        [y, mo, day, h, m, s] = [y + 1, 1, 1, 0, 0, 0];
        continue;
      }
      if (this.month[mo] !== 1) {
        [mo, day, h, m, s] = [mo + 1, 1, 0, 0, 0];
        continue;
      }
      if (this.dayOfMonth[day] !== 1 || this.dayOfWeek[new Date(Date.UTC(y, mo - 1, day)).getUTCDay()] !== 1) {
        [day, h, m, s] = [day + 1, 0, 0, 0];
        continue;
      }
      if (this.hour[h] !== 1) {
        [h, m, s] = [h + 1, 0, 0];
        continue;
      }
      if (this.minute[m] !== 1) {
        [m, s] = [m + 1, 0];
        continue;
      }
      if (this.second[s] !== 1) {
        s += 1;
        continue;
      }
      return Date.UTC(y, mo - 1, day, h, m, s) / 1000;
    }
  }

  /**
   * The first instant strictly after `afterSec` whose wall clock matches, or undefined. Walks the
   * zone's offset periods: inside one period wall time is instant + offset, so the first wall match
   * at or after the period's first wall second is the answer if it falls before the period ends;
   * otherwise the search moves to the next period (where a repeated hour is seen again, and a
   * skipped one never is).
   */
  next(afterSec: number): number | undefined {
    let t = Math.floor(afterSec) + 1;
    for (;;) {
      const offset = this.zone.offsetAt(t);
      const wall = this.nextWallMatch(t + offset);
      if (wall === undefined) return undefined;
      const candidate = wall - offset;
      const change = this.zone.firstTransitionIn(t, candidate);
      if (change === undefined) return candidate;
      t = change;
    }
  }
}
