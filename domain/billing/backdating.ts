/**
 * How far back a subscription may start. Every period already ended is invoiced at once when it
 * starts; a bound keeps that catch-up (and the workflow histories it writes) finite: 400 days is a
 * year of periods plus a month's slack for a contract signed late.
 */
export const MAX_BACKDATE_DAYS = 400;

const DAY_MS = 86_400_000;

/** Why `startAt` lies too far back at `now`, or null. Counted in UTC calendar days, so "400 days ago" at any hour is accepted. */
export function backdatingProblem(startAt: Date, now: Date): string | null {
  const days = Math.floor(now.getTime() / DAY_MS) - Math.floor(startAt.getTime() / DAY_MS);
  return days > MAX_BACKDATE_DAYS ? `must be at most ${MAX_BACKDATE_DAYS} days in the past (it is ${days} days back)` : null;
}
