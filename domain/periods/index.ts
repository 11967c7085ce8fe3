export { INTERVALS, MAX_INTERVAL_COUNT, intervalCountSchema, intervalSchema } from './interval.ts';
export type { Interval } from './interval.ts';
export { periodContains, periodLengthMs } from './period.ts';
export type { BillingPeriod, Period } from './period.ts';
export { MS_PER_DAY, addUtcMonthsClamped, daysInUtcMonth } from './calendar.ts';
export { nextPeriod, periodAt, periodBoundary, periodContaining, periodsBetween } from './schedule.ts';
export type { BillingSchedule } from './schedule.ts';
export { trialEnd, trialPeriod } from './trial.ts';
