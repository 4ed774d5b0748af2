/**
 * Cron strings of schedule specs (ScheduleSpec.cron_string), parsed as Temporal parses them:
 * an optional `CRON_TZ=<zone> ` or `TZ=<zone> ` prefix, an optional `# comment` suffix, then either
 * `@every <interval>[/<phase>]` (an IntervalSpec), a descriptor (@yearly @annually @monthly @weekly
 * @daily @midnight @hourly), or 5, 6 or 7 fields:
 *   5: minute hour day-of-month month day-of-week
 *   6: minute hour day-of-month month day-of-week year
 *   7: second minute hour day-of-month month day-of-week year
 * each field in CalendarSpec syntax (calendar.ts), so day-of-month and day-of-week are AND-ed.
 * Owns: the string syntax and Go-style durations. Does not own: matching (calendar.ts, spec.ts).
 */
import { InvalidArgumentError } from '../common/errors';
import { parseCalendarStrings, type StructuredCalendar } from './calendar';

export interface IntervalSeconds {
  /** seconds, at least 1 */
  interval: number;
  /** seconds, 0 <= phase < interval */
  phase: number;
}

export interface ParsedCronString {
  calendar?: StructuredCalendar;
  interval?: IntervalSeconds;
  /** the CRON_TZ=/TZ= zone, '' when the string has none */
  timeZone: string;
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, μs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * Go's time.ParseDuration plus Temporal's "d" (24 hours): an optional sign and a sequence of
 * <decimal><unit> ("1h30m", "1.5d", "90s"), or "0". Returns seconds (fractional allowed).
 */
export function parseGoDuration(text: string): number | undefined {
  const m = /^([+-]?)(.*)$/.exec(text)!;
  const body = m[2]!;
  if (body === '0') return 0;
  if (body === '') return undefined;
  const re = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)/y;
  let total = 0;
  let pos = 0;
  let part: RegExpExecArray | null;
  while (pos < body.length && (part = re.exec(body))) {
    total += Number(part[1]) * UNIT_SECONDS[part[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== body.length) return undefined;
  return m[1] === '-' ? -total : total;
}

/** An IntervalSpec in whole seconds must be at least 1s, with 0 <= phase < interval (as Temporal). */
export function validateInterval(iv: IntervalSeconds, where: string): void {
  if (!(iv.interval >= 1)) throw new InvalidArgumentError(where, `interval ${iv.interval}s is too small: the minimum is 1s`);
  if (iv.phase < 0) throw new InvalidArgumentError(where, `phase ${iv.phase}s is negative`);
  if (iv.phase >= iv.interval) throw new InvalidArgumentError(where, `phase ${iv.phase}s must be less than the interval ${iv.interval}s`);
}

function parseEvery(text: string, where: string): IntervalSeconds {
  const space = text.indexOf(' ');
  if (space < 0) throw new InvalidArgumentError(where, `"${text}" has no interval after @every (for example "@every 1h" or "@every 6h/30m")`);
  const rest = text.slice(space + 1).trim();
  const [ivText, phaseText, extra] = rest.split('/');
  if (extra !== undefined) throw new InvalidArgumentError(where, `"${text}" has more than one "/" (expected @every <interval>[/<phase>])`);
  const interval = parseGoDuration(ivText!);
  if (interval === undefined) throw new InvalidArgumentError(where, `"${ivText}" is not a duration (examples: 90s, 15m, 1h30m, 2d)`);
  const phase = phaseText === undefined || phaseText === '' ? 0 : parseGoDuration(phaseText);
  if (phase === undefined) throw new InvalidArgumentError(where, `"${phaseText}" is not a duration (examples: 90s, 15m, 1h30m, 2d)`);
  validateInterval({ interval, phase }, where);
  // Intervals and phases are truncated to whole seconds (IntervalSpec's rule).
  return { interval: Math.trunc(interval), phase: Math.trunc(phase) };
}

/** One cron string; `where` names it in errors (e.g. "cron_string[0]"). */
export function parseCronString(input: string, where = 'cron_string'): ParsedCronString {
  let s = input.trim();
  let timeZone = '';
  if (s.startsWith('TZ=') || s.startsWith('CRON_TZ=')) {
    const space = s.indexOf(' ');
    if (space < 0) throw new InvalidArgumentError(where, `"${input}" has a time zone but no fields after it`);
    timeZone = s.slice(s.indexOf('=') + 1, space);
    s = s.slice(space + 1);
  }
  let comment = '';
  const hash = s.indexOf('#');
  if (hash >= 0) {
    comment = s.slice(hash + 1).trim();
    s = s.slice(0, hash);
  }
  s = s.trim();
  if (s.startsWith('@every')) return { interval: parseEvery(s, where), timeZone: '' };
  s = DESCRIPTORS[s] ?? s;
  const fields = s.split(/\s+/).filter((f) => f !== '');
  const at = (i: number) => fields[i]!;
  switch (fields.length) {
    case 5:
      return {
        calendar: parseCalendarStrings({ minute: at(0), hour: at(1), dayOfMonth: at(2), month: at(3), dayOfWeek: at(4), comment }, where),
        timeZone,
      };
    case 6:
      return {
        calendar: parseCalendarStrings({ minute: at(0), hour: at(1), dayOfMonth: at(2), month: at(3), dayOfWeek: at(4), year: at(5), comment }, where),
        timeZone,
      };
    case 7:
      return {
        calendar: parseCalendarStrings(
          { second: at(0), minute: at(1), hour: at(2), dayOfMonth: at(3), month: at(4), dayOfWeek: at(5), year: at(6), comment },
          where,
        ),
        timeZone,
      };
    default:
      throw new InvalidArgumentError(
        where,
        `"${input}" has ${fields.length} field${fields.length === 1 ? '' : 's'}; a cron string has 5 (minute hour day-of-month month day-of-week), 6 (+ year) or 7 (second first, + year) fields, or is @every <duration>, @hourly, @daily, @weekly, @monthly or @yearly`,
      );
  }
}
