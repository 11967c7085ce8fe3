import { addUtcDays, addUtcMonthsClamped } from './calendar.ts';
import type { Interval } from './intervals.ts';
import { MAX_INTERVAL_COUNT } from './intervals.ts';
import { assertValidInstant } from './period.ts';
import type { BillingPeriod, Period } from './period.ts';
import { isUtc } from './time-zone.ts';
import { addZonedDays, addZonedMonthsClamped } from './zoned-calendar.ts';

/** Where a subscription's periods come from: every boundary is computed from the anchor. */
export interface BillingSchedule {
  anchor: Date;
  interval: Interval;
  /** Periods are this many intervals long (default 1). */
  intervalCount?: number;
  /**
   * The IANA zone whose calendar the boundaries follow (default UTC): each keeps the anchor's
   * local day and local time of day there, so an anchor at local midnight gives periods that all
   * start at local midnight, whatever daylight saving does in between.
   */
  timeZone?: string;
}

/** The instant where period `index` starts (index 0 is the anchor itself). */
export function periodBoundary(schedule: BillingSchedule, index: number): Date {
  const count = checkedCount(schedule);
  assertValidInstant(schedule.anchor, 'anchor');
  if (!Number.isSafeInteger(index)) throw new RangeError('period index must be an integer');
  const steps = index * count;
  const boundary = stepFromAnchor(schedule.anchor, schedule.interval, steps, schedule.timeZone);
  if (Number.isNaN(boundary.getTime())) throw new RangeError('period lies outside the range of dates');
  return boundary;
}

export function periodAt(schedule: BillingSchedule, index: number): BillingPeriod {
  return { index, start: periodBoundary(schedule, index), end: periodBoundary(schedule, index + 1) };
}

/** The period with start ≤ instant < end. Instants before the anchor get negative indexes. */
export function periodContaining(schedule: BillingSchedule, instant: Date): BillingPeriod {
  assertValidInstant(instant, 'instant');
  let index = estimateIndex(schedule, instant);
  // The estimate is off by at most one or two periods (month lengths vary); step to the exact one.
  while (periodBoundary(schedule, index).getTime() > instant.getTime()) index -= 1;
  while (periodBoundary(schedule, index + 1).getTime() <= instant.getTime()) index += 1;
  return periodAt(schedule, index);
}

/** The period that follows the given one (the one containing its end). */
export function nextPeriod(schedule: BillingSchedule, period: Period): BillingPeriod {
  return periodContaining(schedule, period.end);
}

/**
 * Every period that overlaps [from, to), in order, including partly covered first and last ones;
 * empty when to ≤ from. Used to catch up a back-dated subscription: keep those with end ≤ now.
 */
export function periodsBetween(schedule: BillingSchedule, from: Date, to: Date): BillingPeriod[] {
  assertValidInstant(to, 'to');
  if (to.getTime() <= from.getTime()) return [];
  const periods: BillingPeriod[] = [];
  for (
    let period = periodContaining(schedule, from);
    period.start.getTime() < to.getTime();
    period = periodAt(schedule, period.index + 1)
  ) {
    periods.push(period);
  }
  return periods;
}

function stepFromAnchor(anchor: Date, interval: Interval, steps: number, zone: string | undefined): Date {
  // UTC keeps its own arithmetic, so that the periods of every schedule from before zones stay put.
  if (!isUtc(zone)) return stepInZone(anchor, interval, steps, zone!);
  switch (interval) {
    case 'day':
      return addUtcDays(anchor, steps);
    case 'week':
      return addUtcDays(anchor, steps * 7);
    case 'month':
      return addUtcMonthsClamped(anchor, steps);
    case 'year':
      return addUtcMonthsClamped(anchor, steps * 12);
  }
}

function stepInZone(anchor: Date, interval: Interval, steps: number, zone: string): Date {
  switch (interval) {
    case 'day':
      return addZonedDays(anchor, steps, zone);
    case 'week':
      return addZonedDays(anchor, steps * 7, zone);
    case 'month':
      return addZonedMonthsClamped(anchor, steps, zone);
    case 'year':
      return addZonedMonthsClamped(anchor, steps * 12, zone);
  }
}

// In a zone the estimate may be off by one more period (a local boundary lies up to a day from
// the UTC one); periodContaining steps to the exact period either way.
function estimateIndex(schedule: BillingSchedule, instant: Date): number {
  const count = checkedCount(schedule);
  const { anchor, interval } = schedule;
  if (interval === 'day' || interval === 'week') {
    const periodMs = (interval === 'day' ? 1 : 7) * count * 86_400_000;
    return Math.floor((instant.getTime() - anchor.getTime()) / periodMs);
  }
  const months = (instant.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (instant.getUTCMonth() - anchor.getUTCMonth());
  return Math.floor(months / (interval === 'month' ? count : count * 12));
}

function checkedCount(schedule: BillingSchedule): number {
  const count = schedule.intervalCount ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > MAX_INTERVAL_COUNT) {
    throw new RangeError(`intervalCount must be a whole number from 1 to ${MAX_INTERVAL_COUNT}`);
  }
  return count;
}
