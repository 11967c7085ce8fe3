import { z } from 'zod';
import { decimalStringPattern, decimalStringProblem } from './decimal-string.ts';
import type { DecimalStringRules } from './decimal-string.ts';

/**
 * A zod schema for a decimal carried as a JSON string. The output stays a string (no transform),
 * so the schema also renders to JSON Schema / OpenAPI; convert with toDecimal where it is used.
 */
export function decimalStringSchema(rules: DecimalStringRules = {}) {
  return z
    .string({
      error: (issue) =>
        issue.input === undefined ? 'is required' : 'must be a decimal string (a JSON string such as "12.5", not a number)',
    })
    .check((ctx) => {
      const problem = decimalStringProblem(ctx.value, rules);
      if (problem !== null) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
    })
    .meta({ pattern: decimalStringPattern(rules) });
}

/** A signed decimal string with at most 12 fractional digits. */
export const decimalString = decimalStringSchema();

/** A decimal string ≥ 0 with at most 12 fractional digits: prices, quantities, fees. */
export const nonNegativeDecimalString = decimalStringSchema({ nonNegative: true });
