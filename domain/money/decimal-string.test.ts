import { describe, expect, it } from 'vitest';
import { Decimal, DecimalFormatError, isDecimal, parseDecimal, toDecimal, toDecimalString } from './index.ts';

describe('parseDecimal', () => {
  it.each([
    ['0', '0'],
    ['12.5', '12.5'],
    ['-3.25', '-3.25'],
    ['007.10', '7.1'],
    ['0.000000000001', '0.000000000001'],
    ['1000000000000000', '1000000000000000'],
    ['999999999999999999999999999999.999999999999', '999999999999999999999999999999.999999999999'],
  ])('accepts %j', (text, expected) => {
    expect(toDecimalString(parseDecimal(text))).toBe(expected);
  });

  it.each([
    ['', 'must be a decimal string'],
    [' 1', 'must be a decimal string'],
    ['1 ', 'must be a decimal string'],
    ['+1', 'must be a decimal string'],
    ['.5', 'must be a decimal string'],
    ['5.', 'must be a decimal string'],
    ['1e5', 'no exponent'],
    ['1E-3', 'no exponent'],
    ['NaN', 'NaN or Infinity'],
    ['Infinity', 'NaN or Infinity'],
    ['-Infinity', 'NaN or Infinity'],
    ['0x10', 'must be a decimal string'],
    ['1_000', 'must be a decimal string'],
    ['1,5', 'must be a decimal string'],
    ['0.0000000000001', 'at most 12 digits after the decimal point'],
    ['1000000000000000000000000000000', 'at most 30 digits before the decimal point'],
  ])('rejects %j', (text, reason) => {
    expect(() => parseDecimal(text)).toThrow(DecimalFormatError);
    expect(() => parseDecimal(text)).toThrow(reason);
  });

  it('rejects a negative value when asked to', () => {
    expect(() => parseDecimal('-0.01', { nonNegative: true })).toThrow('must not be negative');
    expect(parseDecimal('0.01', { nonNegative: true }).eq(new Decimal('0.01'))).toBe(true);
  });

  it('allows more fractional digits when asked to', () => {
    expect(toDecimalString(parseDecimal('0.12345678901234', { maxFractionDigits: 14 }))).toBe('0.12345678901234');
  });
});

describe('toDecimal', () => {
  it('copies a Decimal of another configuration without rounding it', async () => {
    const { default: DefaultDecimal } = await import('decimal.js');
    // The default decimal.js constructor keeps 20 significant digits; ours keeps 100.
    // 24 significant digits: more than the default constructor would keep after arithmetic.
    const foreign = new (DefaultDecimal as unknown as typeof Decimal)('1.23456789012345678901234');
    const ours = toDecimal(foreign);
    // 123456789012345678901234 mod 7 = 6, so x/7 does not terminate and has as many digits as the
    // precision: 100 for ours, 20 for the default.
    expect(ours.dividedBy(7).precision()).toBe(100);
    expect(foreign.dividedBy(7).precision()).toBe(20);
    expect(toDecimalString(ours)).toBe('1.23456789012345678901234');
  });

  it('takes bigint exactly', () => {
    expect(toDecimalString(toDecimal(12345678901234567890123n))).toBe('12345678901234567890123');
  });

  it('refuses NaN and Infinity decimals', () => {
    expect(() => toDecimal(new Decimal(NaN))).toThrow('finite');
    expect(() => toDecimal(new Decimal(Infinity))).toThrow('finite');
  });

  it('recognises decimals', () => {
    expect(isDecimal(new Decimal('1'))).toBe(true);
    expect(isDecimal('1')).toBe(false);
  });
});

describe('Decimal', () => {
  it('keeps 1e15 × 0.000000000001 exact', () => {
    // 10^15 × 10^-12 = 10^3
    expect(new Decimal('1000000000000000').times('0.000000000001').toFixed()).toBe('1000');
  });

  it('keeps a 42-digit product exact', () => {
    // (10^30 − 1 + 0.999999999999) × 0.000000000001: 30 integer + 12 fraction digits, times 10^-12
    expect(new Decimal('999999999999999999999999999999.999999999999').times('0.000000000001').toFixed()).toBe(
      '999999999999999999.999999999999999999999999',
    );
  });

  it('never prints in exponential notation', () => {
    expect(new Decimal('0.000000000000000000001').toString()).toBe('0.000000000000000000001');
    expect(new Decimal('1000000000000000000000000').toString()).toBe('1000000000000000000000000');
  });
});
