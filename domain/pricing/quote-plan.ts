import { ZERO, formatAmount, roundToMinor, toDecimal, toDecimalString } from '../money/index.ts';
import type { CurrencyCode, DecimalLike } from '../money/index.ts';
import type { ChargeModel } from './charge-schema.ts';
import type { Plan } from './plan-schema.ts';
import { rateCharge } from './rate-charge.ts';
import type { TierLine } from './rating.ts';

/** What a quote needs from a plan; a full Plan fits. */
export type QuotablePlan = Pick<Plan, 'currency' | 'baseFee' | 'charges'>;

/** Usage per meter code for the period; a meter that is absent counts as zero. */
export type Usage = Readonly<Record<string, DecimalLike>>;

export interface QuoteTierLine {
  tier: number;
  upTo: string | null;
  quantity: string;
  unitPrice: string;
  flatFee: string;
  /** Exact, not rounded: only the line as a whole is rounded. */
  amount: string;
}

export interface QuoteLine {
  meter: string;
  model: ChargeModel;
  /** The usage as measured (before free units). */
  quantity: string;
  /** The charge rounded once, half-up, to the currency's minor unit. */
  amount: string;
  tiers?: QuoteTierLine[];
}

/** All amounts are decimal strings with exactly the currency's minor-unit digits. */
export interface Quote {
  currency: CurrencyCode;
  baseFee: string;
  lines: QuoteLine[];
  /** Rounded base fee + the sum of the rounded lines. */
  subtotal: string;
  /** round(subtotal × taxRate). */
  tax: string;
  /** subtotal + tax: a printed quote or invoice always adds up. */
  total: string;
}

/**
 * Prices one period of a plan for the given usage. Billing and the quote endpoint both call
 * this, so an invoice and a quote for the same usage agree to the minor unit.
 * taxRate is a fraction (0.2 for 20 %).
 */
export function quotePlan(plan: QuotablePlan, usage: Usage, taxRate: DecimalLike): Quote {
  const { currency } = plan;
  const rate = toDecimal(taxRate);
  if (rate.lt(0) || rate.gt(1)) throw new RangeError('taxRate must be a fraction from 0 to 1');

  const baseFee = roundToMinor(plan.baseFee, currency);
  let subtotal = baseFee;
  const lines = plan.charges.map((charge): QuoteLine => {
    const rating = rateCharge(charge, Object.hasOwn(usage, charge.meter) ? usage[charge.meter]! : ZERO);
    const amount = roundToMinor(rating.amount, currency);
    subtotal = subtotal.plus(amount);
    const line: QuoteLine = {
      meter: charge.meter,
      model: charge.model,
      quantity: toDecimalString(rating.quantity),
      amount: formatAmount(amount, currency),
    };
    if (charge.model === 'graduated' || charge.model === 'volume') line.tiers = rating.tiers.map(tierLineText);
    return line;
  });
  const tax = roundToMinor(subtotal.times(rate), currency);

  return {
    currency,
    baseFee: formatAmount(baseFee, currency),
    lines,
    subtotal: formatAmount(subtotal, currency),
    tax: formatAmount(tax, currency),
    total: formatAmount(subtotal.plus(tax), currency),
  };
}

function tierLineText(line: TierLine): QuoteTierLine {
  return {
    tier: line.tier,
    upTo: line.upTo === null ? null : toDecimalString(line.upTo),
    quantity: toDecimalString(line.quantity),
    unitPrice: toDecimalString(line.unitPrice),
    flatFee: toDecimalString(line.flatFee),
    amount: toDecimalString(line.amount),
  };
}

