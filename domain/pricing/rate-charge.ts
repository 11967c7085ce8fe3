import { Decimal, ZERO, toDecimal } from '../money/index.ts';
import type { DecimalLike } from '../money/index.ts';
import { chargeModelFor } from './charge-model-factory.ts';
import type { Charge } from './charge-schema.ts';
import type { ChargeRating } from './rating.ts';

/**
 * Rates one charge for one period's usage: free units first, then the charge's model on the
 * rest as if it were the whole usage, then the minimum. The amount is exact; the invoice line
 * rounds it once.
 */
export function rateCharge(charge: Charge, usage: DecimalLike): ChargeRating {
  const quantity = toDecimal(usage, { nonNegative: true });
  // Strings are checked by the parse above; a Decimal from a caller is checked here.
  if (quantity.lt(0)) throw new RangeError(`usage for meter ${charge.meter} must not be negative`);
  // freeUnits does not exist on flat charges: a fixed amount has no units to give away.
  const free = charge.model === 'flat' ? ZERO : toDecimal(charge.freeUnits ?? '0');
  const freeUnits = Decimal.min(free, quantity);
  const billableQuantity = charge.model === 'flat' ? quantity : quantity.minus(freeUnits);

  const rated = chargeModelFor(charge)(billableQuantity);
  const minimum = toDecimal(charge.minimum ?? '0');
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
