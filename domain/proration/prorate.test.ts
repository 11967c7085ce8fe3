import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal } from '../money/index.ts';
import { MS_PER_DAY, periodAt } from '../periods/index.ts';
import type { BillingSchedule } from '../periods/index.ts';
import { decimalText, instant } from '../../test/harness/arbitraries.ts';
import { prorate, prorateForPart, splitPeriodAt } from './index.ts';

const DAY = MS_PER_DAY;

describe('prorate', () => {
  it.each([
    // amount, part, whole, expected (hand-computed)
    ['30', 10 * DAY, 30 * DAY, '10'], // 30 × 10/30
    ['10', 1, 4, '2.5'], // 10 / 4
    ['99.99', 15 * DAY, 30 * DAY, '49.995'], // half of 99.99
    ['12', 0, 31 * DAY, '0'],
    ['12', 31 * DAY, 31 * DAY, '12'],
    ['0.000000000001', 1, 2, '0.0000000000005'], // terminates one digit below the amount's own
    // 29.99 × 7/31: 209.93 / 31 = 6.77193548387096774193548387096774193548387096… (period 15),
    // kept to 2 + 40 fractional digits; the 43rd digit is a 9, so the 42nd rounds up from 0 to 1.
    ['29.99', 7 * DAY, 31 * DAY, '6.771935483870967741935483870967741935483871'],
  ])('%s × %i / %i = %s', (amount, part, whole, expected) => {
    expect(prorate(amount, part, whole).toFixed()).toBe(expected);
  });

  it('refuses a part outside the whole', () => {
    expect(() => prorate('1', -1, 10)).toThrow('between 0 and the whole period');
    expect(() => prorate('1', 11, 10)).toThrow('between 0 and the whole period');
    expect(() => prorate('1', 0, 0)).toThrow('positive');
    expect(() => prorate('1', 0.5, 10)).toThrow('whole number');
  });

  it('prorates by the part of a period', () => {
    const period = { start: new Date('2024-02-01T00:00:00Z'), end: new Date('2024-03-01T00:00:00Z') };
    const { before } = splitPeriodAt(period, new Date('2024-02-08T00:00:00Z'));
    // 29 days in February 2024, 7 of them before the change: 29 × 7/29 = 7
    expect(prorateForPart('29', period, before).toFixed()).toBe('7');
    expect(() => prorateForPart('29', period, { start: new Date('2024-01-31T00:00:00Z'), end: period.end })).toThrow('within');
  });
});

describe('splitting a period and prorating keeps the whole base fee', () => {
  const schedule = fc.record({
    anchor: instant,
    interval: fc.constantFrom('day' as const, 'week' as const, 'month' as const, 'year' as const),
    intervalCount: fc.integer({ min: 1, max: 12 }),
  });

  it('before + after = whole, exactly, before any rounding', () => {
    fc.assert(
      fc.property(
        schedule,
        fc.integer({ min: -5, max: 5 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        decimalText({ max: 10n ** 15n }),
        (billing: BillingSchedule, index, fraction, baseFee) => {
          const period = periodAt(billing, index);
          const length = period.end.getTime() - period.start.getTime();
          // The float only picks a test instant; the arithmetic under test is all decimal.
          const at = new Date(period.start.getTime() + Math.floor(length * fraction));
          const { before, after } = splitPeriodAt(period, at);
          const sum = prorateForPart(baseFee, period, before).plus(prorateForPart(baseFee, period, after));
          expect(sum.eq(new Decimal(baseFee))).toBe(true);
        },
      ),
    );
  });
});
