// fast-check generators shared by the domain's property tests (test code only).
import fc from 'fast-check';
import { Decimal } from '../../domain/money/index.ts';

/** A non-negative decimal string with up to `maxScale` fractional digits, e.g. "1234.5". */
export function decimalText(options: { max?: bigint; maxScale?: number } = {}): fc.Arbitrary<string> {
  const { max = 10n ** 9n, maxScale = 12 } = options;
  return fc
    .tuple(fc.bigInt({ min: 0n, max }), fc.integer({ min: 0, max: maxScale }))
    .map(([digits, scale]) => new Decimal(digits.toString()).dividedBy(new Decimal(10).pow(scale)).toFixed());
}

/** A positive decimal string (at least one smallest step above zero). */
export function positiveDecimalText(options: { max?: bigint; maxScale?: number } = {}): fc.Arbitrary<string> {
  return decimalText(options).filter((text) => new Decimal(text).gt(0));
}

/** A UTC instant between 1990 and 2060, to the millisecond. */
export const instant: fc.Arbitrary<Date> = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2060, 0, 1) }).map((ms) => new Date(ms));
