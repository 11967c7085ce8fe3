import { toDecimal } from '../../money/index.ts';
import type { Decimal } from '../../money/index.ts';
import type { PerUnitCharge } from '../charge-schema.ts';
import type { ModelRating } from '../rating.ts';

/** quantity × unitPrice; nothing at zero usage. */
export function pricePerUnit(charge: PerUnitCharge, quantity: Decimal): ModelRating {
  return { amount: quantity.times(toDecimal(charge.unitPrice)), tiers: [] };
}
