import { Decimal } from '../money/index.ts';
import { numericText } from './lossless-json.ts';

/**
 * A metered value: a JSON number or a decimal string with at most 26 integer and 12
 * fractional digits, so it fits ClickHouse's Decimal128(38, 12) exactly. The same pattern
 * is written in RE2 syntax in db/clickhouse/usage-query.ts; a value that does not match is
 * refused at ingest and ignored by reads (it can only be there if it was stored before a
 * meter started reading that property).
 */
export const MAX_VALUE_INTEGER_DIGITS = 26;
export const MAX_VALUE_FRACTION_DIGITS = 12;
export const METERED_NUMBER = /^-?[0-9]{1,26}(\.[0-9]{1,12})?$/;

/** Why `value` is not a metered number, or null when it is one. */
export function meteredNumberProblem(value: unknown): string | null {
  const text = numericText(value);
  if (text === null) return 'must be a number or a decimal string';
  if (METERED_NUMBER.test(text)) return null;
  if (!/^-?[0-9]+(\.[0-9]+)?$/.test(text)) return `must be a number or a decimal string such as "12.5" (got ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)})`;
  const [whole = '', fraction = ''] = text.replace('-', '').split('.');
  if (fraction.length > MAX_VALUE_FRACTION_DIGITS) return `must have at most ${MAX_VALUE_FRACTION_DIGITS} digits after the decimal point`;
  if (whole.length > MAX_VALUE_INTEGER_DIGITS) return `must have at most ${MAX_VALUE_INTEGER_DIGITS} digits before the decimal point`;
  return 'must be a number or a decimal string';
}

/** The exact value of a metered number, or null when it is not one. */
export function meteredNumber(value: unknown): Decimal | null {
  const text = numericText(value);
  return text !== null && METERED_NUMBER.test(text) ? new Decimal(text) : null;
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
