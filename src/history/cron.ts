/**
 * Cron schedules of workflows (StartWorkflowExecution.cron_schedule), as Temporal accepts them:
 * standard 5-field cron (minute hour day-of-month month day-of-week) in UTC, with `*`, `?`, lists,
 * ranges, steps and month/day names, the descriptors @yearly @annually @monthly @weekly @daily
 * @midnight @hourly, and `@every <duration>` (Go duration syntax: 1h30m, 2s, 500ms).
 * A `CRON_TZ=UTC ` / `TZ=UTC ` prefix is accepted; other time zones are rejected.
 * When both day-of-month and day-of-week are restricted a day matching either one fires (Vixie cron).
 */

export interface CronSchedule {
  /** the first firing time strictly after `fromMs` */
  next(fromMs: number): number;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const FIELDS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration subset: a sequence of <number><unit>. */
export function parseGoDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== s.length || s.length === 0) throw new Error(`invalid duration "${s}"`);
  return total;
}

function parseValue(f: FieldSpec, v: string): number {
  const up = v.toUpperCase();
  const idx = f.names?.indexOf(up) ?? -1;
  if (idx >= 0) return idx + (f.name === 'month' ? 1 : 0);
  if (!/^\d+$/.test(v)) throw new Error(`${f.name}: "${v}" is not a number${f.names ? ' or a name' : ''}`);
  const n = Number(v);
  if (n < f.min || n > f.max) throw new Error(`${f.name}: ${n} is outside ${f.min}-${f.max}`);
  return n;
}

/** The set of allowed values of one field; `star` says the field was unrestricted (`*` or `?`). */
function parseField(f: FieldSpec, text: string): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(',')) {
    if (part === '') throw new Error(`${f.name}: empty list element in "${text}"`);
    const [rangePart, stepPart, extra] = part.split('/');
    if (extra !== undefined) throw new Error(`${f.name}: too many "/" in "${part}"`);
    let step = 1;
    if (stepPart !== undefined) {
      if (!/^\d+$/.test(stepPart) || Number(stepPart) === 0) throw new Error(`${f.name}: invalid step "${stepPart}"`);
      step = Number(stepPart);
    }
    let lo: number;
    let hi: number;
    if (rangePart === '*' || rangePart === '?') {
      lo = f.min;
      hi = f.name === 'day-of-week' ? 6 : f.max;
      if (stepPart === undefined) star = true;
    } else if (rangePart!.includes('-')) {
      const [a, b, more] = rangePart!.split('-');
      if (more !== undefined) throw new Error(`${f.name}: invalid range "${rangePart}"`);
      lo = parseValue(f, a!);
      hi = parseValue(f, b!);
      if (lo > hi) throw new Error(`${f.name}: range ${rangePart} goes backwards`);
    } else {
      lo = parseValue(f, rangePart!);
      hi = stepPart !== undefined ? (f.name === 'day-of-week' ? 6 : f.max) : lo;
    }
    for (let v = lo; v <= hi; v += step) values.add(f.name === 'day-of-week' && v === 7 ? 0 : v);
  }
  return { values, star };
}

export function parseCron(spec: string): CronSchedule {
  let s = spec.trim();
  const tz = /^(?:CRON_TZ|TZ)=(\S+)\s+/.exec(s);
  if (tz) {
    if (tz[1] !== 'UTC' && tz[1] !== 'Etc/UTC') throw new Error(`time zone ${tz[1]} is not supported (only UTC)`);
    s = s.slice(tz[0].length);
  }
  if (s.startsWith('@every ')) {
    const every = parseGoDuration(s.slice(7).trim());
    if (every < 1000) throw new Error('@every needs a duration of at least 1s');
    return { next: (from) => from + every };
  }
  if (s.startsWith('@')) {
    const d = DESCRIPTORS[s.toLowerCase()];
    if (!d) throw new Error(`unknown descriptor "${s}"`);
    s = d;
  }
  const parts = s.split(/\s+/);
  if (parts.length !== 5) throw new Error(`expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(FIELDS[i]!, p));
  return {
    next(fromMs: number): number {
      const t = new Date(Math.floor(fromMs / 60_000) * 60_000 + 60_000);
      const limit = fromMs + 5 * 366 * 86_400_000;
      while (t.getTime() <= limit) {
        if (!month!.values.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1);
          t.setUTCHours(0, 0, 0, 0);
          continue;
        }
        const domOk = dom!.values.has(t.getUTCDate());
        const dowOk = dow!.values.has(t.getUTCDay());
        const dayOk = dom!.star || dow!.star ? domOk && dowOk : domOk || dowOk;
        if (!dayOk) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0, 0, 0);
          continue;
        }
        if (!hour!.values.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
          continue;
        }
        if (!minute!.values.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
          continue;
        }
        return t.getTime();
      }
      throw new Error(`cron schedule "${spec}" never fires`);
    },
  };
}

/** The next firing time of `spec` strictly after `fromMs`; throws a sentence for a bad schedule. */
export function nextCronTimeMs(spec: string, fromMs: number): number {
  return parseCron(spec).next(fromMs);
}
