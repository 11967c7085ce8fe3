import { describe, expect, it } from 'vitest';
import { canonicalDecimal, meteredNumber, meteredNumberProblem } from './metered-number.ts';
import { parseJsonLossless } from './lossless-json.ts';

const raw = (text: string) => (parseJsonLossless(`{"v":${text}}`) as { v: unknown }).v;

describe('metered numbers', () => {
  it.each([
    ['JSON integer', 42, '42'],
    ['JSON decimal', 12.5, '12.5'],
    ['decimal string', '0.000000000001', '0.000000000001'],
    ['negative string', '-3', '-3'],
    ['26 integer digits', '12345678901234567890123456', '12345678901234567890123456'],
    ['exact text of a number', raw('0.100000000000'), '0.1'],
    ['expanded exponent', raw('1e3'), '1000'],
  ])('accepts %s', (_name, value, exact) => {
    expect(meteredNumberProblem(value)).toBeNull();
    expect(canonicalDecimal(meteredNumber(value)!.toFixed())).toBe(exact);
  });

  it.each([
    ['boolean', true, 'must be a number or a decimal string'],
    ['13 fraction digits', '0.0000000000001', 'must have at most 12 digits after the decimal point'],
    ['27 integer digits', '123456789012345678901234567', 'must have at most 26 digits before the decimal point'],
    ['float artefact', raw('0.30000000000000004'), 'must have at most 12 digits after the decimal point'],
    ['exponent string', '1e3', 'must be a number or a decimal string such as "12.5" (got "1e3")'],
    ['plus sign', '+1', 'must be a number or a decimal string such as "12.5" (got "+1")'],
    ['empty string', '', 'must be a number or a decimal string such as "12.5" (got "")'],
  ])('refuses %s', (_name, value, problem) => {
    expect(meteredNumberProblem(value)).toBe(problem);
    expect(meteredNumber(value)).toBeNull();
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
