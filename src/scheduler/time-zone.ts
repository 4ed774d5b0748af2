/**
 * IANA time zones for schedule specs: the UTC offset in force at an instant and the instants where
 * it changes (DST starts and ends, rule changes), read from Node's own ICU time-zone data (Intl).
 * Owns: zone-name validation, offsets, transitions. Does not own: what a calendar matches
 * (calendar.ts) or how a spec is evaluated (spec.ts).
 *
 * Why no library: a calendar spec needs exactly two facts about a zone, the offset at an instant and
 * the next instant the offset changes. Intl gives the first directly; none of luxon, date-fns-tz or
 * dayjs exposes the second (they resolve one wall time at a time), and @js-temporal/polyfill, which
 * does, is a large, slow dependency for one method. So transitions are found here: the offset is
 * sampled once a day through a UTC year and each change is narrowed to the second by bisection, once
 * per zone and year (cached). A zone that changes its offset and changes it back within the same
 * day would be missed; no rule in the tz database since 1970 does that.
 *
 * All instants are whole seconds since the Unix epoch; offsets are seconds east of UTC.
 */
import { InvalidArgumentError } from '../common/errors';

const DAY = 86_400;

interface YearRules {
  /** offset at 00:00:00Z on 1 January of the year */
  startOffset: number;
  /** changes in (start of year, start of next year], ascending; `offset` is the one in force from `at` */
  transitions: Array<{ at: number; offset: number }>;
}

export interface ZoneRules {
  /** The zone's name as given (empty for UTC). */
  readonly name: string;
  /** Seconds east of UTC in force at `atSec`. */
  offsetAt(atSec: number): number;
  /** The first instant in (fromSec, toSec] at which the offset changes, or undefined. */
  firstTransitionIn(fromSec: number, toSec: number): number | undefined;
}

const UTC_RULES: ZoneRules = {
  name: '',
  offsetAt: () => 0,
  firstTransitionIn: () => undefined,
};

/** Zone rules backed by Intl.DateTimeFormat; one per zone name per process (see `loadZone`). */
class IntlZoneRules implements ZoneRules {
  private readonly years = new Map<number, YearRules>();

  constructor(
    readonly name: string,
    private readonly format: Intl.DateTimeFormat,
  ) {}

  /** The offset by asking ICU for the wall clock at `atSec` (the slow path; years cache it). */
  private probe(atSec: number): number {
    const f: Record<string, number> = {};
    for (const p of this.format.formatToParts(new Date(atSec * 1000))) if (p.type !== 'literal') f[p.type] = Number(p.value);
    const wall = Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!) / 1000;
    return wall - atSec;
  }

  private year(y: number): YearRules {
    let rules = this.years.get(y);
    if (rules) return rules;
    const start = Date.UTC(y, 0, 1) / 1000;
    const end = Date.UTC(y + 1, 0, 1) / 1000;
    const startOffset = this.probe(start);
    const transitions: YearRules['transitions'] = [];
    let prevAt = start;
    let prevOffset = startOffset;
    for (let at = start + DAY; prevAt < end; at = Math.min(at + DAY, end)) {
      const offset = this.probe(at);
      if (offset !== prevOffset) {
        // bisect (lo, hi]: offset(lo) = prevOffset, offset(hi) differs
        let lo = prevAt;
        let hi = at;
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (this.probe(mid) === prevOffset) lo = mid;
          else hi = mid;
        }
        transitions.push({ at: hi, offset });
      }
      prevAt = at;
      prevOffset = offset;
    }
    rules = { startOffset, transitions };
    this.years.set(y, rules);
    return rules;
  }

  offsetAt(atSec: number): number {
    const y = new Date(atSec * 1000).getUTCFullYear();
    const yearStart = Date.UTC(y, 0, 1) / 1000;
    // a transition exactly at the start of year y is recorded in year y-1's list
    if (atSec === yearStart) return this.year(y).startOffset;
    const rules = this.year(y);
    let offset = rules.startOffset;
    for (const t of rules.transitions) {
      if (t.at > atSec) break;
      offset = t.offset;
    }
    return offset;
  }

  firstTransitionIn(fromSec: number, toSec: number): number | undefined {
    if (toSec <= fromSec) return undefined;
    const y0 = new Date(fromSec * 1000).getUTCFullYear();
    // a transition at 1 January 00:00:00Z of year y1 lives in year y1-1's list
    const y1 = new Date((toSec - 1) * 1000).getUTCFullYear();
    for (let y = y0; y <= y1; y++) {
      for (const t of this.year(y).transitions) if (t.at > fromSec && t.at <= toSec) return t.at;
    }
    return undefined;
  }
}

const cache = new Map<string, ZoneRules>();

/**
 * The rules of an IANA zone ("America/New_York"); '' and "UTC" are UTC. An unknown name is an
 * InvalidArgumentError naming the field, as Temporal rejects a spec whose zone it cannot load.
 */
export function loadZone(name: string, field = 'timezone_name'): ZoneRules {
  if (name === '' || name === 'UTC') return UTC_RULES;
  const cached = cache.get(name);
  if (cached) return cached;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new InvalidArgumentError(field, `unknown time zone "${name}": use an IANA name such as "America/New_York" or "Europe/Berlin", or "UTC"`);
  }
  const rules = new IntlZoneRules(name, format);
  cache.set(name, rules);
  return rules;
}
