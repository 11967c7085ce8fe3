import { Decimal } from './decimal.ts';
import type { DecimalLike } from './decimal.ts';

/** Quantities and unit prices keep up to 12 decimal places (domain/README.md, *Decimal string*). */
export const MAX_FRACTION_DIGITS = 12;
/** Bounds the size of accepted numbers so pricing arithmetic stays exact (see decimal.ts). */
export const MAX_INTEGER_DIGITS = 30;

// Plain positional notation only: the exponent, NaN, Infinity, hex, '+', '.5' and '5.' forms are
// all rejected so that a decimal string means exactly what it shows.
const DECIMAL_PATTERN = /^(-?)(\d+)(?:\.(\d+))?$/;

export interface DecimalStringRules {
  /** Reject more digits after the point than this (default MAX_FRACTION_DIGITS). */
  maxFractionDigits?: number;
  /** Reject a leading minus sign (default false). */
  nonNegative?: boolean;
  /** Reject more digits before the point than this, leading zeros aside (default MAX_INTEGER_DIGITS). */
  maxIntegerDigits?: number;
}

/** Why a decimal string was rejected, or null when it is acceptable. */
export function decimalStringProblem(text: string, rules: DecimalStringRules = {}): string | null {
  const maxFractionDigits = rules.maxFractionDigits ?? MAX_FRACTION_DIGITS;
  const match = DECIMAL_PATTERN.exec(text);
  if (match === null) {
    return `must be a decimal string such as "12.5": digits with an optional "." and fraction, no exponent, NaN or Infinity (got ${JSON.stringify(truncate(text))})`;
  }
  const [, sign, integerDigits = '', fractionDigits = ''] = match;
  if (rules.nonNegative === true && sign === '-') return 'must not be negative';
  if (fractionDigits.length > maxFractionDigits) {
    return `must have at most ${maxFractionDigits} digits after the decimal point`;
  }
  const maxIntegerDigits = rules.maxIntegerDigits ?? MAX_INTEGER_DIGITS;
  if (integerDigits.replace(/^0+/, '').length > maxIntegerDigits) {
    return `must have at most ${maxIntegerDigits} digits before the decimal point`;
  }
  return null;
}

/**
 * The same rules as decimalStringProblem, as one regular expression, for documents (JSON Schema)
 * that cannot run code: a string matching it is a string decimalStringProblem accepts.
 */
export function decimalStringPattern(rules: DecimalStringRules = {}): string {
  const fraction = rules.maxFractionDigits ?? MAX_FRACTION_DIGITS;
  const integer = rules.maxIntegerDigits ?? MAX_INTEGER_DIGITS;
  return `^${rules.nonNegative === true ? '' : '-?'}0*\\d{1,${integer}}${fraction > 0 ? `(\\.\\d{1,${fraction}})?` : ''}$`;
}

export class DecimalFormatError extends Error {
  override name = 'DecimalFormatError';
}

/** Parses a decimal string under the given rules; throws DecimalFormatError with the reason. */
export function parseDecimal(text: string, rules: DecimalStringRules = {}): Decimal {
  const problem = decimalStringProblem(text, rules);
  if (problem !== null) throw new DecimalFormatError(problem);
  return new Decimal(text);
}

/**
 * Any accepted decimal input as a Decimal of our configuration. A Decimal from another clone is
 * copied (not rounded), so later arithmetic uses our precision and rounding.
 */
export function toDecimal(value: DecimalLike, rules?: DecimalStringRules): Decimal {
  if (typeof value === 'string') return parseDecimal(value, rules);
  if (typeof value === 'bigint') return new Decimal(value.toString());
  if (!value.isFinite()) throw new DecimalFormatError('must be a finite decimal');
  return new Decimal(value);
}

/** Plain positional text of a decimal, exactly, never in exponential notation. */
export function toDecimalString(value: Decimal): string {
  return value.toFixed();
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
