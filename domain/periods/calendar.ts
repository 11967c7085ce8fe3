/** UTC calendar arithmetic. No time zones and no DST: every UTC day is exactly 86 400 000 ms. */

export const MS_PER_DAY = 86_400_000;

export function daysInUtcMonth(year: number, monthIndex: number): number {
  // Day 0 of the following month is the last day of this one. setUTCFullYear, unlike Date.UTC,
  // does not read years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, monthIndex + 1, 0);
  return date.getUTCDate();
}

/**
 * The anchor moved by whole months, keeping its day of month and time of day, clamped to the
 * last day of a shorter month (Jan 31 + 1 month → Feb 28 or 29). Always from the anchor, never
 * from a previous result, so a clamped February does not pull March back to the 28th.
 */
export function addUtcMonthsClamped(anchor: Date, months: number): Date {
  const totalMonths = anchor.getUTCFullYear() * 12 + anchor.getUTCMonth() + months;
  const year = Math.floor(totalMonths / 12);
  const monthIndex = totalMonths - year * 12;
  const day = Math.min(anchor.getUTCDate(), daysInUtcMonth(year, monthIndex));
  const result = new Date(anchor.getTime());
  // setUTCFullYear with all three parts at once avoids a passing overflow (e.g. Jan 31 → "Feb 31").
  result.setUTCFullYear(year, monthIndex, day);
  return result;
}

export function addUtcDays(anchor: Date, days: number): Date {
  return new Date(anchor.getTime() + days * MS_PER_DAY);
}
