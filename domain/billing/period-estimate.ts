import { toDecimal, type DecimalLike } from '../money/index.ts';
import { quotePlan, type QuotablePlan, type Quote } from '../pricing/index.ts';

/**
 * Reads one meter's quantity in [from, to) as an exact decimal string, or undefined when the
 * read failed and the caller already recorded why (the budget check isolates each read).
 */
export type ReadQuantity = (meter: string, from: Date, to: Date) => Promise<string | undefined>;

export type PeriodSoFar = {
  /** The usage window read: [period start, min(at, period end)). */
  from: Date;
  to: Date;
  /** The quantity read per meter the plan charges (negative aggregates count as zero). */
  usage: Record<string, string>;
  /** The plan priced for that usage: base fee + usage charges + tax, as the invoice would be. */
  quote: Quote;
};

/** The usage window of a period so far at `at`: [period start, min(at, period end)), empty before the start. */
export function periodSoFarWindow(input: { periodStart: Date; periodEnd: Date; at: Date }): { from: Date; to: Date } {
  return { from: input.periodStart, to: input.at < input.periodEnd ? input.at : input.periodEnd };
}

/**
 * The charges of a period so far: every meter the plan charges, read over the part of the period
 * that has passed at `at`, and priced with quotePlan. The budget check and the estimate route
 * both compose their figure here, so an alert and the estimate a customer sees cannot disagree.
 * Null when any read failed: a partial estimate would understate what is owed.
 */
export async function estimatePeriodSoFar(
  input: { plan: QuotablePlan; periodStart: Date; periodEnd: Date; at: Date; taxRate: DecimalLike },
  read: ReadQuantity,
): Promise<PeriodSoFar | null> {
  const { from, to } = periodSoFarWindow(input);
  const usage: Record<string, string> = {};
  let complete = true;
  // One read after another: the budget check has read every window ahead, in batches, and
  // answers from those; the estimate route reads a few meters of one subscription.
  for (const meter of new Set(input.plan.charges.map((c) => c.meter))) {
    const quantity = to > from ? await read(meter, from, to) : '0';
    if (quantity === undefined) complete = false;
    // A sum of refunds can go below zero; a period never bills less than no usage.
    else usage[meter] = toDecimal(quantity).isNegative() ? '0' : quantity;
  }
  if (!complete) return null;
  return { from, to, usage, quote: quotePlan(input.plan, usage, input.taxRate) };
}
