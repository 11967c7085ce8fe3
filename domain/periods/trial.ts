import { addUtcDays } from './calendar.ts';
import { assertValidInstant } from './period.ts';
import type { Period } from './period.ts';

/**
 * A trial of trialDays whole UTC days runs [start, start + trialDays); the first paid period
 * starts where the trial ends, so that instant is the billing anchor.
 */
export function trialEnd(subscriptionStart: Date, trialDays: number): Date {
  assertValidInstant(subscriptionStart, 'subscriptionStart');
  if (!Number.isSafeInteger(trialDays) || trialDays < 0) throw new RangeError('trialDays must be a whole number ≥ 0');
  return addUtcDays(subscriptionStart, trialDays);
}

/** The trial as a period, or null when there is none (trialDays 0). */
export function trialPeriod(subscriptionStart: Date, trialDays: number): Period | null {
  const end = trialEnd(subscriptionStart, trialDays);
  return trialDays === 0 ? null : { start: new Date(subscriptionStart.getTime()), end };
}
