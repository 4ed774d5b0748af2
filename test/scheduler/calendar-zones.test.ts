/**
 * The calendar search and the zone rules checked against their definitions, over many seeded random
 * cases: offsets and transitions (src/scheduler/time-zone.ts) against Intl's wall clock, and the
 * next matching time (CompiledCalendar.next, which walks offset periods) against a brute-force scan
 * of every minute, around DST changes in zones with odd offsets and odd rules.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CompiledCalendar } from '../../src/scheduler/calendar';
import { parseCronString } from '../../src/scheduler/cron-string';
import { loadZone } from '../../src/scheduler/time-zone';

const ZONES = [
  'America/New_York',
  'Europe/Berlin',
  'Australia/Lord_Howe', // 30-minute DST
  'Australia/Sydney', // southern hemisphere
  'Asia/Kathmandu', // +05:45, no DST
  'Pacific/Chatham', // +12:45 / +13:45
  'America/Santiago', // DST changes at 24:00
  'Africa/Casablanca', // DST suspended for Ramadan
  'America/Havana', // changes at 00:00 / 01:00
  'UTC',
];

/** A small deterministic PRNG (mulberry32): the same cases on every run. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What Intl says the wall clock is at `sec`, as seconds east of UTC. */
const formats = new Map<string, Intl.DateTimeFormat>();
function intlOffset(zone: string, sec: number): number {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(sec * 1000)).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) / 1000 - sec;
}

describe('zone rules', () => {
  test('New York 2022: transitions at the exact seconds, offsets on both sides', () => {
    const ny = loadZone('America/New_York');
    const spring = Date.parse('2022-03-13T07:00:00Z') / 1000;
    const fall = Date.parse('2022-11-06T06:00:00Z') / 1000;
    assert.equal(ny.firstTransitionIn(Date.parse('2022-01-01T00:00:00Z') / 1000, Date.parse('2022-12-31T00:00:00Z') / 1000), spring);
    assert.equal(ny.firstTransitionIn(spring, Date.parse('2022-12-31T00:00:00Z') / 1000), fall);
    assert.equal(ny.firstTransitionIn(fall, Date.parse('2023-03-01T00:00:00Z') / 1000), undefined);
    assert.deepEqual([ny.offsetAt(spring - 1), ny.offsetAt(spring), ny.offsetAt(fall - 1), ny.offsetAt(fall)], [-5 * 3600, -4 * 3600, -4 * 3600, -5 * 3600]);
  });

  test('offsets agree with Intl at 2,000 random instants across ten zones (2020-2035)', () => {
    const r = rng(42);
    const lo = Date.parse('2020-01-01T00:00:00Z') / 1000;
    const hi = Date.parse('2035-01-01T00:00:00Z') / 1000;
    for (let i = 0; i < 2000; i++) {
      const zone = ZONES[i % ZONES.length]!;
      const sec = lo + Math.floor(r() * (hi - lo));
      assert.equal(loadZone(zone).offsetAt(sec), intlOffset(zone, sec), `${zone} at ${new Date(sec * 1000).toISOString()}`);
    }
  });

  test('every transition found is a real offset change, and none is missed between them', () => {
    for (const zone of ZONES) {
      const z = loadZone(zone);
      let t = Date.parse('2022-01-01T00:00:00Z') / 1000;
      const end = Date.parse('2024-01-01T00:00:00Z') / 1000;
      for (;;) {
        const next = z.firstTransitionIn(t, end);
        // no change between t and the next transition, sampled every six hours
        for (let s = t; s < (next ?? end); s += 6 * 3600)
          assert.equal(intlOffset(zone, s), intlOffset(zone, t), `${zone}: unseen change near ${new Date(s * 1000).toISOString()}`);
        if (next === undefined) break;
        assert.notEqual(intlOffset(zone, next), intlOffset(zone, next - 1), `${zone}: no change at ${new Date(next * 1000).toISOString()}`);
        t = next;
      }
    }
  });

  test('unknown zones are refused', () => {
    assert.throws(() => loadZone('Not/AZone'), /timezone_name: unknown time zone "Not\/AZone"/);
  });
});

describe('next matching time against a minute-by-minute scan', () => {
  const FIELDS = {
    minute: ['0', '30', '*/15', '5,45', '0-10/5', '*'],
    hour: ['*', '0', '1', '2', '3', '0-3', '1,2', '23', '*/6'],
    dayOfMonth: ['*', '*', '*', '1-15', '2,3,4,5,6,7'],
    dayOfWeek: ['*', '*', 'sun', 'mon-fri', '0,6'],
  };
  /** DST changes to search around: one in each half of 2022 and 2023 for the zones above. */
  const WINDOWS = ['2022-03-10', '2022-04-01', '2022-09-25', '2022-10-27', '2022-11-03', '2023-03-23', '2023-04-20'];

  test('400 random cron specs, ten zones, windows around DST changes', () => {
    const r = rng(7);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
    let compared = 0;
    for (let i = 0; i < 400; i++) {
      const zone = ZONES[i % ZONES.length]!;
      const cron = `${pick(FIELDS.minute)} ${pick(FIELDS.hour)} ${pick(FIELDS.dayOfMonth)} * ${pick(FIELDS.dayOfWeek)}`;
      const cal = new CompiledCalendar(parseCronString(cron).calendar!, loadZone(zone));
      let after = Date.parse(`${pick(WINDOWS)}T00:00:00Z`) / 1000 + Math.floor(r() * 86400 * 4);
      // five consecutive matches, each against the first matching minute the scan finds
      for (let k = 0; k < 5; k++) {
        const got = cal.next(after);
        let want: number | undefined;
        const limit = after + 40 * 86400;
        for (let m = Math.floor(after / 60) * 60 + 60; m <= limit; m += 60) {
          if (cal.matches(m)) {
            want = m;
            break;
          }
        }
        if (want === undefined) {
          assert.ok(got === undefined || got > limit, `${zone} "${cron}" after ${new Date(after * 1000).toISOString()}: got ${got}`);
          break;
        }
        assert.equal(
          got,
          want,
          `${zone} "${cron}" after ${new Date(after * 1000).toISOString()}: got ${new Date((got ?? 0) * 1000).toISOString()}, want ${new Date(want * 1000).toISOString()}`,
        );
        compared++;
        after = want;
      }
    }
    assert.ok(compared > 1500, `compared ${compared} times`);
  });
});
