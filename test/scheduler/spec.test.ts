/**
 * Schedule spec evaluation (src/scheduler/spec.ts and below): the sequences Temporal's own spec tests
 * expect (intervals with phase, calendars, cron strings, exclusions, start and end time, jitter
 * including its exact milliseconds), IANA zones across DST gaps and repeated hours, canonical form,
 * ListScheduleMatchingTimes, and every kind of bad spec rejected with the field named.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '../../src/common/errors';
import { CompiledSpec, SpecComputeLimitError } from '../../src/scheduler/spec';
import type { temporal } from '../../src/common/proto';

type Spec = temporal.api.schedule.v1.IScheduleSpec;
const d = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const dur = (seconds: number) => ({ seconds, nanos: 0 }) as never;
const ts = (s: string) => ({ seconds: Math.floor(d(s) / 1000), nanos: (d(s) % 1000) * 1e6 }) as never;

/** The jittered times after `start`, each search continuing from the previous one (as Temporal's tests). */
function sequence(spec: Spec, start: string, n: number, seed = ''): string[] {
  const cs = CompiledSpec.compile(spec);
  const out: string[] = [];
  let t = d(start);
  for (let i = 0; i < n; i++) {
    const next = cs.getNextTime(seed, t);
    if (!next) break;
    out.push(iso(next.next));
    t = next.next;
  }
  return out;
}

function rejects(spec: Spec, field: RegExp, why: RegExp): void {
  assert.throws(
    () => CompiledSpec.compile(spec),
    (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError, `not an InvalidArgumentError: ${String(err)}`);
      assert.match(err.field, field);
      assert.match(err.message, why);
      return true;
    },
  );
}

describe('intervals', () => {
  test('every 90 minutes from the epoch, from a time with sub-seconds', () => {
    assert.deepEqual(sequence({ interval: [{ interval: dur(5400) }] }, '2022-03-23T12:53:02.009Z', 4), [
      '2022-03-23T13:30:00.000Z',
      '2022-03-23T15:00:00.000Z',
      '2022-03-23T16:30:00.000Z',
      '2022-03-23T18:00:00.000Z',
    ]);
  });

  test('phase shifts the grid; several intervals merge in order', () => {
    assert.deepEqual(sequence({ interval: [{ interval: dur(5400), phase: dur(344) }] }, '2022-03-23T12:53:02.009Z', 2), [
      '2022-03-23T13:35:44.000Z',
      '2022-03-23T15:05:44.000Z',
    ]);
    assert.deepEqual(
      sequence(
        {
          interval: [
            { interval: dur(5400), phase: dur(344) },
            { interval: dur(157 * 60), phase: dur(22 * 60 + 11) },
          ],
        },
        '2022-03-23T12:53:02.009Z',
        7,
      ),
      [
        '2022-03-23T13:35:44.000Z',
        '2022-03-23T15:05:44.000Z',
        '2022-03-23T15:26:11.000Z',
        '2022-03-23T16:35:44.000Z',
        '2022-03-23T18:03:11.000Z',
        '2022-03-23T18:05:44.000Z',
        '2022-03-23T19:35:44.000Z',
      ],
    );
  });

  test('a calendar and an interval together', () => {
    assert.deepEqual(
      sequence({ calendar: [{ hour: '11,13', minute: '55' }], interval: [{ interval: dur(5400), phase: dur(420) }] }, '2022-03-23T10:00:00Z', 6),
      [
        '2022-03-23T10:37:00.000Z',
        '2022-03-23T11:55:00.000Z',
        '2022-03-23T12:07:00.000Z',
        '2022-03-23T13:37:00.000Z',
        '2022-03-23T13:55:00.000Z',
        '2022-03-23T15:07:00.000Z',
      ],
    );
  });
});

describe('calendars and cron strings', () => {
  test('string calendars use their defaults (second 0, minute 0, hour 0, the rest *)', () => {
    assert.deepEqual(sequence({ calendar: [{ hour: '5,7', minute: '23' }] }, '2022-03-23T03:00:00Z', 4), [
      '2022-03-23T05:23:00.000Z',
      '2022-03-23T07:23:00.000Z',
      '2022-03-24T05:23:00.000Z',
      '2022-03-24T07:23:00.000Z',
    ]);
    assert.deepEqual(sequence({ calendar: [{ dayOfWeek: 'fri' }] }, '2022-03-23T03:00:00Z', 2), ['2022-03-25T00:00:00.000Z', '2022-04-01T00:00:00.000Z']);
  });

  test('a calendar and a cron string are a union', () => {
    assert.deepEqual(sequence({ calendar: [{ hour: '5,7', minute: '23' }], cronString: ['55 11,13 * * *'] }, '2022-03-23T03:00:00Z', 5), [
      '2022-03-23T05:23:00.000Z',
      '2022-03-23T07:23:00.000Z',
      '2022-03-23T11:55:00.000Z',
      '2022-03-23T13:55:00.000Z',
      '2022-03-24T05:23:00.000Z',
    ]);
  });

  test('day of month AND day of week (not cron OR): Friday the 13th', () => {
    assert.deepEqual(sequence({ cronString: ['0 12 13 * fri'] }, '2022-01-01T00:00:00Z', 3), [
      '2022-05-13T12:00:00.000Z',
      '2023-01-13T12:00:00.000Z',
      '2023-10-13T12:00:00.000Z',
    ]);
  });

  test('6 fields add a year, 7 fields lead with seconds; descriptors; @every with phase; # comments', () => {
    assert.deepEqual(sequence({ cronString: ['0 0 1 1 * 2030'] }, '2022-01-01T00:00:00Z', 2), ['2030-01-01T00:00:00.000Z']);
    assert.deepEqual(sequence({ cronString: ['*/20 0 12 * * * *'] }, '2022-01-01T00:00:00Z', 3), [
      '2022-01-01T12:00:00.000Z',
      '2022-01-01T12:00:20.000Z',
      '2022-01-01T12:00:40.000Z',
    ]);
    assert.deepEqual(sequence({ cronString: ['@weekly # sundays'] }, '2022-03-23T00:00:00Z', 1), ['2022-03-27T00:00:00.000Z']);
    assert.deepEqual(sequence({ cronString: ['@monthly'] }, '2022-03-23T00:00:00Z', 1), ['2022-04-01T00:00:00.000Z']);
    assert.deepEqual(sequence({ cronString: ['@every 6h/30m'] }, '2022-03-23T00:00:00Z', 2), ['2022-03-23T00:30:00.000Z', '2022-03-23T06:30:00.000Z']);
    // 2-day grid from the epoch: 2022-03-23 is on it
    assert.deepEqual(sequence({ cronString: ['@every 2d'] }, '2022-03-23T00:00:00Z', 1), ['2022-03-25T00:00:00.000Z']);
  });

  test('ranges, steps, lists, names and Sunday as 0 or 7', () => {
    assert.deepEqual(sequence({ cronString: ['0 9 * jan-mar/2 mon-wed'] }, '2022-02-25T00:00:00Z', 3), [
      '2022-03-01T09:00:00.000Z',
      '2022-03-02T09:00:00.000Z',
      '2022-03-07T09:00:00.000Z',
    ]);
    for (const sunday of ['0', '7', 'sun', '5-7', '6-7', '1-7', '0-7']) {
      assert.deepEqual(sequence({ cronString: [`0 0 * * ${sunday}`] }, '2022-03-05T12:00:00Z', 1), ['2022-03-06T00:00:00.000Z'], sunday);
    }
    assert.deepEqual(sequence({ cronString: ['0 0 * * 1-7'] }, '2022-03-06T12:00:00Z', 1), ['2022-03-07T00:00:00.000Z']);
  });

  test('a structured calendar as given, including the empty year meaning every year', () => {
    const cal = {
      second: [{ start: 30 }],
      minute: [{ start: 0, end: 10, step: 5 }],
      hour: [{ start: 8 }],
      dayOfMonth: [{ start: 1, end: 31 }],
      month: [{ start: 1, end: 12 }],
      dayOfWeek: [{ start: 0, end: 6 }],
    };
    assert.deepEqual(sequence({ structuredCalendar: [cal] }, '2022-03-23T08:04:00Z', 3), [
      '2022-03-23T08:05:30.000Z',
      '2022-03-23T08:10:30.000Z',
      '2022-03-24T08:00:30.000Z',
    ]);
    // a field with no ranges (besides year) matches nothing
    assert.deepEqual(sequence({ structuredCalendar: [{ ...cal, dayOfWeek: [] }] }, '2022-03-23T08:04:00Z', 1), []);
  });
});

describe('exclusions, start and end time, jitter (Temporal test vectors)', () => {
  test('excluded hours are skipped; jitter is the exact milliseconds Temporal computes', () => {
    assert.deepEqual(
      sequence(
        { interval: [{ interval: dur(5400) }], excludeCalendar: [{ hour: '12-14', minute: '*', second: '*' }], jitter: dur(1) },
        '2022-03-23T08:00:00Z',
        4,
      ),
      ['2022-03-23T09:00:00.235Z', '2022-03-23T10:30:00.139Z', '2022-03-23T15:00:00.089Z', '2022-03-23T16:30:00.687Z'],
    );
  });

  test('start time: nothing before it, and the start itself can match', () => {
    assert.deepEqual(sequence({ interval: [{ interval: dur(5400) }], startTime: ts('2022-03-23T12:00:00Z'), jitter: dur(1) }, '2022-03-23T08:00:00Z', 3), [
      '2022-03-23T12:00:00.162Z',
      '2022-03-23T13:30:00.587Z',
      '2022-03-23T15:00:00.089Z',
    ]);
    assert.deepEqual(sequence({ interval: [{ interval: dur(3600) }], startTime: ts('2022-03-23T12:00:00.456Z') }, '2022-03-23T12:00:00.123Z', 1), [
      '2022-03-23T13:00:00.000Z',
    ]);
  });

  test('end time ends the sequence', () => {
    assert.deepEqual(sequence({ interval: [{ interval: dur(5400) }], endTime: ts('2022-03-23T14:00:00Z'), jitter: dur(1) }, '2022-03-23T11:00:00Z', 5), [
      '2022-03-23T12:00:00.162Z',
      '2022-03-23T13:30:00.587Z',
    ]);
  });

  test('jitter never passes the following nominal time; it depends on the seed', () => {
    assert.deepEqual(sequence({ interval: [{ interval: dur(5400) }], jitter: dur(86400) }, '2022-03-23T11:00:00Z', 3), [
      '2022-03-23T12:14:36.524Z',
      '2022-03-23T14:22:54.562Z',
      '2022-03-23T15:08:03.724Z',
    ]);
    const daily = { interval: [{ interval: dur(86400) }], jitter: dur(3600) };
    assert.deepEqual(sequence(daily, '2022-03-23T11:00:00Z', 1), ['2022-03-24T00:35:24.276Z']);
    assert.deepEqual(sequence(daily, '2022-03-23T11:00:00Z', 1, 'seed-1'), ['2022-03-24T00:06:12.519Z']);
    assert.deepEqual(sequence(daily, '2022-03-23T11:00:00Z', 1, 'seed-2'), ['2022-03-24T00:39:16.922Z']);
    // a single run (no following time) gets the whole jitter range
    assert.deepEqual(
      sequence({ calendar: [{ hour: '13', minute: '55', dayOfMonth: '7', month: '4', year: '2022' }], jitter: dur(3600) }, '2022-03-23T11:00:00Z', 2),
      ['2022-04-07T13:57:26.927Z'],
    );
  });

  test('the nominal time stays the spec time; the same inputs give the same jitter', () => {
    const cs = CompiledSpec.compile({ interval: [{ interval: dur(3600) }], jitter: dur(600) });
    const a = cs.getNextTime('ns-id-sched', d('2022-03-23T11:00:00Z'))!;
    const b = CompiledSpec.compile({ interval: [{ interval: dur(3600) }], jitter: dur(600) }).getNextTime('ns-id-sched', d('2022-03-23T11:00:00Z'))!;
    assert.equal(iso(a.nominal), '2022-03-23T12:00:00.000Z');
    assert.ok(a.next >= a.nominal && a.next < a.nominal + 600_000);
    assert.deepEqual(a, b);
  });

  test('a spec that excludes everything has no next time; one that excludes nearly everything hits the bound', () => {
    const cs = CompiledSpec.compile({ interval: [{ interval: dur(7 * 86400) }], excludeCalendar: [{ second: '*', minute: '*', hour: '*' }] });
    assert.equal(cs.getNextTime('', d('2022-03-23T12:53:02Z')), undefined);
    const tight = CompiledSpec.compile(
      { cronString: ['* * * * * * *'], excludeCalendar: [{ second: '*', minute: '*', hour: '*', year: '2022-2030' }] },
      { maxIterations: 1000 },
    );
    assert.throws(() => tight.getNextTime('', d('2022-03-23T12:53:02Z')), SpecComputeLimitError);
  });
});

describe('time zones: literal wall-clock matching across DST', () => {
  test('America/New_York: 02:30 does not exist on 2022-03-13, and happens once a day otherwise', () => {
    assert.deepEqual(sequence({ calendar: [{ hour: '2', minute: '30' }], timezoneName: 'America/New_York' }, '2022-03-11T12:00:00Z', 3), [
      '2022-03-12T07:30:00.000Z',
      '2022-03-14T06:30:00.000Z',
      '2022-03-15T06:30:00.000Z',
    ]);
  });

  test('America/New_York: 01:30 happens twice on 2022-11-06 (EDT, then EST)', () => {
    assert.deepEqual(sequence({ calendar: [{ hour: '1', minute: '30' }], timezoneName: 'America/New_York' }, '2022-11-05T12:00:00Z', 4), [
      '2022-11-06T05:30:00.000Z',
      '2022-11-06T06:30:00.000Z',
      '2022-11-07T06:30:00.000Z',
      '2022-11-08T06:30:00.000Z',
    ]);
  });

  test('Europe/Berlin: the repeated 02:30 fires twice, and 01:30 only once (unlike Temporal east of UTC)', () => {
    assert.deepEqual(sequence({ calendar: [{ hour: '2', minute: '30' }], timezoneName: 'Europe/Berlin' }, '2022-10-29T12:00:00Z', 3), [
      '2022-10-30T00:30:00.000Z',
      '2022-10-30T01:30:00.000Z',
      '2022-10-31T01:30:00.000Z',
    ]);
    assert.deepEqual(sequence({ calendar: [{ hour: '1', minute: '30' }], timezoneName: 'Europe/Berlin' }, '2022-10-29T12:00:00Z', 2), [
      '2022-10-29T23:30:00.000Z',
      '2022-10-31T00:30:00.000Z',
    ]);
  });

  test('a CRON_TZ zone with a half-hour DST shift (Australia/Lord_Howe): only 02:00-02:29 is skipped', () => {
    // 2022-10-02 02:00 +10:30 becomes 02:30 +11:00
    assert.deepEqual(sequence({ cronString: ['CRON_TZ=Australia/Lord_Howe 0,15,45 1-3 2 10 *'] }, '2022-10-01T13:00:00Z', 7), [
      '2022-10-01T14:30:00.000Z', // 01:00
      '2022-10-01T14:45:00.000Z', // 01:15
      '2022-10-01T15:15:00.000Z', // 01:45
      '2022-10-01T15:45:00.000Z', // 02:45 (02:00 and 02:15 do not exist)
      '2022-10-01T16:00:00.000Z', // 03:00
      '2022-10-01T16:15:00.000Z',
      '2022-10-01T16:45:00.000Z',
    ]);
  });

  test('intervals ignore the zone; exclusions use it', () => {
    assert.deepEqual(
      sequence(
        { interval: [{ interval: dur(3600) }], excludeCalendar: [{ hour: '9-16', minute: '*', second: '*' }], timezoneName: 'Asia/Tokyo' },
        '2022-03-23T23:30:00Z',
        3,
      ),
      ['2022-03-24T08:00:00.000Z', '2022-03-24T09:00:00.000Z', '2022-03-24T10:00:00.000Z'],
    );
  });
});

describe('canonical form (what Create stores and Describe returns)', () => {
  test('cron strings and string calendars become structured calendars, @every an interval, CRON_TZ the zone', () => {
    const cs = CompiledSpec.compile({
      cronString: ['23 5,7 * * * # twice a day', '@every 90m/5m'],
      timezoneName: 'Europe/London',
      calendar: [{ dayOfWeek: 'mon-fri', hour: '9' }],
      excludeCalendar: [{ month: 'dec', dayOfMonth: '25' }],
      jitter: dur(300),
    });
    const p = cs.toProto();
    assert.equal(p.timezoneName, 'Europe/London');
    assert.equal(p.structuredCalendar!.length, 2);
    // string calendars come before cron strings (as Temporal appends them)
    assert.deepEqual(p.structuredCalendar![1], {
      second: [{ start: 0, end: 0, step: 0 }],
      minute: [{ start: 23, end: 0, step: 0 }],
      hour: [
        { start: 5, end: 0, step: 0 },
        { start: 7, end: 0, step: 0 },
      ],
      dayOfMonth: [{ start: 1, end: 31, step: 0 }],
      month: [{ start: 1, end: 12, step: 0 }],
      year: [],
      dayOfWeek: [{ start: 0, end: 6, step: 0 }],
      comment: 'twice a day',
    });
    assert.deepEqual(p.structuredCalendar![0]!.dayOfWeek, [{ start: 1, end: 5, step: 0 }]);
    assert.deepEqual(p.excludeStructuredCalendar![0]!.month, [{ start: 12, end: 0, step: 0 }]);
    assert.deepEqual(p.interval, [{ interval: { seconds: 5400 }, phase: { seconds: 300 } }]);
    assert.deepEqual(p.jitter, { seconds: 300, nanos: 0 });
    assert.equal((p.cronString ?? []).length, 0);
    assert.equal(CompiledSpec.compile({ cronString: ['CRON_TZ=Asia/Tokyo 0 9 * * *'] }).toProto().timezoneName, 'Asia/Tokyo');
    // compiling the canonical form again gives the same form and the same times
    const again = CompiledSpec.compile(p);
    assert.deepEqual(again.toProto(), p);
    assert.deepEqual(again.getNextTime('s', d('2022-03-23T00:00:00Z')), cs.getNextTime('s', d('2022-03-23T00:00:00Z')));
  });
});

describe('ListScheduleMatchingTimes', () => {
  test('jittered times in (start, end], at most 1000', () => {
    const cs = CompiledSpec.compile({ cronString: ['0 * * * *'] });
    const times = cs.listMatchingTimes('', d('2022-03-23T00:00:00Z'), d('2022-03-23T03:00:00Z'));
    assert.deepEqual(times.map(iso), ['2022-03-23T01:00:00.000Z', '2022-03-23T02:00:00.000Z', '2022-03-23T03:00:00.000Z']);
    assert.equal(CompiledSpec.compile({ cronString: ['* * * * *'] }).listMatchingTimes('', d('2022-03-23T00:00:00Z'), d('2022-03-30T00:00:00Z')).length, 1000);
  });
});

describe('bad specs are INVALID_ARGUMENT naming the field', () => {
  test('cron strings', () => {
    rejects({ cronString: ['0 12 * *'] }, /cron_string\[0\]/, /has 4 fields; a cron string has 5/);
    rejects({ cronString: ['0 12 * * * * * *'] }, /cron_string\[0\]/, /has 8 fields/);
    rejects({ cronString: ['@often'] }, /cron_string\[0\]/, /1 field/);
    rejects({ cronString: ['60 * * * *'] }, /cron_string\[0\]\.minute/, /"60" is not a number in 0-59/);
    rejects({ cronString: ['0 0 * * fri-mon'] }, /day_of_week/, /range end "mon" that is before its start/);
    rejects({ cronString: ['*/0 * * * *'] }, /minute/, /invalid step "0"/);
    rejects({ cronString: ['1/2/3 * * * *'] }, /minute/, /too many slashes/);
    rejects({ cronString: ['1-2-3 * * * *'] }, /minute/, /too many dashes/);
    rejects({ cronString: ['5/ * * * *'] }, /minute/, /missing the step/);
    rejects({ cronString: ['0 0 1 1 * 1999'] }, /year/, /not a number in 2000-2100/);
    rejects({ cronString: ['TZ=UTC'] }, /cron_string\[0\]/, /time zone but no fields/);
    rejects({ cronString: ['@every'] }, /cron_string\[0\]/, /no interval after @every/);
    rejects({ cronString: ['@every 10x'] }, /cron_string\[0\]/, /"10x" is not a duration/);
    rejects({ cronString: ['@every 500ms'] }, /cron_string\[0\]/, /interval 0.5s is too small/);
    rejects({ cronString: ['@every 1h/2h'] }, /cron_string\[0\]/, /phase 7200s must be less than the interval 3600s/);
  });

  test('zones', () => {
    rejects({ cronString: ['0 0 * * *'], timezoneName: 'Mars/Olympus_Mons' }, /timezone_name/, /unknown time zone "Mars\/Olympus_Mons"/);
    rejects({ cronString: ['CRON_TZ=Nowhere/Land 0 0 * * *'] }, /timezone_name/, /unknown time zone/);
    rejects({ cronString: ['CRON_TZ=Europe/London 0 0 * * *', 'CRON_TZ=America/New_York 0 0 * * *'] }, /cron_string\[1\]/, /conflicts/);
    rejects({ cronString: ['CRON_TZ=Europe/London 0 0 * * *', '0 0 * * *'] }, /cron_string\[1\]/, /conflicts/);
    rejects({ cronString: ['CRON_TZ=Europe/London 0 0 * * *'], timezoneName: 'America/New_York' }, /timezone_name/, /conflicts with CRON_TZ=Europe\/London/);
    rejects({ cronString: ['0 0 * * *'], timezoneData: Buffer.from('TZif') }, /timezone_data/, /not supported/);
    // the same zone in both places is fine
    assert.equal(
      CompiledSpec.compile({ cronString: ['CRON_TZ=Europe/London 0 0 * * *'], timezoneName: 'Europe/London' }).toProto().timezoneName,
      'Europe/London',
    );
  });

  test('intervals and structured calendars', () => {
    rejects({ interval: [{ interval: dur(0) }] }, /interval\[0\]/, /too small/);
    rejects({ interval: [{ interval: dur(60), phase: dur(60) }] }, /interval\[0\]/, /must be less than the interval/);
    rejects({ interval: [{ interval: dur(60), phase: dur(-1) }] }, /interval\[0\]/, /negative/);
    rejects({ structuredCalendar: [{ hour: [{ start: 24 }] }] }, /structured_calendar\[0\]/, /hour\[0\]\.start 24 is not in 0-23/);
    rejects({ structuredCalendar: [{ minute: [{ start: 10, end: 5 }] }] }, /structured_calendar\[0\]/, /end 5 is before start 10/);
    rejects({ structuredCalendar: [{ second: [{ start: 1, step: -1 }] }] }, /structured_calendar\[0\]/, /step -1 is negative/);
    rejects({ structuredCalendar: [{ dayOfWeek: [{ start: 7 }] }] }, /structured_calendar\[0\]/, /day_of_week\[0\]\.start 7 is not in 0-6/);
    rejects({ excludeStructuredCalendar: [{ month: [{ start: 13 }] }] }, /exclude_structured_calendar\[0\]/, /month\[0\]\.start 13/);
    rejects({ calendar: [{ comment: 'x'.repeat(201) }] }, /structured_calendar\[0\]/, /comment is longer than 200/);
  });
});
