import { describe, expect, it } from 'vitest';
import { monthlyRecurringRevenue } from './recurring-revenue.ts';

describe('monthlyRecurringRevenue', () => {
  it.each([
    ['a monthly fee as it is', { interval: 'month', intervalCount: 1, baseFees: '49.99' }, '49.99'],
    ['a quarterly fee over three months', { interval: 'month', intervalCount: 3, baseFees: '100' }, '33.33'],
    ['a yearly fee over twelve months', { interval: 'year', intervalCount: 1, baseFees: '120' }, '10.00'],
    ['a weekly fee × 52 / 12', { interval: 'week', intervalCount: 1, baseFees: '12' }, '52.00'],
    ['a daily fee × 365 / 12', { interval: 'day', intervalCount: 1, baseFees: '12' }, '365.00'],
  ] as const)('%s', (_name, fee, expected) => {
    expect(monthlyRecurringRevenue([{ currency: 'USD', ...fee }]).get('USD')).toBe(expected);
  });

  it('sums exactly and rounds once: three yearly fees of 1.00 are 0.25, not 3 × 0.08', () => {
    const fees = [1, 2, 3].map(() => ({ currency: 'USD', interval: 'year' as const, intervalCount: 1, baseFees: '1.00' }));
    expect(monthlyRecurringRevenue(fees).get('USD')).toBe('0.25');
  });

  it('keeps currencies apart, each with its own minor unit', () => {
    const mrr = monthlyRecurringRevenue([
      { currency: 'USD', interval: 'month', intervalCount: 1, baseFees: '10' },
      { currency: 'JPY', interval: 'month', intervalCount: 1, baseFees: '1000' },
      { currency: 'USD', interval: 'month', intervalCount: 1, baseFees: '5.50' },
    ]);
    expect([...mrr]).toEqual([
      ['USD', '15.50'],
      ['JPY', '1000'],
    ]);
  });

  it('is exact near the largest stored base fee (42 digits, 12 after the point)', () => {
    const max = '999999999999999999999999999999.999999999999';
    expect(
      monthlyRecurringRevenue([
        { currency: 'USD', interval: 'month', intervalCount: 1, baseFees: max },
        { currency: 'USD', interval: 'month', intervalCount: 1, baseFees: max },
      ]).get('USD'),
    ).toBe('2000000000000000000000000000000.00');
  });
});
