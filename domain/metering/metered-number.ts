import { Decimal } from '../money/index.ts';
import { numericText } from './lossless-json.ts';

/**
 * A metered value as storage and reads take it: a JSON number or a decimal string with at
 * most 26 integer and 12 fractional digits, so it fits ClickHouse's Decimal128(38, 12)
 * exactly. The same pattern, in RE2 syntax, picks the numbers ClickHouse stores in the typed
 * column reads take values from (db/clickhouse/migrations/0005); a value that does not match
 * is ignored by reads.
 */
export const MAX_VALUE_INTEGER_DIGITS = 26;
export const MAX_VALUE_FRACTION_DIGITS = 12;
export const METERED_NUMBER = /^-?[0-9]{1,26}(\.[0-9]{1,12})?$/;

/**
 * Ingest accepts less than storage can hold: |value| < 10^15 (at most 15 integer digits).
 * That is still a petabyte, or 31,000 years in milliseconds, in one event; and a period's sum
 * reaches the 30 integer digits an invoice line's quantity can hold only after 10^15 such
 * events (31 years at a million events a second). Larger stored values can only predate this
 * rule; reads still count them, so nothing that was accepted is dropped from a bill silently.
 */
export const MAX_INGEST_VALUE_INTEGER_DIGITS = 15;
const INGEST_NUMBER = /^-?[0-9]{1,15}(\.[0-9]{1,12})?$/;

/** A negative value other than zero ("-0", "-0.00" are zero). ClickHouse reads test the decimal (< 0) instead. */
export const NEGATIVE_NUMBER = /^-.*[1-9]/;

/**
 * Why `value` is not a metered number that ingest accepts, or null when it is one. A negative
 * value is refused unless the meter reading it allows negatives.
 */
export function meteredNumberProblem(value: unknown, opts: { allowNegative?: boolean } = {}): string | null {
  const text = numericText(value);
  if (text === null) return 'must be a number or a decimal string';
  if (INGEST_NUMBER.test(text)) return !opts.allowNegative && NEGATIVE_NUMBER.test(text) ? 'must not be negative' : null;
  if (!/^-?[0-9]+(\.[0-9]+)?$/.test(text))
    return `must be a number or a decimal string such as "12.5" (got ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)})`;
  const [whole = '', fraction = ''] = text.replace('-', '').split('.');
  if (fraction.length > MAX_VALUE_FRACTION_DIGITS) return `must have at most ${MAX_VALUE_FRACTION_DIGITS} digits after the decimal point`;
  if (whole.length > MAX_INGEST_VALUE_INTEGER_DIGITS)
    return `must have at most ${MAX_INGEST_VALUE_INTEGER_DIGITS} digits before the decimal point (|value| < 10^15)`;
  return 'must be a number or a decimal string';
}

/**
 * The exact value of a stored metered number as reads count it, or null when reads skip it:
 * not a metered number, or negative for a meter that does not allow negatives.
 */
export function meteredNumber(value: unknown, opts: { allowNegative?: boolean } = {}): Decimal | null {
  const text = numericText(value);
  if (text === null || !METERED_NUMBER.test(text)) return null;
  if (!opts.allowNegative && NEGATIVE_NUMBER.test(text)) return null;
  return new Decimal(text);
}

/**
 * The canonical text of a decimal: no exponent, no trailing fractional zeros, no "-0".
 * ClickHouse prints Decimal(…, 12) with all 12 places ("5.000000000000"); both it and
 * decimal.js results go through here so every API value has one spelling.
 */
export function canonicalDecimal(text: string): string {
  let t = text.trim();
  if (t.includes('.')) t = t.replace(/0+$/, '').replace(/\.$/, '');
  if (/^-0*$/.test(t)) return '0';
  return t;
}

export function decimalText(value: Decimal): string {
  return canonicalDecimal(value.toFixed());
}
