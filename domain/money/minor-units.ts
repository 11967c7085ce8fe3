import { Decimal } from './decimal.ts';
import type { DecimalLike } from './decimal.ts';
import { toDecimal } from './decimal-string.ts';
import { minorUnitDigits } from './currency.ts';
import type { CurrencyCode } from './currency.ts';

/**
 * Rounds once, half-up (away from zero at exactly .5), to the currency's minor unit.
 * This is the only rounding an invoice line, a base fee or a tax amount gets.
 */
export function roundToMinor(amount: DecimalLike, currency: CurrencyCode): Decimal {
  return toDecimal(amount).toDecimalPlaces(minorUnitDigits(currency), Decimal.ROUND_HALF_UP);
}

/**
 * An already rounded amount as integer minor units (12.30 USD → 1230n). Throws instead of
 * rounding, so a forgotten roundToMinor cannot hide a second, silent rounding.
 */
export function toMinorUnits(amount: DecimalLike, currency: CurrencyCode): bigint {
  const scaled = toDecimal(amount).times(new Decimal(10).pow(minorUnitDigits(currency)));
  if (!scaled.isInteger()) {
    throw new RangeError(`${toDecimal(amount).toFixed()} ${currency} has more digits than its minor unit; round it first`);
  }
  return BigInt(scaled.toFixed(0));
}

/** Integer minor units back to an amount (1230n USD → 12.3). */
export function fromMinorUnits(minor: bigint, currency: CurrencyCode): Decimal {
  return new Decimal(minor.toString()).dividedBy(new Decimal(10).pow(minorUnitDigits(currency)));
}

/**
 * The amount as a decimal string with exactly the currency's digits ("12.30", "1235", "0.125").
 * Rounds half-up, which is a no-op for amounts that were already rounded to the minor unit.
 */
export function formatAmount(amount: DecimalLike, currency: CurrencyCode): string {
  const rounded = roundToMinor(amount, currency);
  // Never print "-0.00": a value that rounds to zero is zero.
  return (rounded.isZero() ? rounded.abs() : rounded).toFixed(minorUnitDigits(currency));
}
