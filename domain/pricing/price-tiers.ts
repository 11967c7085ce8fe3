import { ZERO, toDecimal } from '../money/index.ts';
import type { Decimal } from '../money/index.ts';
import type { Tier } from './tier-schema.ts';

/** A validated tier as decimals, with its exclusive lower edge made explicit. */
export interface PriceTier {
  index: number;
  from: Decimal;
  upTo: Decimal | null;
  unitPrice: Decimal;
  flatFee: Decimal;
}

export function toPriceTiers(tiers: readonly Tier[]): PriceTier[] {
  let from = ZERO;
  return tiers.map((tier, index) => {
    const upTo = tier.upTo === null ? null : toDecimal(tier.upTo);
    const priced = { index, from, upTo, unitPrice: toDecimal(tier.unitPrice), flatFee: toDecimal(tier.flatFee ?? '0') };
    if (upTo !== null) from = upTo;
    return priced;
  });
}

/** (from, upTo]: true when q is above the lower edge and at most the upper one. */
export function tierContains(tier: PriceTier, quantity: Decimal): boolean {
  return quantity.gt(tier.from) && (tier.upTo === null || quantity.lte(tier.upTo));
}
