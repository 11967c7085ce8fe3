import { toDecimal } from '../../money/index.ts';
import type { Decimal } from '../../money/index.ts';
import type { FlatCharge } from '../charge-schema.ts';
import type { ModelRating } from '../rating.ts';

/** A fixed amount per period, whatever the usage. */
export function priceFlat(charge: FlatCharge, _quantity: Decimal): ModelRating {
  return { amount: toDecimal(charge.amount), tiers: [] };
}
