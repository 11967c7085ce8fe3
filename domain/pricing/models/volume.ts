import type { Decimal } from '../../money/index.ts';
import type { VolumeCharge } from '../charge-schema.ts';
import { tierContains, toPriceTiers } from '../price-tiers.ts';
import type { ModelRating } from '../rating.ts';

/**
 * Every unit at the price of the one tier that contains the total, plus that tier's flatFee.
 * Zero usage falls in the first tier (it pays the first tier's flatFee). A total exactly at a
 * tier's upTo belongs to that tier, not the next.
 */
export function priceVolume(charge: VolumeCharge, quantity: Decimal): ModelRating {
  const tiers = toPriceTiers(charge.tiers);
  // The schema guarantees a last, unbounded tier, so a match always exists.
  const tier = quantity.isZero() ? tiers[0]! : tiers.find((t) => tierContains(t, quantity))!;
  const amount = quantity.times(tier.unitPrice).plus(tier.flatFee);
  return {
    amount,
    tiers: [{ tier: tier.index, from: tier.from, upTo: tier.upTo, quantity, unitPrice: tier.unitPrice, flatFee: tier.flatFee, amount }],
  };
}
