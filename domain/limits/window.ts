import type { LimitWindow } from './limit-rules.ts';

export type LimitWindowSpan = { start: Date; end: Date };

/**
 * The window of a limit that holds `at`: the UTC day, the UTC month, or the billing period (the
 * tenant's current subscription period). A billing-period limit of a tenant without a current
 * period counts the UTC month, so a limit always has a window and never authorizes unchecked.
 */
export function limitWindowAt(kind: LimitWindow, at: Date, billingPeriod: LimitWindowSpan | null): LimitWindowSpan {
  if (kind === 'billing_period' && billingPeriod && billingPeriod.start <= at && at < billingPeriod.end) return billingPeriod;
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  if (kind === 'day') {
    const start = new Date(Date.UTC(y, m, at.getUTCDate()));
    return { start, end: new Date(Date.UTC(y, m, at.getUTCDate() + 1)) };
  }
  return { start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
}
