import { Decimal, ZERO, formatAmount, roundToMinor, storedAmountProblem, toDecimalString } from '../money/index.ts';
import type { CurrencyCode, DecimalLike } from '../money/index.ts';
import type { Charge, ChargeModel } from './charge-schema.ts';
import type { Plan } from './plan-schema.ts';
import { rateCharge } from './rate-charge.ts';
import { dimensionsOf, isRateCard, pricingFor, ratedValues, type DimensionValue } from './rate-card.ts';
import { tierBreakdown, totalsWithTax, type TierBreakdown } from './priced-amounts.ts';

/** What a quote needs from a plan; a full Plan fits. */
export type QuotablePlan = Pick<Plan, 'currency' | 'baseFee' | 'charges'>;

/**
 * Usage per meter code for the period; a meter that is absent counts as zero. A rate card's meter
 * may take its usage per value of the charge's `priceBy` property (`{"large": "1000"}`); a plain
 * quantity for it is usage without the property, priced by the fallback.
 */
export type Usage = Readonly<Record<string, MeterQuantity>>;

/**
 * A meter's quantity, or a rate card's per value: an object keyed by value (as the API takes it),
 * or a map whose null key is usage without the property (as the usage reader groups it).
 */
type MeterQuantity = DecimalLike | Readonly<Record<string, DecimalLike>> | ReadonlyMap<DimensionValue, DecimalLike>;

const isQuantity = (u: MeterQuantity): u is DecimalLike => typeof u === 'string' || typeof u === 'bigint' || Decimal.isDecimal(u);

/** A quote line's tier breakdown (the same shape invoices show). */
export type QuoteTierLine = TierBreakdown;

export interface QuoteLine {
  meter: string;
  model: ChargeModel;
  /** The usage as measured (before free units). */
  quantity: string;
  /** The charge rounded once, half-up, to the currency's minor unit. */
  amount: string;
  tiers?: QuoteTierLine[];
  /** A rate card's line: the value it prices, `{"<priceBy>": "<value>"}` (null: usage without the property). */
  dimensions?: Record<string, DimensionValue>;
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
  const baseFee = roundToMinor(plan.baseFee, currency);
  let subtotal = baseFee;
  const lines = plan.charges.flatMap((charge): QuoteLine[] => {
    const given = Object.hasOwn(usage, charge.meter) ? usage[charge.meter]! : ZERO;
    if (!isRateCard(charge)) {
      if (!isQuantity(given)) throw new RangeError(`usage for meter ${charge.meter} must be a quantity: its charge has no rates`);
      return [quoteLine(charge, given)];
    }
    const byValue: ReadonlyMap<DimensionValue, DecimalLike> =
      given instanceof Map ? given : new Map(isQuantity(given) ? [[null, given]] : Object.entries(given));
    return ratedValues(charge, byValue.keys()).map((value) => ({
      ...quoteLine(pricingFor(charge, value), byValue.get(value) ?? ZERO),
      dimensions: dimensionsOf(charge, value),
    }));
  });
  function quoteLine(charge: Charge, quantity: DecimalLike): QuoteLine {
    const rating = rateCharge(charge, quantity);
    const amount = roundToMinor(rating.amount, currency);
    subtotal = subtotal.plus(amount);
    const line: QuoteLine = {
      meter: charge.meter,
      model: charge.model,
      quantity: toDecimalString(rating.quantity),
      amount: formatAmount(amount, currency),
    };
    const tiers = tierBreakdown(charge, rating);
    if (tiers) line.tiers = tiers;
    return line;
  }
  return { currency, baseFee: formatAmount(baseFee, currency), lines, ...totalsWithTax(subtotal, taxRate, currency) };
}

/**
 * Why `usage` does not fit the plan's charges, naming the field (`usage.<meter>`), or null: per-value
 * usage is for rate cards only.
 */
export function quoteUsageProblem(plan: QuotablePlan, usage: Usage): { field: string; message: string } | null {
  for (const charge of plan.charges) {
    const given = Object.hasOwn(usage, charge.meter) ? usage[charge.meter]! : undefined;
    if (given !== undefined && !isQuantity(given) && !isRateCard(charge))
      return { field: `usage.${charge.meter}`, message: 'must be a quantity: the charge of this meter has no rates (no priceBy)' };
  }
  return null;
}

/**
 * The first amount of a quote that an invoice could not hold (bigint minor units), or null.
 * `meter` is the charge whose line it is; null for the base fee and the totals. Billing the same
 * usage would fail that invoice, so a quote for it is refused rather than promised.
 */
export function quoteRangeProblem(quote: Quote): { meter: string | null; message: string } | null {
  const base = storedAmountProblem(quote.baseFee, quote.currency, "the plan's base fee");
  if (base) return { meter: null, message: base };
  for (const line of quote.lines) {
    const problem = storedAmountProblem(line.amount, quote.currency, `the ${line.meter} charge`);
    if (problem) return { meter: line.meter, message: problem };
  }
  for (const [what, amount] of [
    ['the subtotal', quote.subtotal],
    ['the tax', quote.tax],
    ['the total', quote.total],
  ] as const) {
    const problem = storedAmountProblem(amount, quote.currency, what);
    if (problem) return { meter: null, message: problem };
  }
  return null;
}
