/**
 * Robust statistics over small samples (the 7 daily baseline values of a window). Event counts
 * are whole numbers far below 2^53, so plain JS numbers are exact enough here; nothing in this
 * folder touches money except budget.ts, which uses Decimal.
 */

/** The factor that turns a MAD into a standard deviation for normally distributed data. */
export const MAD_TO_SIGMA = 1.4826;

/** The median; the mean of the two middle values for an even count. NaN for an empty sample. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median absolute deviation from the median (unscaled). */
export function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}
