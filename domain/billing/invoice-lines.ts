import { Decimal, ZERO, formatAmount, roundToMinor, toDecimal, toDecimalString } from '../money/index.ts';
import type { CurrencyCode, DecimalLike } from '../money/index.ts';
import { rateCharge, tierBreakdown, totalsWithTax } from '../pricing/index.ts';
import type { Charge, ChargeModel, ChargeRating, Plan, TierBreakdown } from '../pricing/index.ts';

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
  /** Per meter: the usage in [from, window.start) as known now, and Σ of what stored invoices billed for it. */
  earlier?: Readonly<Record<string, { usage: MeteredUsage; billed: DecimalLike }>>;
}

/** What re-rating a usage line needs later (late usage): the charge as billed and the period it prorates against. */
export interface LineRatingContext {
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
      const measured = part.usage[charge.meter] ?? { quantity: '0', eventCount: '0' };
      const earlier = run.from.getTime() < window.start.getTime() ? part.run?.earlier?.[charge.meter] : undefined;
      if (run.from.getTime() < window.start.getTime() && !earlier)
        throw new RangeError(`a part that continues a run needs what the run measured and billed for ${charge.meter}`);
      const quantity = toDecimal(measured.quantity).plus(toDecimal(earlier?.usage.quantity ?? '0'));
      const { rating, amount } = rateChargeForRun(charge, quantity, period, span, run.prorated);
      const billed = toDecimal(earlier?.billed ?? '0');
      const isFlat = charge.model === 'flat';
      const partial = !isWhole(period, span);
      const line: InvoiceLineDraft = {
        type: isFlat && partial ? 'proration' : 'usage',
        description: isFlat
          ? `${plan.name}: ${charge.meter} (flat)${partial ? ` for ${formatWindow(window)}, prorated` : ''}`
          : `${plan.name}: ${charge.meter} (${charge.model.replace('_', ' ')})${whole ? '' : ` for ${formatWindow(window)}`}` +
            (earlier ? `, rated with the usage since ${formatInstant(run.from)} less what was billed for it` : ''),
        meter: charge.meter,
        model: charge.model,
        amount: formatAmount(roundToMinor(amount, currency).minus(billed), currency),
        planRef,
        rating: {
          charge,
          period: { start: period.start.toISOString(), end: period.end.toISOString() },
          from: run.from.toISOString(),
          to: window.end.toISOString(),
          prorated: run.prorated,
        },
      };
      const unitPrice = unitPriceOf(charge);
      if (unitPrice !== undefined) line.unitPrice = unitPrice;
      if (!isFlat) {
        line.quantity = toDecimalString(toDecimal(measured.quantity));
        line.usage = { from: window.start, to: window.end, eventCount: measured.eventCount };
        // The breakdown explains the amount only when the line is the run's whole rating.
        const tiers = earlier ? undefined : tierBreakdown(charge, rating);
        if (tiers) line.tiers = tiers;
      }
      lines.push(line);
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
}): InvoiceLineDraft | null {
  const period = { start: new Date(o.rating.period.start), end: new Date(o.rating.period.end) };
  // A cumulative line's window is its run so far, [from, the run's last billed end).
  const { rating, amount } =
    o.rating.from === undefined
      ? rateChargeForWindow(o.rating.charge, o.usage.quantity, period, o.window)
      : rateChargeForRun(o.rating.charge, o.usage.quantity, period, o.window, o.rating.prorated ?? false);
  const difference = roundToMinor(amount, o.currency).minus(toDecimal(o.billed));
  if (difference.isZero()) return null;
  const charge = o.rating.charge;
  const line: InvoiceLineDraft = {
    type: 'adjustment',
    description: `${charge.meter}: usage for ${formatWindow(o.window)} received after invoicing`,
    meter: charge.meter,
    model: charge.model,
    quantity: toDecimalString(rating.quantity),
    amount: formatAmount(difference, o.currency),
    usage: { from: o.window.start, to: o.window.end, eventCount: o.usage.eventCount },
    rating: o.rating,
  };
  if (o.planRef) line.planRef = o.planRef;
  const unitPrice = unitPriceOf(charge);
  if (unitPrice !== undefined) line.unitPrice = unitPrice;
  const tiers = tierBreakdown(charge, rating);
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
