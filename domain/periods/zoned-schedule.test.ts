import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calendarDay, instant, timeZone } from '../../test/harness/arbitraries.ts';
import {
  MS_PER_DAY,
  canonicalTimeZone,
  daysInUtcMonth,
  localDate,
  localOf,
  offsetAt,
  periodBoundary,
  periodContaining,
  periodContains,
  periodsBetween,
  startOfLocalDay,
  trialEnd,
} from './index.ts';
import type { BillingSchedule, Interval } from './index.ts';

const iso = (d: Date) => d.toISOString();
const monthly = (anchor: Date, timeZone: string): BillingSchedule => ({ anchor, interval: 'month', timeZone });

/** A boundary's wall clock is 00:00:00.000, or midnight did not exist there and the clocks jumped at that very instant. */
function startsAtLocalMidnight(start: Date, zone: string): boolean {
  const t = start.getTime();
  const atMidnight = ((localOf(t, zone) % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY === 0;
  return atMidnight || offsetAt(t - 1, zone) !== offsetAt(t, zone);
}

describe('monthly periods in a time zone (the issue’s example and other zones)', () => {
  it.each<[string, string, string[]]>([
    // New York: EDT (−4) until 2026-11-01 02:00, EST (−5) after; DST again from 2027-03-14.
    [
      'America/New_York',
      '2026-10-01',
      ['2026-10-01T04:00:00.000Z', '2026-11-01T04:00:00.000Z', '2026-12-01T05:00:00.000Z', '2027-01-01T05:00:00.000Z'],
    ],
    ['America/New_York', '2027-02-01', ['2027-02-01T05:00:00.000Z', '2027-03-01T05:00:00.000Z', '2027-04-01T04:00:00.000Z']],
    // London: GMT until 2026-03-29 01:00 UTC, BST (+1) after.
    ['Europe/London', '2026-02-01', ['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z', '2026-03-31T23:00:00.000Z']],
    // Lord Howe: +11 in summer, +10:30 from 2026-04-05 02:00 local.
    ['Australia/Lord_Howe', '2026-03-01', ['2026-02-28T13:00:00.000Z', '2026-03-31T13:00:00.000Z', '2026-04-30T13:30:00.000Z']],
    // Kathmandu: +05:45 all year.
    ['Asia/Kathmandu', '2026-01-31', ['2026-01-30T18:15:00.000Z', '2026-02-27T18:15:00.000Z', '2026-03-30T18:15:00.000Z']],
    // UTC: the plain UTC calendar, clamped at the month's end.
    ['UTC', '2024-01-31', ['2024-01-31T00:00:00.000Z', '2024-02-29T00:00:00.000Z', '2024-03-31T00:00:00.000Z']],
  ])('%s from %s', (zone, day, expected) => {
    const schedule = monthly(startOfLocalDay(day, zone), zone);
    expect(expected.map((_, i) => iso(periodBoundary(schedule, i)))).toEqual(expected);
  });

  it('finds October and November 2026 in New York from instants inside them', () => {
    const schedule = monthly(startOfLocalDay('2026-10-01', 'America/New_York'), 'America/New_York');
    const october = periodContaining(schedule, new Date('2026-10-31T23:59:59.999-04:00'));
    const november = periodContaining(schedule, new Date('2026-11-01T00:00:00.000-04:00'));
    expect([iso(october.start), iso(october.end)]).toEqual(['2026-10-01T04:00:00.000Z', '2026-11-01T04:00:00.000Z']);
    expect([iso(november.start), iso(november.end)]).toEqual(['2026-11-01T04:00:00.000Z', '2026-12-01T05:00:00.000Z']);
  });

  it('starts a day whose midnight was skipped at the instant the clocks jumped (São Paulo, 2018-11-04 00:00 → 01:00)', () => {
    expect(iso(startOfLocalDay('2018-11-04', 'America/Sao_Paulo'))).toBe('2018-11-04T03:00:00.000Z');
    const schedule = monthly(startOfLocalDay('2018-10-04', 'America/Sao_Paulo'), 'America/Sao_Paulo');
    expect(iso(periodBoundary(schedule, 1))).toBe('2018-11-04T03:00:00.000Z');
    expect(iso(periodBoundary(schedule, 2))).toBe('2018-12-04T02:00:00.000Z');
  });

  it('starts the periods after a skipped midnight at their own midnight, not at the hour the clocks jumped to', () => {
    // São Paulo: DST began 2016-10-16 and 2018-11-04 at 00:00 (−03:00 → −02:00), so those days start at 01:00.
    const daily = {
      anchor: startOfLocalDay('2016-10-16', 'America/Sao_Paulo'),
      interval: 'day',
      intervalCount: 1,
      timeZone: 'America/Sao_Paulo',
    } satisfies BillingSchedule;
    expect(iso(daily.anchor)).toBe('2016-10-16T03:00:00.000Z');
    expect(iso(periodBoundary(daily, 1))).toBe('2016-10-17T02:00:00.000Z');
    const schedule = monthly(startOfLocalDay('2018-11-04', 'America/Sao_Paulo'), 'America/Sao_Paulo');
    expect(iso(periodBoundary(schedule, 1))).toBe('2018-12-04T02:00:00.000Z');
  });

  it('keeps a local time that falls in a skipped hour as far past the skip (02:30 in New York on 2026-03-08 is 03:30 EDT)', () => {
    const anchor = new Date('2026-02-08T02:30:00-05:00');
    expect(iso(periodBoundary(monthly(anchor, 'America/New_York'), 1))).toBe('2026-03-08T07:30:00.000Z');
  });

  it('counts a trial in local days, so it ends at local midnight across DST', () => {
    const start = startOfLocalDay('2026-10-25', 'America/New_York');
    expect(iso(trialEnd(start, 14, 'America/New_York'))).toBe('2026-11-08T05:00:00.000Z');
    expect(iso(trialEnd(start, 14))).toBe('2026-11-08T04:00:00.000Z');
  });
});

describe('names of zones', () => {
  it.each([
    ['America/New_York', 'America/New_York'],
    ['america/new_york', 'America/New_York'],
    ['UTC', 'UTC'],
    ['Asia/Kathmandu', 'Asia/Kathmandu'],
  ])('%s is %s', (name, canonical) => expect(canonicalTimeZone(name)).toBe(canonical));

  it.each(['Mars/Olympus', '+05:00', '-0300', '', 'Z', 'New York'])('refuses %j', (name) => expect(canonicalTimeZone(name)).toBeNull());
});

// From 2015: Apia skipped the whole of 2011-12-30, so a daily period of that day would be empty;
// no zone has skipped a day since.
const localMidnightSchedule = fc
  .record({
    zone: timeZone,
    day: calendarDay({ minYear: 2015, maxYear: 2036 }),
    interval: fc.constantFrom<Interval>('day', 'week', 'month', 'year'),
    intervalCount: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ zone, day, interval, intervalCount }) => ({
    day,
    schedule: { anchor: startOfLocalDay(day, zone), interval, intervalCount, timeZone: zone } satisfies BillingSchedule,
  }));

const spanOf = (interval: Interval) => ({ day: 100, week: 400, month: 2 * 366, year: 10 * 366 })[interval] * MS_PER_DAY;

describe('periods in a time zone tile time', () => {
  it('with no gap and no overlap, each starting at local midnight of its day (the anchor’s day, clamped)', () => {
    fc.assert(
      fc.property(localMidnightSchedule, ({ day, schedule }) => {
        const zone = schedule.timeZone;
        const to = new Date(schedule.anchor.getTime() + spanOf(schedule.interval));
        const periods = periodsBetween(schedule, schedule.anchor, to);
        expect(periods[0]!.start).toEqual(schedule.anchor);
        expect(periods.at(-1)!.end.getTime()).toBeGreaterThanOrEqual(to.getTime());
        const anchorDay = Number(day.slice(8));
        periods.forEach((period, i) => {
          expect(period.start.getTime()).toBeLessThan(period.end.getTime());
          if (i > 0) expect(period.start).toEqual(periods[i - 1]!.end);
          expect(startsAtLocalMidnight(period.start, zone)).toBe(true);
          if (schedule.interval === 'month' || schedule.interval === 'year') {
            const [y, m, d] = localDate(period.start, zone).split('-').map(Number) as [number, number, number];
            expect(d).toBe(Math.min(anchorDay, daysInUtcMonth(y, m - 1)));
          }
        });
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  it('puts any instant in exactly one period', () => {
    fc.assert(
      fc.property(localMidnightSchedule, fc.double({ min: 0, max: 1, noNaN: true }), ({ schedule }, fraction) => {
        const at = new Date(schedule.anchor.getTime() + Math.floor(fraction * spanOf(schedule.interval)));
        const period = periodContaining(schedule, at);
        expect(periodContains(period, at)).toBe(true);
        const listed = periodsBetween(schedule, schedule.anchor, new Date(at.getTime() + 1));
        expect(listed.filter((p) => periodContains(p, at))).toEqual([period]);
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  it('in Etc/UTC, by the zone arithmetic, matches the plain UTC schedule at any time of day', () => {
    fc.assert(
      fc.property(
        instant,
        fc.constantFrom<Interval>('day', 'week', 'month', 'year'),
        fc.integer({ min: -30, max: 30 }),
        (anchor, interval, index) => {
          const utc = periodBoundary({ anchor, interval }, index);
          expect(periodBoundary({ anchor, interval, timeZone: 'Etc/UTC' }, index)).toEqual(utc);
        },
      ),
    );
  });
});
