import { formatAmount, roundToMinor, toDecimal, toDecimalString, type Decimal } from '../money/index.ts';
import type { CurrencyCode, DecimalLike } from '../money/index.ts';
import type { Charge } from './charge-schema.ts';
import type { ChargeRating, TierLine } from './rating.ts';

/** One tier of a graduated or volume charge as shown on a quote or invoice line. */
export interface TierBreakdown {
  tier: number;
  upTo: string | null;
  quantity: string;
  unitPrice: string;
  flatFee: string;
  /** Exact, not rounded: only the line as a whole is rounded. */
  amount: string;
}

function tierLineText(line: TierLine): TierBreakdown {
  return {
    tier: line.tier,
    upTo: line.upTo === null ? null : toDecimalString(line.upTo),
    quantity: toDecimalString(line.quantity),
    unitPrice: toDecimalString(line.unitPrice),
    flatFee: toDecimalString(line.flatFee),
    amount: toDecimalString(line.amount),
  };
}

/** The tier breakdown a line shows: tiered models only (the others have no tiers to explain). */
export function tierBreakdown(charge: Charge, rating: ChargeRating): TierBreakdown[] | undefined {
  return charge.model === 'graduated' || charge.model === 'volume' ? rating.tiers.map(tierLineText) : undefined;
}

/**
 * tax = round(subtotal × taxRate) and total = subtotal + tax, as decimal strings with the
 * currency's digits. `subtotal` is already a sum of rounded amounts, so a printed quote or
 * invoice always adds up. taxRate is a fraction from 0 to 1.
 */
export function totalsWithTax(
  subtotal: Decimal,
  taxRate: DecimalLike,
  currency: CurrencyCode,
): { subtotal: string; tax: string; total: string } {
  const rate = toDecimal(taxRate);
  if (rate.lt(0) || rate.gt(1)) throw new RangeError('taxRate must be a fraction from 0 to 1');
  const tax = roundToMinor(subtotal.times(rate), currency);
  return {
    subtotal: formatAmount(subtotal, currency),
    tax: formatAmount(tax, currency),
    total: formatAmount(subtotal.plus(tax), currency),
  };
}
