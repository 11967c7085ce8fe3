import { Decimal, ZERO, formatAmount, roundToMinor, toDecimal, toDecimalString } from '../money/index.ts';
import type { CurrencyCode, DecimalLike } from '../money/index.ts';
import { dimensionsOf, isRateCard, pricingFor, rateCharge, ratedValues, tierBreakdown, totalsWithTax } from '../pricing/index.ts';
import type { Charge, ChargeModel, ChargeRating, DimensionValue, Plan, TierBreakdown } from '../pricing/index.ts';

export type { TierBreakdown } from '../pricing/index.ts';
import { prorateForPart } from '../proration/index.ts';
import type { Period } from '../periods/index.ts';
import { partRuns } from './runs.ts';

export const INVOICE_LINE_TYPES = ['base_fee', 'usage', 'proration', 'adjustment', 'credit'] as const;
export type InvoiceLineType = (typeof INVOICE_LINE_TYPES)[number];

/** A meter's usage inside one window, as the usage reader measured it (deduplicated). */
export interface MeteredUsage {
  quantity: string;
  eventCount: string;
  /**
   * Per groupBy property of the meter that a rate card prices by: the usage of each value (null:
   * events without the property), as the reader grouped it. Absent on usage read for plain charges.
   */
  dimensions?: Readonly<Record<string, readonly DimensionUsage[]>>;
}

/** One value's share of a meter's usage in a window. */
export interface DimensionUsage {
  value: DimensionValue;
  quantity: string;
  eventCount: string;
}

/** A line's dimensions: `{"<priceBy>": "<value>"}` on a rate card's line. */
export type LineDimensions = Readonly<Record<string, DimensionValue>>;

const NO_USAGE: MeteredUsage = { quantity: '0', eventCount: '0' };

/** The usage of one value of `property` inside `usage`; zero when the value had none. */
export function usageOfValue(usage: MeteredUsage, property: string, value: DimensionValue): MeteredUsage {
  const groups = usage.dimensions?.[property];
  if (!groups) throw new RangeError(`usage was read without its ${property} values, which the rate card prices by`);
  const found = groups.find((g) => g.value === value);
  return found ? { quantity: found.quantity, eventCount: found.eventCount } : NO_USAGE;
}

/** The one (property, value) of a rate card's line dimensions. */
export function dimensionOf(dimensions: LineDimensions): { property: string; value: DimensionValue } {
  const [entry, ...rest] = Object.entries(dimensions);
  if (!entry || rest.length) throw new RangeError('a rate card line has exactly one dimension');
  return { property: entry[0], value: entry[1] };
}

/** One part of an invoiced period under one plan version. */
export interface InvoicePart {
  /** [from, to) inside the period. */
  window: Period;
  plan: Pick<Plan, 'name' | 'currency' | 'baseFee' | 'charges'>;
  planRef: { planId: string; version: number };
  /** Usage by meter code inside `window`; a meter that is absent counts as zero. */
  usage: Readonly<Record<string, MeteredUsage>>;
  /**
   * The run of parts under this plan version that the part continues (see partRuns): its start,
   * whether its terms are prorated, and per meter what came before the part in the run. Absent:
   * the part is its own run (nothing billed before it under this version in the period).
   */
  run?: PartRun;
}

/** Where a part's run starts, how its terms apply, and what earlier parts of the run measured and billed. */
export interface PartRun {
  from: Date;
  prorated: boolean;
  /**
   * Per meter: the usage in [from, window.start) as known now, and Σ of what stored invoices billed
   * for it; for a rate card, also what they billed per value (the usage carries its values).
   */
  earlier?: Readonly<Record<string, EarlierInRun>>;
}

export interface EarlierInRun {
  usage: MeteredUsage;
  billed: DecimalLike;
  billedByValue?: readonly { value: DimensionValue; billed: DecimalLike }[];
}

/** What re-rating a usage line needs later (late usage): the charge as billed and the period it prorates against. */
export interface LineRatingContext {
  /** The charge as the plan has it: a rate card with all its rates (the line's dimensions say which value it billed). */
  charge: Charge;
  period: { start: string; end: string };
  /**
   * Set on lines rated cumulatively: the start of the run of parts under one plan version that
   * the line counts from. Re-rating covers [from, the run's last billed end) and subtracts every
   * line of the run. Lines without it were rated on their window alone.
   */
  from?: string;
  /** With `from`: the end of the part the line bills (for an adjustment, of the run's last part). */
  to?: string;
  /** Whether the run's fixed amounts and free units were prorated by elapsed time. */
  prorated?: boolean;
}

/**
 * Set on a prorated base-fee line: the run it counts from (as on a charge's cumulative line), so a
 * later part of the run finds it even when the plan has no charges.
 */
export interface BaseFeeRunContext {
  period: { start: string; end: string };
  from: string;
  to: string;
}

export interface InvoiceLineDraft {
  type: InvoiceLineType;
  description: string;
  meter?: string;
  model?: ChargeModel;
  quantity?: string;
  unitPrice?: string;
  tiers?: TierBreakdown[];
  /** A rate card's line: the value it bills (see domain/pricing/rate-card.ts). */
  dimensions?: LineDimensions;
  /** Rounded once, half-up, to the currency's minor unit; a decimal string with the currency's digits. */
  amount: string;
  planRef?: { planId: string; version: number };
  /** The usage window and deduplicated event count behind a usage or adjustment line. */
  usage?: { from: Date; to: Date; eventCount: string };
  rating?: LineRatingContext | BaseFeeRunContext;
}

const isWhole = (period: Period, window: Period) =>
  period.start.getTime() === window.start.getTime() && period.end.getTime() === window.end.getTime();

/**
 * Rates a charge for a window of its period. A whole period is rateCharge exactly. For a part of a
 * period (a plan change, cancellation or invoice-now), fixed amounts are prorated by exact elapsed
 * time: a flat charge's amount and any charge's minimum. Usage is priced as measured in the window,
 * with tiers and free units counting from zero, as domain/proration states.
 * The returned amount is exact; the line rounds it once.
 */
export function rateChargeForWindow(
  charge: Charge,
  quantity: DecimalLike,
  period: Period,
  window: Period,
): { rating: ChargeRating; amount: Decimal; prorated: boolean } {
  if (isWhole(period, window)) {
    const rating = rateCharge(charge, quantity);
    return { rating, amount: rating.amount, prorated: false };
  }
  if (charge.model === 'flat') {
    const rating = rateCharge(charge, quantity);
    return { rating, amount: prorateForPart(rating.amount, period, window), prorated: true };
  }
  const rating = rateCharge({ ...charge, minimum: undefined }, quantity);
  if (charge.minimum === undefined) return { rating, amount: rating.amount, prorated: false };
  const minimum = prorateForPart(charge.minimum, period, window);
  return { rating, amount: Decimal.max(rating.amount, minimum), prorated: true };
}

/**
 * Rates a charge for the usage of [span.start, span.end), a run of parts under one plan version.
 * A run over the whole period is rateCharge exactly. A run with prorated terms (a plan change
 * starts or ends it) scales fixed amounts and free units to the run's elapsed time. Otherwise
 * the period's terms apply in full (free units, tiers, tier flat fees and the minimum count once
 * per period), except a flat charge, a fixed fee, which is prorated by the run's elapsed time.
 * Exact; the line rounds it once.
 */
export function rateChargeForRun(
  charge: Charge,
  quantity: DecimalLike,
  period: Period,
  span: Period,
  prorated: boolean,
): { rating: ChargeRating; amount: Decimal } {
  const scaled = !isWhole(period, span) && (prorated || charge.model === 'flat');
  const rating = rateCharge(charge, quantity, scaled ? (whole) => prorateForPart(whole, period, span) : undefined);
  return { rating, amount: rating.amount };
}

/** "2026-01-31" for a midnight instant, else the ISO instant. */
export function formatInstant(at: Date): string {
  const iso = at.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.replace('.000Z', 'Z');
}

export const formatWindow = (w: Period) => `${formatInstant(w.start)} – ${formatInstant(w.end)}`;

function unitPriceOf(charge: Charge): string | undefined {
  switch (charge.model) {
    case 'per_unit':
      return charge.unitPrice;
    case 'package':
      return charge.packagePrice;
    case 'flat':
      return charge.amount;
    default:
      return undefined;
  }
}

/**
 * A part's base fee, counted cumulatively over its run: round(fee × (part end − run start) / period)
 * less what the run's earlier parts billed, which by the same rule is round(fee × (part start −
 * run start) / period). Each part is rounded once and the parts of a run telescope, so they add up
 * to the run's fee billed at once (the whole fee, for a run over the whole period) to the minor unit.
 * A part that starts its run is simply its prorated share.
 */
export function proratedBaseFee(fee: DecimalLike, period: Period, runFrom: Date, window: Period, currency: CurrencyCode): Decimal {
  const upTo = (end: Date) =>
    end.getTime() === runFrom.getTime() ? ZERO : roundToMinor(prorateForPart(fee, period, { start: runFrom, end }), currency);
  return upTo(window.end).minus(upTo(window.start));
}

/** " model=large" for a rate card's line (" model not set" for usage without the property), "" otherwise. */
export function dimensionsLabel(dimensions: LineDimensions | undefined): string {
  if (!dimensions) return '';
  const { property, value } = dimensionOf(dimensions);
  return value === null ? ` ${property} not set` : ` ${property}=${value}`;
}

/** One charge's (or one rate card value's) line of a part: `pricing` rated over the run, less what the run billed before. */
function chargeLine(o: {
  plan: InvoicePart['plan'];
  planRef: InvoicePart['planRef'];
  charge: Charge;
  pricing: Charge;
  rating: ChargeRating;
  amount: Decimal;
  billed: DecimalLike;
  usage: MeteredUsage;
  continued: boolean;
  currency: CurrencyCode;
  period: Period;
  window: Period;
  run: { from: Date; prorated: boolean };
  dimensions?: LineDimensions | undefined;
}): InvoiceLineDraft {
  const { plan, planRef, charge, pricing, period, window, run, currency } = o;
  const whole = isWhole(period, window);
  const isFlat = pricing.model === 'flat';
  const partial = !isWhole(period, { start: run.from, end: window.end });
  const line: InvoiceLineDraft = {
    type: isFlat && partial ? 'proration' : 'usage',
    description: isFlat
      ? `${plan.name}: ${pricing.meter} (flat)${partial ? ` for ${formatWindow(window)}, prorated` : ''}`
      : `${plan.name}: ${pricing.meter}${dimensionsLabel(o.dimensions)} (${pricing.model.replace('_', ' ')})${whole ? '' : ` for ${formatWindow(window)}`}` +
        (o.continued ? `, rated with the usage since ${formatInstant(run.from)} less what was billed for it` : ''),
    meter: pricing.meter,
    model: pricing.model,
    amount: formatAmount(roundToMinor(o.amount, currency).minus(toDecimal(o.billed)), currency),
    planRef,
    rating: {
      charge,
      period: { start: period.start.toISOString(), end: period.end.toISOString() },
      from: run.from.toISOString(),
      to: window.end.toISOString(),
      prorated: run.prorated,
    },
  };
  if (o.dimensions) line.dimensions = o.dimensions;
  const unitPrice = unitPriceOf(pricing);
  if (unitPrice !== undefined) line.unitPrice = unitPrice;
  if (!isFlat) {
    line.quantity = toDecimalString(toDecimal(o.usage.quantity));
    line.usage = { from: window.start, to: window.end, eventCount: o.usage.eventCount };
    // The breakdown explains the amount only when the line is the run's whole rating.
    const tiers = o.continued ? undefined : tierBreakdown(pricing, o.rating);
    if (tiers) line.tiers = tiers;
  }
  return line;
}

/**
 * The lines of one invoiced period: per part, its base fee (prorated when the part is not the
 * whole period) and one line per charge, in the plan's order. For a single part covering the whole
 * period, the amounts are exactly domain/pricing's quotePlan for the same usage.
 */
export function invoiceLines(o: { currency: CurrencyCode; period: Period; parts: readonly InvoicePart[] }): InvoiceLineDraft[] {
  const { currency, period } = o;
  const lines: InvoiceLineDraft[] = [];
  const runs = partRuns(
    period,
    o.parts.map((s) => s.window),
    null,
  );
  o.parts.forEach((part, index) => {
    const { window, plan, planRef } = part;
    const run = part.run ?? runs[index]!;
    if (plan.currency !== currency) throw new RangeError(`plan currency ${plan.currency} differs from the invoice currency ${currency}`);
    if (run.from.getTime() > window.start.getTime() || run.from.getTime() < period.start.getTime())
      throw new RangeError('a run must start within the period, at or before its part');
    const whole = isWhole(period, window);
    const span = { start: run.from, end: window.end };
    const baseFee = toDecimal(plan.baseFee);
    if (!baseFee.isZero()) {
      const continues = run.from.getTime() < window.start.getTime();
      lines.push(
        whole
          ? { type: 'base_fee', description: `${plan.name}: base fee`, amount: formatAmount(baseFee, currency), planRef }
          : {
              type: 'proration',
              description:
                `${plan.name}: base fee for ${formatWindow(window)}, prorated from ${formatWindow(period)}` +
                (continues ? `, counted since ${formatInstant(run.from)} less what was billed for it` : ''),
              unitPrice: plan.baseFee,
              amount: formatAmount(proratedBaseFee(baseFee, period, run.from, window, currency), currency),
              planRef,
              rating: {
                period: { start: period.start.toISOString(), end: period.end.toISOString() },
                from: run.from.toISOString(),
                to: window.end.toISOString(),
              },
            },
      );
    }
    for (const charge of plan.charges) {
      const measured = part.usage[charge.meter] ?? NO_USAGE;
      const earlier = run.from.getTime() < window.start.getTime() ? part.run?.earlier?.[charge.meter] : undefined;
      if (run.from.getTime() < window.start.getTime() && !earlier)
        throw new RangeError(`a part that continues a run needs what the run measured and billed for ${charge.meter}`);
      const line = (
        pricing: Charge,
        usage: MeteredUsage,
        before: { usage: MeteredUsage; billed: DecimalLike } | undefined,
        dimensions?: LineDimensions,
      ) => {
        const quantity = toDecimal(usage.quantity).plus(toDecimal(before?.usage.quantity ?? '0'));
        const { rating, amount } = rateChargeForRun(pricing, quantity, period, span, run.prorated);
        const billed = before?.billed ?? '0';
        return chargeLine({
          plan,
          planRef,
          charge,
          pricing,
          rating,
          amount,
          billed,
          usage,
          continued: !!earlier,
          currency,
          period,
          window,
          run,
          dimensions,
        });
      };
      if (!isRateCard(charge)) {
        lines.push(line(charge, measured, earlier));
        continue;
      }
      const property = charge.priceBy;
      const values = (u: MeteredUsage | undefined) => (u ? (u.dimensions?.[property] ?? []).map((g) => g.value) : []);
      for (const value of ratedValues(charge, [...values(measured), ...values(earlier?.usage)])) {
        const before = earlier && {
          usage: usageOfValue(earlier.usage, property, value),
          billed: earlier.billedByValue?.find((b) => b.value === value)?.billed ?? '0',
        };
        lines.push(line(pricingFor(charge, value), usageOfValue(measured, property, value), before, dimensionsOf(charge, value)));
      }
    }
  });
  return lines;
}

/**
 * Late usage for a window that was already invoiced: re-rate the window's charge (as it was billed:
 * same plan version, same proration; for cumulative lines the window is the run so far) with
 * every deduplicated event now known, and bill the difference to what was billed for it so far. Exact under tiered pricing, and a redelivered
 * event that was already counted changes nothing. Null when there is no difference.
 */
export function lateUsageAdjustment(o: {
  currency: CurrencyCode;
  rating: LineRatingContext;
  window: Period;
  /** All deduplicated usage in the window now. */
  usage: MeteredUsage;
  /** Σ of the rounded amounts already billed for this charge and window (the line and earlier adjustments). */
  billed: DecimalLike;
  planRef?: { planId: string; version: number };
  /** A rate card's line: the value re-rated (its rate, or the fallback); `usage` is that value's alone. */
  dimensions?: LineDimensions | undefined;
}): InvoiceLineDraft | null {
  const period = { start: new Date(o.rating.period.start), end: new Date(o.rating.period.end) };
  const pricing = o.dimensions ? pricingFor(o.rating.charge, dimensionOf(o.dimensions).value) : o.rating.charge;
  // A cumulative line's window is its run so far, [from, the run's last billed end).
  const { rating, amount } =
    o.rating.from === undefined
      ? rateChargeForWindow(pricing, o.usage.quantity, period, o.window)
      : rateChargeForRun(pricing, o.usage.quantity, period, o.window, o.rating.prorated ?? false);
  const difference = roundToMinor(amount, o.currency).minus(toDecimal(o.billed));
  if (difference.isZero()) return null;
  const line: InvoiceLineDraft = {
    type: 'adjustment',
    description: `${pricing.meter}${dimensionsLabel(o.dimensions)}: usage for ${formatWindow(o.window)} received after invoicing`,
    meter: pricing.meter,
    model: pricing.model,
    quantity: toDecimalString(rating.quantity),
    amount: formatAmount(difference, o.currency),
    usage: { from: o.window.start, to: o.window.end, eventCount: o.usage.eventCount },
    rating: o.rating,
  };
  if (o.dimensions) line.dimensions = o.dimensions;
  if (o.planRef) line.planRef = o.planRef;
  const unitPrice = unitPriceOf(pricing);
  if (unitPrice !== undefined) line.unitPrice = unitPrice;
  const tiers = tierBreakdown(pricing, rating);
  if (tiers) line.tiers = tiers;
  return line;
}

/**
 * subtotal = Σ rounded lines; tax = round(subtotal × taxRate); total = subtotal + tax.
 * Decimal strings with the currency's digits, so a printed invoice always adds up.
 */
export function invoiceTotals(
  amounts: readonly DecimalLike[],
  taxRate: DecimalLike,
  currency: CurrencyCode,
): { subtotal: string; tax: string; total: string } {
  const subtotal = amounts.reduce<Decimal>((sum, a) => sum.plus(roundToMinor(a, currency)), ZERO);
  return totalsWithTax(subtotal, taxRate, currency);
}
