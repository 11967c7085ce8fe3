import { Decimal, toDecimal } from '../../money/index.ts';
import type { PackageCharge } from '../charge-schema.ts';
import type { ModelRating } from '../rating.ts';

/**
 * ceil(quantity / packageSize) × packagePrice. A started package is a whole package, fractional
 * quantities included (0.1 unit buys one package); zero usage buys none.
 */
export function pricePackage(charge: PackageCharge, quantity: Decimal): ModelRating {
  const size = toDecimal(String(charge.packageSize));
  // Integer division and remainder are exact, where a rounded quotient might not be.
  const whole = quantity.dividedToIntegerBy(size);
  const packages = quantity.mod(size).isZero() ? whole : whole.plus(new Decimal('1'));
  return { amount: packages.times(toDecimal(charge.packagePrice)), tiers: [], packages };
}
