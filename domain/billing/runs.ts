import { ZERO, toDecimal } from '../money/index.ts';
import type { Decimal, DecimalLike } from '../money/index.ts';
import type { Period } from '../periods/index.ts';

/**
 * How each part of one invoice is rated. A part continues the run that ended at its start under
 * the same plan version (`continues`: that run's start, read from stored invoices), or starts its
 * own run: at the period start, or (after a plan change, or with nothing known before) at its own
 * start. A run's terms are prorated when a plan change starts it (it starts after the period start)
 * or ends it (another part follows in the same invoice); otherwise they apply in full.
 */
export function partRuns(period: Period, windows: readonly Period[], continues: Date | null): { from: Date; prorated: boolean }[] {
  return windows.map((window, i) => {
    const from = i === 0 ? (continues ?? window.start) : window.start;
    return { from, prorated: from.getTime() > period.start.getTime() || i < windows.length - 1 };
  });
}

/** A line an earlier invoice of the same period billed cumulatively: a charge's, or (no meter) a prorated base fee. */
export interface BilledRunLine {
  meter?: string;
  planRef?: { planId: string; version: number };
  /** The run start the line was rated from. */
  from: Date;
  /** The end of the part it billed (of the run's last part, for an adjustment). */
  to: Date;
  /** Exact, in the currency's digits. */
  amount: DecimalLike;
  /** A rate card's line: the value it billed (null: usage without the property). */
  value?: string | null;
}

const samePlan = (a?: { planId: string; version: number }, b?: { planId: string; version: number }) =>
  a !== undefined && b !== undefined && a.planId === b.planId && a.version === b.version;

/**
 * The run that a part starting at `start` under `planRef` continues: the run of a line under the
 * same plan version whose part ended exactly at `start` (a charge's line, or a prorated base fee's,
 * which a plan without charges still has), with Σ of what every charge line of that run billed, per
 * meter (usage, its adjustments, a flat charge's share). Null when the part starts a run: the
 * period's first part, or the first after a plan change.
 */
export function continuedRun(
  lines: readonly BilledRunLine[],
  planRef: { planId: string; version: number },
  start: Date,
): { from: Date; billed: Map<string, Decimal>; billedByValue: Map<string, Map<string | null, Decimal>> } | null {
  const previous = lines.find((l) => samePlan(l.planRef, planRef) && l.to.getTime() === start.getTime());
  if (!previous) return null;
  const billed = new Map<string, Decimal>();
  // A rate card's lines, per meter and value: each value's run is rated on its own.
  const billedByValue = new Map<string, Map<string | null, Decimal>>();
  for (const l of lines) {
    if (l.meter === undefined || !samePlan(l.planRef, planRef) || l.from.getTime() !== previous.from.getTime()) continue;
    billed.set(l.meter, (billed.get(l.meter) ?? ZERO).plus(toDecimal(l.amount)));
    if (l.value === undefined) continue;
    const byValue = billedByValue.get(l.meter) ?? new Map<string | null, Decimal>();
    byValue.set(l.value, (byValue.get(l.value) ?? ZERO).plus(toDecimal(l.amount)));
    billedByValue.set(l.meter, byValue);
  }
  return { from: previous.from, billed, billedByValue };
}
