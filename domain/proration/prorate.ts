import decimalJsDefault from 'decimal.js';
import type { Decimal as DecimalJsInstance } from 'decimal.js';
import { Decimal, toDecimal } from '../money/index.ts';
import type { DecimalLike } from '../money/index.ts';
import { periodLengthMs } from '../periods/index.ts';
import type { Period } from '../periods/index.ts';

// See money/decimal.ts for why the constructor is taken this way.
const DecimalJs = decimalJsDefault as unknown as typeof DecimalJsInstance;

// The quotient is first computed by truncation with far more digits than kept, then rounded
// half-up once. Truncating first cannot fake a tie, so the result is the correctly rounded value.
const TRUNCATING_DIGITS = 200;
const Truncating = DecimalJs.clone({ precision: TRUNCATING_DIGITS, rounding: DecimalJs.ROUND_DOWN });
// Fractional digits kept beyond the amount's own when the quotient does not terminate sooner:
// far below a minor unit, and few enough that a share of an amount under 1e30 with 12 fractional
// digits stays within the 100 significant digits of Decimal.
const GUARD_DIGITS = 40;

/**
 * amount × partMs / wholeMs: the share of a charge for part of its period, by exact elapsed time.
 *
 * Division is the one inexact step in the domain, so the result keeps enough fractional digits
 * (at least 40 more than the amount has) that it is either exact (the quotient terminates within
 * them) or cannot sit exactly on a rounding tie. With no ties, the two parts of any split round to values that add up to the whole
 * exactly: prorate(a, t, L) + prorate(a, L − t, L) = a, before any minor-unit rounding.
 */
export function prorate(amount: DecimalLike, partMs: number, wholeMs: number): Decimal {
  if (!Number.isSafeInteger(wholeMs) || wholeMs <= 0) throw new RangeError('the whole period must be a positive whole number of ms');
  if (!Number.isSafeInteger(partMs) || partMs < 0 || partMs > wholeMs) {
    throw new RangeError('the part must be a whole number of ms between 0 and the whole period');
  }
  const value = toDecimal(amount);
  const scale = value.decimalPlaces() + Math.max(terminatingDigits(BigInt(partMs), BigInt(wholeMs)), GUARD_DIGITS);
  if (Math.max(value.e, 0) + 1 + scale + 1 > TRUNCATING_DIGITS) throw new RangeError('amount too large to prorate exactly');
  const share = new Truncating(value).times(partMs).dividedBy(wholeMs);
  return new Decimal(share.toDecimalPlaces(scale, DecimalJs.ROUND_HALF_UP));
}

/** The share of `amount` that a part of `period` carries (the part lies within the period). */
export function prorateForPart(amount: DecimalLike, period: Period, part: Period): Decimal {
  const inside = period.start.getTime() <= part.start.getTime() && part.end.getTime() <= period.end.getTime();
  if (!inside || periodLengthMs(part) < 0) throw new RangeError('the part must lie within the period');
  return prorate(amount, periodLengthMs(part), periodLengthMs(period));
}

// Fractional digits that part/whole needs at most when its decimal expansion terminates: the
// larger power of 2 or 5 left in the reduced denominator. Both sides of a split (t and L − t)
// share gcd with L, so they get the same scale, which the exact-sum property relies on.
function terminatingDigits(part: bigint, whole: bigint): number {
  let denominator = whole / gcd(part, whole);
  let twos = 0;
  let fives = 0;
  while (denominator % 2n === 0n) {
    denominator /= 2n;
    twos += 1;
  }
  while (denominator % 5n === 0n) {
    denominator /= 5n;
    fives += 1;
  }
  return Math.max(twos, fives);
}

function gcd(a: bigint, b: bigint): bigint {
  return b === 0n ? a : gcd(b, a % b);
}
