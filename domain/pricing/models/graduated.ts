import { ZERO } from '../../money/index.ts';
import type { Decimal } from '../../money/index.ts';
import type { GraduatedCharge } from '../charge-schema.ts';
import { toPriceTiers } from '../price-tiers.ts';
import type { ModelRating, TierLine } from '../rating.ts';

/**
 * Each unit at the price of the tier it falls in, plus the flatFee of every tier reached.
 * A tier is reached when the quantity exceeds its lower edge; the first tier is always reached,
 * so zero usage still pays the first tier's flatFee. Quantities are continuous: 100.5 against
 * upTo 100 puts 100 in the first tier and 0.5 in the next.
 */
export function priceGraduated(charge: GraduatedCharge, quantity: Decimal): ModelRating {
  const lines: TierLine[] = [];
  for (const tier of toPriceTiers(charge.tiers)) {
    if (tier.index > 0 && quantity.lte(tier.from)) break;
    const top = tier.upTo === null || quantity.lt(tier.upTo) ? quantity : tier.upTo;
    const inTier = top.minus(tier.from);
    lines.push({
      tier: tier.index,
      from: tier.from,
      upTo: tier.upTo,
      quantity: inTier,
      unitPrice: tier.unitPrice,
      flatFee: tier.flatFee,
      amount: inTier.times(tier.unitPrice).plus(tier.flatFee),
    });
  }
  const amount = lines.reduce((sum, line) => sum.plus(line.amount), ZERO);
  return { amount, tiers: lines };
}
