import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import fc from 'fast-check';
import { decimalString, decimalStringPattern, decimalStringProblem, decimalStringSchema, nonNegativeDecimalString } from './index.ts';

function messages(schema: z.ZodType, input: unknown): string[] {
  const result = schema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
}

describe('decimalString', () => {
  it('keeps a valid string as it is', () => {
    expect(decimalString.parse('-12.50')).toBe('-12.50');
  });

  it.each([
    [12.5, 'a JSON string such as "12.5", not a number'],
    [null, 'a JSON string such as "12.5", not a number'],
    [undefined, 'is required'],
    ['1e3', 'no exponent'],
    ['NaN', 'NaN or Infinity'],
    ['1.1234567890123', 'at most 12 digits after the decimal point'],
  ])('explains why %j is refused', (input, message) => {
    expect(messages(decimalString, input).join(' ')).toContain(message);
  });

  it('names the field in the issue path', () => {
    const result = z.object({ price: nonNegativeDecimalString }).safeParse({ price: '-1' });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([expect.objectContaining({ path: ['price'], message: 'must not be negative' })]);
  });

  it('accepts custom rules', () => {
    expect(messages(decimalStringSchema({ maxFractionDigits: 2 }), '1.234')).toEqual([
      'must have at most 2 digits after the decimal point',
    ]);
    const eighteen = decimalStringSchema({ maxIntegerDigits: 18 });
    expect(messages(eighteen, '999999999999999999.5')).toEqual([]);
    expect(messages(eighteen, '0001999999999999999999')).toEqual(['must have at most 18 digits before the decimal point']);
  });

  it('renders to JSON Schema as a string with the pattern of its rules', () => {
    expect(z.toJSONSchema(nonNegativeDecimalString)).toEqual({
      $schema: expect.any(String),
      type: 'string',
      pattern: decimalStringPattern({ nonNegative: true }),
    });
  });

  it.each([
    {},
    { nonNegative: true },
    { maxFractionDigits: 2 },
    { maxFractionDigits: 0, nonNegative: true },
    { nonNegative: true, maxIntegerDigits: 18 },
  ])('documents exactly what it accepts: the pattern and the check agree on every string (%j)', (rules) => {
    const pattern = new RegExp(decimalStringPattern(rules));
    const digits = (max: number) => fc.string({ unit: fc.constantFrom('0', '0', '1', '9'), maxLength: max });
    const candidate = fc.oneof(
      fc.tuple(fc.constantFrom('', '-', '+'), digits(34), fc.constantFrom('', '.', '.', 'e'), digits(15)).map((parts) => parts.join('')),
      fc.string({ unit: fc.constantFrom('0', '5', '.', '-', 'e', ' ', 'x'), maxLength: 8 }),
    );
    fc.assert(
      fc.property(candidate, (text) => pattern.test(text) === (decimalStringProblem(text, rules) === null)),
      { numRuns: 3000 },
    );
  });
});
