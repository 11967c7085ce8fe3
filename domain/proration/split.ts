import type { Period } from '../periods/index.ts';

/** The two sides of a change instant (plan change or cancellation) inside a period. */
export interface SplitPeriod {
  /** [period.start, at): still under the old terms. */
  before: Period;
  /** [at, period.end): under the new terms. */
  after: Period;
}

export type ChangeSide = 'before' | 'after';

/**
 * Splits [start, end) at `at` into [start, at) and [at, end), like every period: half-open.
 * `at` may equal start or end, which leaves one side empty (length 0, prorated to zero).
 */
export function splitPeriodAt(period: Period, at: Date): SplitPeriod {
  const t = at.getTime();
  if (Number.isNaN(t) || t < period.start.getTime() || t > period.end.getTime()) {
    throw new RangeError('the change instant must lie within the period');
  }
  return {
    before: { start: period.start, end: new Date(t) },
    after: { start: new Date(t), end: period.end },
  };
}

/**
 * Which side of a change an event falls on. An event at exactly the change instant belongs to the
 * new side ('after'), because the new part [at, end) contains its start and the old one does not.
 */
export function sideOfChange(changeAt: Date, eventAt: Date): ChangeSide {
  return eventAt.getTime() < changeAt.getTime() ? 'before' : 'after';
}
