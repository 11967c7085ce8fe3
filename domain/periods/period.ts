/** A half-open span of time [start, end) in UTC: start is inside, end is not. */
export interface Period {
  start: Date;
  end: Date;
}

/** A period of a billing schedule; index 0 starts at the anchor, negative ones precede it. */
export interface BillingPeriod extends Period {
  index: number;
}

export function periodContains(period: Period, instant: Date): boolean {
  const t = instant.getTime();
  return period.start.getTime() <= t && t < period.end.getTime();
}

/** Length in milliseconds. Time is not money, so an integer number of ms is exact here. */
export function periodLengthMs(period: Period): number {
  return period.end.getTime() - period.start.getTime();
}

export function assertValidInstant(instant: Date, name: string): void {
  if (!(instant instanceof Date) || Number.isNaN(instant.getTime())) {
    throw new RangeError(`${name} must be a valid Date`);
  }
}
