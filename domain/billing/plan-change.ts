import { Decimal, ZERO, formatAmount } from '../money/index.ts';
import type { CurrencyCode } from '../money/index.ts';
import type { Charge } from '../pricing/index.ts';
import type { Period } from '../periods/index.ts';
import type { ChangeTerms } from './plan-change-rules.ts';
import { addPart, partWindows } from './cycle.ts';
import type { Part } from './cycle.ts';
import { invoiceLines } from './invoice-lines.ts';
import { partRuns } from './runs.ts';
import type { InvoiceLineDraft } from './invoice-lines.ts';

export { planChangeProblem } from './plan-change-rules.ts';
export type { ChangeState, ChangeTerms } from './plan-change-rules.ts';

/** A plan version as the preview prices it. */
export interface PreviewPlan extends ChangeTerms {
  code: string;
  name: string;
  baseFee: string;
  charges: readonly Charge[];
}

/** One part of the current period under one plan, with the fixed amounts billing will charge for it. */
export interface PreviewPart {
  plan: PreviewPlan;
  window: Period;
  /** The base-fee and flat-charge lines of the part, as the invoice writes them (none in a trial). */
  fixed: InvoiceLineDraft[];
  /** Σ of `fixed`, in the currency's digits. */
  fixedTotal: string;
}

export interface PlanChangePreview {
  effectiveAt: Date;
  /** The current period's parts once the change is made (a period-end change leaves them as they are). */
  parts: PreviewPart[];
  /** Set for a period-end change: the plan that bills from the next period on, in full. */
  next: { from: Date; plan: PreviewPlan } | null;
}

const fixedOf = (line: InvoiceLineDraft) => line.meter === undefined || line.model === 'flat';

/**
 * What a plan change to `target` at `at` does to the current period: an immediate change adds a
 * part at `at` (an event at exactly `at` is the new plan's); a period-end change keeps the parts
 * and hands over at the period end. Each part's fixed amounts are invoiceLines' own lines for it at
 * zero usage, keeping only the base fee and flat charges: usage is priced when the period closes.
 * A trial is not invoiced, so its part has no lines (an immediate change in a trial replaces the plan).
 * Each part is taken as a run of its own. After an invoice-now the first part starts where that
 * invoice ended, while the close counts the run from the period start and subtracts what was billed:
 * the two can differ by a minor unit (rounding once per run against once per part).
 */
export function previewPlanChange(o: {
  period: Period;
  periodKind: 'trial' | 'paid';
  parts: readonly Part<PreviewPlan>[];
  target: PreviewPlan;
  effective: 'immediate' | 'period_end';
  at: Date;
}): PlanChangePreview {
  const { period, target } = o;
  const immediate = o.effective === 'immediate';
  let split: Part<PreviewPlan>[] = [...o.parts];
  if (immediate) {
    split = o.periodKind === 'trial' ? [{ from: o.parts[0]!.from, plan: target }] : addPart(o.parts, o.at, target);
  }
  const windows = partWindows(split, period.end);
  const runs = partRuns(period, windows, null);
  const parts = windows.map((w, i) => {
    const window = { start: w.start, end: w.end };
    // One part at a time, with the run the invoice would give it, so each line is known to be the part's.
    const fixed =
      o.periodKind === 'trial'
        ? []
        : invoiceLines({
            currency: w.plan.currency as CurrencyCode,
            period,
            parts: [
              {
                window,
                plan: { ...w.plan, currency: w.plan.currency as CurrencyCode, charges: [...w.plan.charges] },
                planRef: { planId: w.plan.planId, version: w.plan.version },
                usage: {},
                run: runs[i]!,
              },
            ],
          }).filter(fixedOf);
    const currency = w.plan.currency as CurrencyCode;
    // Lines are already exact decimal strings; a rounded one may exceed what a request may send, so it is not re-validated.
    return {
      plan: w.plan,
      window,
      fixed,
      fixedTotal: formatAmount(
        fixed.reduce((sum, l) => sum.plus(new Decimal(l.amount)), ZERO),
        currency,
      ),
    };
  });
  return { effectiveAt: immediate ? o.at : period.end, parts, next: immediate ? null : { from: period.end, plan: target } };
}
