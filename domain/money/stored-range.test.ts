import { describe, expect, it } from 'vitest';
import {
  Decimal,
  MAX_STORED_MINOR_UNITS,
  OutOfRangeError,
  maxStoredAmount,
  storedAmountProblem,
  toStoredDecimal,
  toStoredMinorUnits,
} from './index.ts';

describe('amounts an invoice can store (bigint minor units)', () => {
  it('is the int8 maximum, 9223372036854775807', () => {
    expect(MAX_STORED_MINOR_UNITS).toBe(9223372036854775807n);
  });

  it.each([
    ['USD', '92233720368547758.07'],
    ['JPY', '9223372036854775807'],
    ['BHD', '9223372036854775.807'],
  ])('the largest %s amount is %s, and it is stored', (currency, largest) => {
    expect(maxStoredAmount(currency).toFixed()).toBe(largest);
    expect(toStoredMinorUnits(largest, currency, 'x')).toBe(MAX_STORED_MINOR_UNITS);
    expect(toStoredMinorUnits(`-${largest}`, currency, 'x')).toBe(-MAX_STORED_MINOR_UNITS);
  });

  it.each([
    ['USD', '92233720368547758.08'],
    ['USD', '-92233720368547758.08'],
    ['JPY', '9223372036854775808'],
    ['USD', '999999999999999999999999999999999999999999999999999999999999'],
  ])('one minor unit more (%s %s) is an OutOfRangeError naming what and the limit', (currency, amount) => {
    expect(() => toStoredMinorUnits(amount, currency, 'line "tokens"')).toThrow(OutOfRangeError);
    expect(storedAmountProblem(amount, currency, 'line "tokens"')).toMatch(
      /^line "tokens" of -?\d+(\.\d+)? [A-Z]{3} is more than an invoice can hold \(at most \d+(\.\d+)? [A-Z]{3}\)$/,
    );
  });

  it('still refuses an amount that was not rounded to the minor unit', () => {
    expect(() => toStoredMinorUnits('1.005', 'USD', 'x')).toThrow('round it first');
  });
});

describe('quantities and figures stored as numeric(42, 12)', () => {
  it('takes 30 integer digits and refuses 31, also as ClickHouse prints them', () => {
    const largest = '999999999999999999999999999999.999999999999';
    expect(toStoredDecimal(largest, 'usage').toFixed()).toBe(largest);
    expect(() => toStoredDecimal('1000000000000000000000000000000', 'usage of meter bytes')).toThrow(
      new OutOfRangeError(
        'usage of meter bytes of 1000000000000000000000000000000 has more than 30 digits before the decimal point, more than can be stored',
      ),
    );
    // A Decimal256 sum prints with all its fraction digits.
    expect(() => toStoredDecimal('-1000000000000000000000000000000.000000000000', 'x')).toThrow(OutOfRangeError);
    expect(() => toStoredDecimal(new Decimal(10).pow(40), 'x')).toThrow(OutOfRangeError);
  });
});
