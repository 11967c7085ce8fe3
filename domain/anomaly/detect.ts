import { MAD_TO_SIGMA, mad, median } from './robust.ts';

/**
 * Event counts of one (tenant, meter) pair around the scanned window, in buckets of one scan
 * interval. `grid[day][bucket]`: `day` 0 is today, `day` k the same time of day k days earlier;
 * `bucket` 0 is the newest bucket before the window end, 1 the one before it, and so on.
 * A missing row or cell counts as zero (no events).
 */
export type BucketGrid = readonly (readonly number[] | undefined)[];

export type DetectionParams = {
  /** The window, in buckets (scan intervals); by default one scan interval (ANOMALY_SCAN_INTERVAL_MINUTES). */
  windowBuckets: number;
  /** Days of same-time-of-day baseline (ANOMALY_BASELINE_DAYS, default 7). */
  baselineDays: number;
  /** A spike needs at least this many events in the window (ANOMALY_MIN_VOLUME, default 100). */
  minVolume: number;
  /** Robust z-score a spike must exceed, and a drop fall below the negative of (ANOMALY_SENSITIVITY, default 6). */
  sensitivity: number;
  /** A drop must last this many windows ("sustained"). */
  dropWindows: number;
  /** "Near zero": at most this fraction of what was expected. */
  dropRatio: number;
};

export const DEFAULT_DETECTION: DetectionParams = {
  windowBuckets: 1,
  baselineDays: 7,
  minVolume: 100,
  sensitivity: 6,
  dropWindows: 3,
  dropRatio: 0.05,
};

/**
 * The smallest spread the z-score divides by, as a fraction of the expected value: a day-to-day
 * variation of 10 % is normal for any meter, so a spike must be at least
 * 1 + sensitivity × 0.1 (1.6× at the default) of what was expected, however steady the baseline.
 */
export const RELATIVE_SCALE_FLOOR = 0.1;

export type AnomalyKind = 'usage_spike' | 'usage_drop';

/** How one span compares with its baseline. */
export type Assessment = {
  /** Events in the span today. */
  observed: number;
  /** The baseline value the span is compared with (see `expectedFor`). */
  expected: number;
  /** Median of the span over the baseline days. */
  median: number;
  /** The span seven days earlier, when the baseline reaches that far. */
  lastWeek: number | null;
  /** The robust spread divided by. */
  scale: number;
  /** (observed − expected) / scale. */
  z: number;
};

export type Finding = Assessment & {
  kind: AnomalyKind;
  /** The span of the finding in buckets, ending at the window end: the window for a spike, dropWindows windows for a drop. */
  spanBuckets: number;
};

/** Buckets the grid must hold per day for `observe`: the longest span, a drop's. */
export function lookbackBuckets(p: Pick<DetectionParams, 'windowBuckets' | 'dropWindows'>): number {
  return Math.max(p.windowBuckets, p.windowBuckets * p.dropWindows);
}

function spanSum(grid: BucketGrid, day: number, offset: number, span: number): number {
  const row = grid[day];
  if (!row) return 0;
  let total = 0;
  for (let b = offset; b < offset + span; b += 1) total += row[b] ?? 0;
  return total;
}

/**
 * Compares the span of `span` buckets that ends `offset` buckets before the window end with the
 * same span on each baseline day. Upward, the expectation is the larger of the daily median and
 * last week's value; downward, the smaller. So a value that matches the same hour last week
 * (a weekly pattern: a Monday batch job, a quiet weekend) is never anomalous.
 */
export function assess(grid: BucketGrid, offset: number, span: number, p: DetectionParams, direction: 'up' | 'down'): Assessment {
  const baseline: number[] = [];
  for (let day = 1; day <= p.baselineDays; day += 1) baseline.push(spanSum(grid, day, offset, span));
  const med = median(baseline);
  const lastWeek = p.baselineDays >= 7 ? baseline[6]! : null;
  const expected = lastWeek === null ? med : direction === 'up' ? Math.max(med, lastWeek) : Math.min(med, lastWeek);
  const scale = Math.max(MAD_TO_SIGMA * mad(baseline), Math.sqrt(expected), RELATIVE_SCALE_FLOOR * expected, 1);
  const observed = spanSum(grid, 0, offset, span);
  return { observed, expected, median: med, lastWeek, scale, z: (observed - expected) / scale };
}

/**
 * Detection keeps a little hysteresis: an open episode continues while the window meets the
 * thresholds relaxed by this factor (see episode.ts). So an episode whose z-score wobbles
 * around the sensitivity (its own days entering the baseline widen the MAD) is still one
 * episode and one alert.
 */
export const CONTINUATION_FACTOR = 0.5;

/** A spike: at least minVolume events and a robust z-score above the sensitivity (each × relax). */
export function spikeAt(grid: BucketGrid, offset: number, p: DetectionParams, relax = 1): Assessment | null {
  const a = assess(grid, offset, p.windowBuckets, p, 'up');
  return a.observed >= relax * p.minVolume && a.z > relax * p.sensitivity ? a : null;
}

/**
 * A drop: over dropWindows windows, a meter that normally sees at least minVolume events per
 * window fell to near zero (at most dropRatio of the expectation) with a z-score below
 * −sensitivity. Quiet hours are not drops, because their baseline is quiet too.
 */
export function dropAt(grid: BucketGrid, offset: number, p: DetectionParams, relax = 1): Assessment | null {
  const span = p.windowBuckets * p.dropWindows;
  const a = assess(grid, offset, span, p, 'down');
  const busy = a.expected >= relax * p.minVolume * p.dropWindows;
  return busy && a.observed <= (p.dropRatio / relax) * a.expected && a.z < -relax * p.sensitivity ? a : null;
}
