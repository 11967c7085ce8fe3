// Whether a plan change is accepted, apart from its priced preview (which needs money and pricing):
// the subscription workflow's update validator asks it, and every workflow run evaluates what its
// bundle imports.
import type { Interval } from '../periods/intervals.ts';

/** What deciding on a plan change needs from a plan version. */
export interface ChangeTerms {
  planId: string;
  version: number;
  currency: string;
  interval: Interval;
  intervalCount: number;
}

/** The subscription as a plan change sees it: ended, or its current period's kind and plan. */
export type ChangeState = { ended: true } | { ended: false; periodKind: 'trial' | 'paid'; current: ChangeTerms; hasPendingPlan: boolean };

const sameSchedule = (a: ChangeTerms, b: ChangeTerms) => a.interval === b.interval && a.intervalCount === b.intervalCount;

/**
 * Why a plan change is refused, or null when it is acceptable. The subscription workflow's update
 * validator and the API's preview both ask this, so a preview is refused exactly when the change is.
 */
export function planChangeProblem(s: ChangeState, target: ChangeTerms, effective: string): string | null {
  if (s.ended) return 'the subscription has ended';
  if (effective !== 'immediate' && effective !== 'period_end') return 'effective must be immediate or period_end';
  const plan = s.current;
  if (target.currency !== plan.currency) return `the plan's currency ${target.currency} differs from the subscription's ${plan.currency}`;
  if (target.planId === plan.planId && target.version === plan.version && !s.hasPendingPlan)
    return 'the subscription is already on this plan version';
  if (effective === 'immediate' && s.periodKind === 'paid' && !sameSchedule(target, plan)) {
    return 'an immediate change must keep the billing interval; change at period_end to switch intervals';
  }
  return null;
}
