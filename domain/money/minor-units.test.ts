import { describe, expect, it } from 'vitest';
import { Decimal, formatAmount, fromMinorUnits, roundToMinor, toMinorUnits } from './index.ts';

describe('roundToMinor (half-up, once)', () => {
  it.each([
    ['USD', '0.005', '0.01'], // exactly half a cent rounds up
    ['USD', '0.004999999999', '0'], // just below half rounds down
    ['USD', '1.125', '1.13'],
    ['USD', '1.135', '1.14'], // half-up, not half-even (which would give 1.14 here but 1.12 above)
    ['USD', '-0.005', '-0.01'], // away from zero, mirroring the positive case
    ['USD', '12.3', '12.3'],
    ['JPY', '2.5', '3'],
    ['JPY', '3.5', '4'],
    ['JPY', '1234.4999', '1234'],
    ['BHD', '1.0005', '1.001'],
    ['BHD', '0.0004', '0'],
    ['USD', '10000000000060.004999999999', '10000000000060'],
  ])('%s %s → %s', (currency, amount, expected) => {
    expect(roundToMinor(amount, currency).toFixed()).toBe(expected);
  });
});

describe('minor units', () => {
  it.each([
    ['USD', '12.30', 1230n],
    ['JPY', '1235', 1235n],
    ['BHD', '0.125', 125n],
    ['USD', '-4.05', -405n],
    ['USD', '10000000000000000000.01', 1000000000000000000001n],
  ])('%s %s ↔ %s', (currency, amount, minor) => {
    expect(toMinorUnits(amount, currency)).toBe(minor);
    expect(fromMinorUnits(minor, currency).eq(new Decimal(amount))).toBe(true);
  });

  it('refuses an amount that is not rounded yet', () => {
    expect(() => toMinorUnits('12.345', 'USD')).toThrow('round it first');
    expect(() => toMinorUnits('1.5', 'JPY')).toThrow('round it first');
  });
});

describe('formatAmount', () => {
  it.each([
    ['USD', '12.3', '12.30'],
    ['USD', '0', '0.00'],
    ['USD', '-0.001', '0.00'], // rounds to zero, printed without a minus
    ['USD', '0.005', '0.01'],
    ['JPY', '1234.5', '1235'],
    ['BHD', '0.125', '0.125'],
    ['BHD', '7', '7.000'],
    ['USD', '10000000000060', '10000000000060.00'],
  ])('%s %s → %s', (currency, amount, expected) => {
    expect(formatAmount(amount, currency)).toBe(expected);
  });
});
