import { Decimal, ZERO, toDecimal } from '../money/index.ts';
import type { DecimalLike } from '../money/index.ts';
import { chargeModelFor } from './charge-model-factory.ts';
import type { Charge } from './charge-schema.ts';
import type { ChargeRating, ModelRating } from './rating.ts';

/** Scales an amount or a quantity to a part of its period, exactly. */
export type PartShare = (whole: Decimal) => Decimal;

/**
 * Rates one charge for one period's usage: free units first, then the charge's model on the
 * rest as if it were the whole usage, then the minimum. The amount is exact; the invoice line
 * rounds it once. With `share`, the charge's fixed parts (a flat amount, tier flat fees, the
 * minimum) and its free units are scaled by it first, for a part of a period; unit prices and
 * tier boundaries stay as they are.
 */
export function rateCharge(charge: Charge, usage: DecimalLike, share?: PartShare): ChargeRating {
  const quantity = toDecimal(usage, { nonNegative: true });
  // Strings are checked by the parse above; a Decimal from a caller is checked here.
  if (quantity.lt(0)) throw new RangeError(`usage for meter ${charge.meter} must not be negative`);
  // freeUnits does not exist on flat charges: a fixed amount has no units to give away.
  const free = charge.model === 'flat' ? ZERO : toDecimal(charge.freeUnits ?? '0');
  const freeUnits = Decimal.min(share ? share(free) : free, quantity);
  const billableQuantity = charge.model === 'flat' ? quantity : quantity.minus(freeUnits);

  const priced = chargeModelFor(charge)(billableQuantity);
  const rated = share ? shareFixed(charge, priced, share) : priced;
  const minimum = share ? share(toDecimal(charge.minimum ?? '0')) : toDecimal(charge.minimum ?? '0');
  const minimumTopUp = Decimal.max(minimum.minus(rated.amount), ZERO);
  return {
    ...rated,
    meter: charge.meter,
    model: charge.model,
    quantity,
    freeUnits,
    billableQuantity,
    modelAmount: rated.amount,
    minimumTopUp,
    amount: rated.amount.plus(minimumTopUp),
  };
}

// A flat amount is fixed as a whole; a tiered charge's fixed part is the flat fee of each tier it reached.
function shareFixed(charge: Charge, rated: ModelRating, share: PartShare): ModelRating {
  if (charge.model === 'flat') return { ...rated, amount: share(rated.amount) };
  const tiers = rated.tiers.map((t) => {
    const flatFee = share(t.flatFee);
    return { ...t, flatFee, amount: t.amount.minus(t.flatFee).plus(flatFee) };
  });
  const amount = rated.tiers.reduce((sum, t, i) => sum.minus(t.amount).plus(tiers[i]!.amount), rated.amount);
  return { ...rated, tiers, amount };
}
