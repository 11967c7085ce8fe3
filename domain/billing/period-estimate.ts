import { toDecimal, type DecimalLike } from '../money/index.ts';
import { isRateCard, quotePlan, type DimensionValue, type Plan, type QuotablePlan, type Quote } from '../pricing/index.ts';
import type { MeteredUsage } from './invoice-lines.ts';

/**
 * Reads one meter's usage in [from, to) (with each value of `groupBy` when given: a rate card's
 * priceBy), or undefined when the read failed and the caller already recorded why (the budget
 * check isolates each read).
 */
export type ReadUsage = (meter: string, from: Date, to: Date, groupBy: readonly string[] | undefined) => Promise<MeteredUsage | undefined>;

export type PeriodSoFar = {
  /** The usage window read: [period start, min(at, period end)). */
  from: Date;
  to: Date;
  /** The quantity read per meter the plan charges (negative aggregates count as zero). */
  usage: Record<string, string>;
  /** The plan priced for that usage: base fee + usage charges + tax, as the invoice would be. */
  quote: Quote;
};

/** The property a meter's usage is read by under `plan`: its rate card's priceBy (a plan charges each meter once). */
export function groupByOf(plan: Pick<Plan, 'charges'>, meter: string): { groupBy?: string[] } {
  const charge = plan.charges.find((c) => c.meter === meter);
  return charge && isRateCard(charge) ? { groupBy: [charge.priceBy] } : {};
}

/** The usage window of a period so far at `at`: [period start, min(at, period end)), empty before the start. */
export function periodSoFarWindow(input: { periodStart: Date; periodEnd: Date; at: Date }): { from: Date; to: Date } {
  return { from: input.periodStart, to: input.at < input.periodEnd ? input.at : input.periodEnd };
}

// A sum of refunds can go below zero; a period (or a value of a rate card) never bills less than no usage.
const atLeastZero = (quantity: string) => (toDecimal(quantity).isNegative() ? '0' : quantity);

/**
 * The charges of a period so far: every meter the plan charges, read over the part of the period
 * that has passed at `at`, and priced with quotePlan. A rate card's meter is read per value of its
 * priceBy and priced per value, as its invoice lines are. The budget check and the estimate route
 * both compose their figure here, so an alert and the estimate a customer sees cannot disagree.
 * Null when any read failed: a partial estimate would understate what is owed.
 */
export async function estimatePeriodSoFar(
  input: { plan: QuotablePlan; periodStart: Date; periodEnd: Date; at: Date; taxRate: DecimalLike },
  read: ReadUsage,
): Promise<PeriodSoFar | null> {
  const { from, to } = periodSoFarWindow(input);
  const usage: Record<string, string> = {};
  const priced: Record<string, string | ReadonlyMap<DimensionValue, string>> = {};
  let complete = true;
  // One read after another: the budget check has read every window ahead, in batches, and
  // answers from those; the estimate route reads a few meters of one subscription.
  for (const meter of new Set(input.plan.charges.map((c) => c.meter))) {
    const property = groupByOf(input.plan, meter).groupBy?.[0];
    const measured = to > from ? await read(meter, from, to, property === undefined ? undefined : [property]) : null;
    if (measured === undefined) {
      complete = false;
      continue;
    }
    usage[meter] = atLeastZero(measured?.quantity ?? '0');
    if (property === undefined) priced[meter] = usage[meter];
    else {
      const values = measured ? measured.dimensions?.[property] : [];
      if (!values) throw new RangeError(`usage of meter ${meter} was read without its ${property} values, which the rate card prices by`);
      priced[meter] = new Map(values.map((v) => [v.value, atLeastZero(v.quantity)]));
    }
  }
  if (!complete) return null;
  return { from, to, usage, quote: quotePlan(input.plan, priced, input.taxRate) };
}

/**
 * Measured usage with `quantity` more on top: what the period would read after an authorized
 * quantity is used. An authorization names no rate-card value, so on a rate card the quantity
 * joins the usage without a value (priced at the card's fallback, as such events are).
 */
export function withMoreUsage(measured: MeteredUsage, quantity: DecimalLike, property?: string): MeteredUsage {
  const more = toDecimal(quantity);
  const total: MeteredUsage = { ...measured, quantity: toDecimal(measured.quantity).plus(more).toFixed() };
  if (property === undefined) return total;
  const values = measured.dimensions?.[property] ?? [];
  const valueless = values.find((v) => v.value === null);
  const next = valueless
    ? values.map((v) => (v === valueless ? { ...v, quantity: toDecimal(v.quantity).plus(more).toFixed() } : v))
    : [...values, { value: null, quantity: more.toFixed(), eventCount: '0' }];
  return { ...total, dimensions: { ...measured.dimensions, [property]: next } };
}
