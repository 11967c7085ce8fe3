import { describe, expect, it } from 'vitest';
import { canonicalDecimal, meteredNumber, meteredNumberProblem } from './metered-number.ts';
import { parseJsonLossless } from './lossless-json.ts';

const raw = (text: string) => (parseJsonLossless(`{"v":${text}}`) as { v: unknown }).v;

describe('metered numbers', () => {
  it.each([
    ['JSON integer', 42, '42'],
    ['JSON decimal', 12.5, '12.5'],
    ['decimal string', '0.000000000001', '0.000000000001'],
    ['the largest value ingest takes', '999999999999999.999999999999', '999999999999999.999999999999'],
    ['negative zero', '-0.000', '0'],
    ['exact text of a number', raw('0.100000000000'), '0.1'],
    ['expanded exponent', raw('1e3'), '1000'],
  ])('accepts %s', (_name, value, exact) => {
    expect(meteredNumberProblem(value)).toBeNull();
    expect(canonicalDecimal(meteredNumber(value)!.toFixed())).toBe(exact);
  });

  it.each([
    ['boolean', true, 'must be a number or a decimal string'],
    ['13 fraction digits', '0.0000000000001', 'must have at most 12 digits after the decimal point'],
    ['10^15', '1000000000000000', 'must have at most 15 digits before the decimal point (|value| < 10^15)'],
    ['-10^15', '-1000000000000000', 'must have at most 15 digits before the decimal point (|value| < 10^15)'],
    ['a 16-digit JSON number', raw('1000000000000000'), 'must have at most 15 digits before the decimal point (|value| < 10^15)'],
    ['float artefact', raw('0.30000000000000004'), 'must have at most 12 digits after the decimal point'],
    ['exponent string', '1e3', 'must be a number or a decimal string such as "12.5" (got "1e3")'],
    ['plus sign', '+1', 'must be a number or a decimal string such as "12.5" (got "+1")'],
    ['empty string', '', 'must be a number or a decimal string such as "12.5" (got "")'],
  ])('ingest refuses %s', (_name, value, problem) => {
    expect(meteredNumberProblem(value)).toBe(problem);
  });

  it.each([
    ['a negative integer', -3, '-3'],
    ['a negative decimal string', '-0.000000000001', '-0.000000000001'],
    ['the most negative value ingest takes', '-999999999999999.999999999999', '-999999999999999.999999999999'],
  ])('refuses %s unless the meter allows negatives', (_name, value, exact) => {
    expect(meteredNumberProblem(value)).toBe('must not be negative');
    expect(meteredNumber(value)).toBeNull();
    expect(meteredNumberProblem(value, { allowNegative: true })).toBeNull();
    expect(canonicalDecimal(meteredNumber(value, { allowNegative: true })!.toFixed())).toBe(exact);
  });

  it('reads count what storage holds exactly (26 integer digits), more than ingest takes now', () => {
    // Stored before ingest was bounded at 10^15: billed, not dropped.
    expect(meteredNumber('12345678901234567890123456')!.toFixed()).toBe('12345678901234567890123456');
    expect(meteredNumber('123456789012345678901234567')).toBeNull();
    expect(meteredNumber('0.0000000000001')).toBeNull();
    expect(meteredNumber(true)).toBeNull();
  });

  it.each([
    ['5.000000000000', '5'],
    ['0.500000000000', '0.5'],
    ['-0.000000000000', '0'],
    ['120', '120'],
    ['-1.10', '-1.1'],
  ])('canonical text of %s is %s', (input, output) => {
    expect(canonicalDecimal(input)).toBe(output);
  });
});
