import { addUtcDays } from './calendar.ts';
import { assertValidInstant } from './period.ts';
import type { Period } from './period.ts';
import { isUtc } from './time-zone.ts';
import { addZonedDays } from './zoned-calendar.ts';

/**
 * A trial of trialDays whole days runs [start, start + trialDays); the first paid period starts
 * where the trial ends, so that instant is the billing anchor. Days are UTC days (86 400 000 ms),
 * or, with a zone, that zone's calendar days: a trial from local midnight ends at local midnight,
 * and so do the periods anchored there.
 */
export function trialEnd(subscriptionStart: Date, trialDays: number, timeZone?: string): Date {
  assertValidInstant(subscriptionStart, 'subscriptionStart');
  if (!Number.isSafeInteger(trialDays) || trialDays < 0) throw new RangeError('trialDays must be a whole number ≥ 0');
  return isUtc(timeZone) ? addUtcDays(subscriptionStart, trialDays) : addZonedDays(subscriptionStart, trialDays, timeZone!);
}

/** The trial as a period, or null when there is none (trialDays 0). */
export function trialPeriod(subscriptionStart: Date, trialDays: number, timeZone?: string): Period | null {
  const end = trialEnd(subscriptionStart, trialDays, timeZone);
  return trialDays === 0 ? null : { start: new Date(subscriptionStart.getTime()), end };
}
