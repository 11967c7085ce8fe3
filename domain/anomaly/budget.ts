import { toDecimal, type DecimalLike } from '../money/index.ts';

/** Percent of the budget at which `budget_threshold` is raised, once per level per period. */
export const DEFAULT_BUDGET_LEVELS: readonly number[] = [50, 80, 100];

/** The highest level (percent) that `spent` has reached, or null. A budget of zero has no levels. */
export function budgetLevelReached(spent: DecimalLike, budget: DecimalLike, levels: readonly number[]): number | null {
  const b = toDecimal(budget);
  if (b.lte(0)) return null;
  const s = toDecimal(spent);
  let reached: number | null = null;
  for (const level of levels) {
    if (s.gte(b.times(level).div(100)) && (reached === null || level > reached)) reached = level;
  }
  return reached;
}

/**
 * The level to raise now, or null: the highest level reached, if it is above every level
 * already raised this period. Jumping from 40 % to 90 % raises 80 only (50 is implied, and is
 * never raised afterwards); a level once raised is not raised again in the same period.
 */
export function budgetLevelToRaise(
  spent: DecimalLike,
  budget: DecimalLike,
  levels: readonly number[],
  alreadyRaised: readonly number[],
): number | null {
  const reached = budgetLevelReached(spent, budget, levels);
  if (reached === null) return null;
  return alreadyRaised.some((level) => level >= reached) ? null : reached;
}

/** Severity by level: info below 80 %, warning below 100 %, critical at or over the budget. */
export function budgetSeverity(level: number): 'info' | 'warning' | 'critical' {
  return level >= 100 ? 'critical' : level >= 80 ? 'warning' : 'info';
}
