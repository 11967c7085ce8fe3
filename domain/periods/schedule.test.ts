import { describe, expect, it } from 'vitest';
import { nextPeriod, periodAt, periodBoundary, periodContaining, periodsBetween } from './index.ts';
import type { BillingSchedule, Period } from './index.ts';

const iso = (period: Period) => [period.start.toISOString(), period.end.toISOString()];

describe('periodBoundary', () => {
  it.each<[string, BillingSchedule, string[]]>([
    [
      'monthly from Jan 31 clamps and comes back to the 31st',
      { anchor: new Date('2024-01-31T09:30:00.000Z'), interval: 'month' },
      [
        '2024-01-31T09:30:00.000Z',
        '2024-02-29T09:30:00.000Z',
        '2024-03-31T09:30:00.000Z',
        '2024-04-30T09:30:00.000Z',
        '2024-05-31T09:30:00.000Z',
      ],
    ],
    [
      'monthly from Jan 31 in a common year',
      { anchor: new Date('2023-01-31T00:00:00.000Z'), interval: 'month' },
      ['2023-01-31T00:00:00.000Z', '2023-02-28T00:00:00.000Z', '2023-03-31T00:00:00.000Z'],
    ],
    [
      'every 2 months from Dec 31',
      { anchor: new Date('2023-12-31T00:00:00.000Z'), interval: 'month', intervalCount: 2 },
      ['2023-12-31T00:00:00.000Z', '2024-02-29T00:00:00.000Z', '2024-04-30T00:00:00.000Z', '2024-06-30T00:00:00.000Z'],
    ],
    [
      'yearly from Feb 29 clamps to Feb 28 and returns in leap years',
      { anchor: new Date('2024-02-29T12:00:00.000Z'), interval: 'year' },
      [
        '2024-02-29T12:00:00.000Z',
        '2025-02-28T12:00:00.000Z',
        '2026-02-28T12:00:00.000Z',
        '2027-02-28T12:00:00.000Z',
        '2028-02-29T12:00:00.000Z',
      ],
    ],
    [
      'daily, 3 at a time',
      { anchor: new Date('2024-02-27T06:00:00.000Z'), interval: 'day', intervalCount: 3 },
      ['2024-02-27T06:00:00.000Z', '2024-03-01T06:00:00.000Z', '2024-03-04T06:00:00.000Z'],
    ],
    [
      'weekly across a year end',
      { anchor: new Date('2024-12-25T00:00:00.000Z'), interval: 'week' },
      ['2024-12-25T00:00:00.000Z', '2025-01-01T00:00:00.000Z', '2025-01-08T00:00:00.000Z'],
    ],
  ])('%s', (_name, schedule, expected) => {
    expect(expected.map((_, index) => periodBoundary(schedule, index).toISOString())).toEqual(expected);
  });

  it('refuses a bad intervalCount or anchor', () => {
    expect(() => periodBoundary({ anchor: new Date(0), interval: 'day', intervalCount: 0 }, 1)).toThrow('intervalCount');
    expect(() => periodBoundary({ anchor: new Date(0), interval: 'day', intervalCount: 1.5 }, 1)).toThrow('intervalCount');
    expect(() => periodBoundary({ anchor: new Date(Number.NaN), interval: 'day' }, 1)).toThrow('anchor');
  });
});

describe('periodContaining', () => {
  const monthly: BillingSchedule = { anchor: new Date('2024-01-31T00:00:00.000Z'), interval: 'month' };

  it('puts an instant exactly on a boundary in the period that starts there', () => {
    const period = periodContaining(monthly, new Date('2024-02-29T00:00:00.000Z'));
    expect(period.index).toBe(1);
    expect(iso(period)).toEqual(['2024-02-29T00:00:00.000Z', '2024-03-31T00:00:00.000Z']);
  });

  it('puts the last millisecond before a boundary in the earlier period', () => {
    const period = periodContaining(monthly, new Date('2024-02-28T23:59:59.999Z'));
    expect(iso(period)).toEqual(['2024-01-31T00:00:00.000Z', '2024-02-29T00:00:00.000Z']);
  });

  it('gives negative indexes before the anchor', () => {
    const period = periodContaining(monthly, new Date('2023-12-15T00:00:00.000Z'));
    expect(period.index).toBe(-2);
    expect(iso(period)).toEqual(['2023-11-30T00:00:00.000Z', '2023-12-31T00:00:00.000Z']);
  });

  it('works for weeks', () => {
    const weekly: BillingSchedule = { anchor: new Date('2024-01-01T00:00:00.000Z'), interval: 'week', intervalCount: 2 };
    const period = periodContaining(weekly, new Date('2024-01-20T00:00:00.000Z'));
    // 19 days after the anchor: floor(19 / 14) = 1, so [Jan 15, Jan 29)
    expect(period.index).toBe(1);
    expect(iso(period)).toEqual(['2024-01-15T00:00:00.000Z', '2024-01-29T00:00:00.000Z']);
  });
});

describe('nextPeriod', () => {
  it('follows the anchor, not the previous end', () => {
    const schedule: BillingSchedule = { anchor: new Date('2024-01-30T00:00:00.000Z'), interval: 'month' };
    const february = periodAt(schedule, 1);
    expect(iso(february)).toEqual(['2024-02-29T00:00:00.000Z', '2024-03-30T00:00:00.000Z']);
    expect(iso(nextPeriod(schedule, february))).toEqual(['2024-03-30T00:00:00.000Z', '2024-04-30T00:00:00.000Z']);
  });
});

describe('periodsBetween', () => {
  const schedule: BillingSchedule = { anchor: new Date('2024-01-15T00:00:00.000Z'), interval: 'month' };

  it('lists every period overlapping [from, to), partial ones included', () => {
    const periods = periodsBetween(schedule, new Date('2024-01-20T00:00:00.000Z'), new Date('2024-04-15T00:00:01.000Z'));
    expect(periods.map((period) => period.index)).toEqual([0, 1, 2, 3]);
    expect(iso(periods[3]!)).toEqual(['2024-04-15T00:00:00.000Z', '2024-05-15T00:00:00.000Z']);
  });

  it('stops before a period that starts exactly at `to`', () => {
    const periods = periodsBetween(schedule, new Date('2024-01-15T00:00:00.000Z'), new Date('2024-04-15T00:00:00.000Z'));
    expect(periods.map((period) => period.index)).toEqual([0, 1, 2]);
  });

  it('is empty when to ≤ from', () => {
    expect(periodsBetween(schedule, new Date('2024-03-01T00:00:00.000Z'), new Date('2024-03-01T00:00:00.000Z'))).toEqual([]);
  });
});
