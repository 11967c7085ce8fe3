import { Decimal } from './decimal.ts';
import type { DecimalLike } from './decimal.ts';
import { MAX_INTEGER_DIGITS, toDecimal } from './decimal-string.ts';
import type { CurrencyCode } from './currency.ts';
import { formatAmount, fromMinorUnits, toMinorUnits } from './minor-units.ts';

/**
 * How large a value may get where it is stored. Amounts are PostgreSQL bigint (int8) minor
 * units; quantities and alert figures are numeric(42, 12), at most 30 integer digits.
 * Computation has no such limit (100 significant digits), so a value is checked where it
 * leaves computation for storage: one that does not fit is an OutOfRangeError, never a
 * wrapped, rounded or half-written number.
 */
export const MAX_STORED_MINOR_UNITS = 2n ** 63n - 1n;

/** A value too large for the column it is meant for. */
export class OutOfRangeError extends RangeError {
  override name = 'OutOfRangeError';
}

/** The largest amount an invoice can hold: 92233720368547758.07 USD, 9223372036854775807 JPY. */
export function maxStoredAmount(currency: CurrencyCode): Decimal {
  return fromMinorUnits(MAX_STORED_MINOR_UNITS, currency);
}

/**
 * A decimal of any length: amounts and sums computed here or by ClickHouse are plain decimal text
 * that may have more digits than an input may (the parser's 30), and that is what is being checked.
 */
function exact(value: DecimalLike): Decimal {
  return typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? new Decimal(value) : toDecimal(value);
}

/** Why an already rounded amount cannot be stored as minor units, or null when it can; `what` names it. */
export function storedAmountProblem(amount: DecimalLike, currency: CurrencyCode, what: string): string | null {
  const minor = toMinorUnits(exact(amount), currency);
  if (minor <= MAX_STORED_MINOR_UNITS && minor >= -MAX_STORED_MINOR_UNITS) return null;
  return `${what} of ${formatAmount(exact(amount), currency)} ${currency} is more than an invoice can hold (at most ${formatAmount(maxStoredAmount(currency), currency)} ${currency})`;
}

/** toMinorUnits for an already rounded amount that is about to be stored; `what` names it in the error. */
export function toStoredMinorUnits(amount: DecimalLike, currency: CurrencyCode, what: string): bigint {
  const problem = storedAmountProblem(amount, currency, what);
  if (problem !== null) throw new OutOfRangeError(problem);
  return toMinorUnits(exact(amount), currency);
}

const STORED_DECIMAL_LIMIT = new Decimal(10).pow(MAX_INTEGER_DIGITS);

/**
 * A quantity or figure that is about to be stored as numeric(42, 12): below 10^30 in absolute
 * value.
 */
export function toStoredDecimal(value: Decimal | string, what: string): Decimal {
  const d = exact(value);
  if (d.abs().gte(STORED_DECIMAL_LIMIT)) {
    throw new OutOfRangeError(
      `${what} of ${d.toFixed()} has more than ${MAX_INTEGER_DIGITS} digits before the decimal point, more than can be stored`,
    );
  }
  return d;
}
