import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { daysInUtcMonth, periodContaining, periodContains, periodsBetween } from './index.ts';
import type { BillingSchedule } from './index.ts';

// A monthly anchor on the 28th–31st of any month from 2000 to 2039, at any time of day.
const monthEndAnchor = fc
  .record({
    year: fc.integer({ min: 2000, max: 2039 }),
    monthIndex: fc.integer({ min: 0, max: 11 }),
    day: fc.constantFrom(28, 29, 30, 31),
    msOfDay: fc.integer({ min: 0, max: 86_400_000 - 1 }),
  })
  .filter(({ year, monthIndex, day }) => day <= daysInUtcMonth(year, monthIndex))
  .map(({ year, monthIndex, day, msOfDay }) => ({ day, anchor: new Date(Date.UTC(year, monthIndex, day) + msOfDay) }));

describe('monthly periods tile time', () => {
  it.each([28, 29, 30, 31])('from Jan %i 2024: 120 contiguous periods, each starting on min(day, month length)', (day) => {
    const anchor = new Date(Date.UTC(2024, 0, day));
    const periods = periodsBetween({ anchor, interval: 'month' }, anchor, new Date(Date.UTC(2034, 0, day)));
    expect(periods).toHaveLength(120);
    periods.forEach((period, i) => {
      const year = 2024 + Math.floor(i / 12);
      const monthIndex = i % 12;
      expect(period.start.getTime()).toBe(Date.UTC(year, monthIndex, Math.min(day, daysInUtcMonth(year, monthIndex))));
      if (i > 0) expect(period.start).toEqual(periods[i - 1]!.end);
    });
  });

  it('over 10 years: no gaps, no overlaps, anchor day kept or clamped to the month end', () => {
    fc.assert(
      fc.property(monthEndAnchor, fc.integer({ min: 1, max: 3 }), ({ day, anchor }, intervalCount) => {
        const schedule: BillingSchedule = { anchor, interval: 'month', intervalCount };
        const tenYearsLater = new Date(anchor.getTime() + 3653 * 86_400_000);
        const periods = periodsBetween(schedule, anchor, tenYearsLater);

        expect(periods[0]!.start.getTime()).toBe(anchor.getTime());
        expect(periods.at(-1)!.end.getTime()).toBeGreaterThanOrEqual(tenYearsLater.getTime());
        periods.forEach((period, i) => {
          expect(period.start.getTime()).toBeLessThan(period.end.getTime());
          if (i > 0) expect(period.start.getTime()).toBe(periods[i - 1]!.end.getTime());
          // Same time of day, and the anchor's day unless the month is shorter.
          const start = period.start;
          expect(start.getTime() % 86_400_000).toBe(anchor.getTime() % 86_400_000);
          expect(start.getUTCDate()).toBe(Math.min(day, daysInUtcMonth(start.getUTCFullYear(), start.getUTCMonth())));
        });
      }),
    );
  });

  it('finds, for any instant, the one period that contains it', () => {
    fc.assert(
      fc.property(monthEndAnchor, fc.integer({ min: 0, max: 3653 * 86_400_000 }), ({ anchor }, offset) => {
        const schedule: BillingSchedule = { anchor, interval: 'month' };
        const instant = new Date(anchor.getTime() + offset);
        const period = periodContaining(schedule, instant);
        expect(periodContains(period, instant)).toBe(true);
        const listed = periodsBetween(schedule, anchor, new Date(instant.getTime() + 1));
        expect(listed.filter((p) => periodContains(p, instant))).toEqual([period]);
      }),
    );
  });
});
