import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decimalString, decimalStringSchema, nonNegativeDecimalString } from './index.ts';

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
    expect(messages(decimalStringSchema({ maxFractionDigits: 2 }), '1.234')).toEqual(['must have at most 2 digits after the decimal point']);
  });

  it('renders to JSON Schema as a string', () => {
    expect(z.toJSONSchema(nonNegativeDecimalString)).toMatchObject({ type: 'string' });
  });
});
