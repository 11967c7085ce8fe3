import { CONTINUATION_FACTOR, dropAt, spikeAt, type AnomalyKind, type BucketGrid, type DetectionParams, type Finding } from './detect.ts';

/**
 * One alert per episode, decided from stored state rather than from the previous window. A
 * scan looks only at the window that just ended; whether an anomaly there is news depends on
 * whether an episode of that kind is already open for the pair. So an anomaly already under
 * way when the scanner first sees it (after a deploy or an outage, or built from back-dated
 * usage) still raises its alert, exactly once.
 */

/** What one scan sees of one kind for one (tenant, event type) pair. */
export type Observation = {
  kind: AnomalyKind;
  /** The condition holds at full thresholds: enough to open an episode, which alerts. */
  finding: Finding | null;
  /** The condition holds at the relaxed thresholds (CONTINUATION_FACTOR): enough to keep an open episode open. */
  persists: boolean;
};

/** Both kinds, for the window that ends at bucket 0 of `grid`. */
export function observe(grid: BucketGrid, p: DetectionParams): Observation[] {
  const spike = spikeAt(grid, 0, p);
  const drop = dropAt(grid, 0, p);
  return [
    {
      kind: 'usage_spike',
      finding: spike && { kind: 'usage_spike', spanBuckets: p.windowBuckets, ...spike },
      persists: spikeAt(grid, 0, p, CONTINUATION_FACTOR) !== null,
    },
    {
      kind: 'usage_drop',
      finding: drop && { kind: 'usage_drop', spanBuckets: p.windowBuckets * p.dropWindows, ...drop },
      persists: dropAt(grid, 0, p, CONTINUATION_FACTOR) !== null,
    },
  ];
}

/** What the decision needs of the pair's open episode of that kind. */
export type OpenEpisode = {
  /** The end of the latest scan window that found the episode still under way (or opened it). */
  lastSeenWindowEnd: Date;
};

/**
 * An open episode not seen by any scan for longer than this many scan intervals is treated as
 * over: the scanner was not running, so nobody knows whether the anomaly ended and began again
 * in between. The pair is judged afresh, and an anomaly seen now opens a new episode (one more
 * alert after a long outage rather than a new episode missed).
 */
export const EPISODE_MAX_GAP_INTERVALS = 6;

export type EpisodeDecision =
  /** Nothing to record: no episode and nothing anomalous, or a scan older than the stored state. */
  | { action: 'none' }
  /** A new episode: store it and raise `finding` as its alert; first close the stale open one if `closesStale`. */
  | { action: 'open'; finding: Finding; closesStale: boolean }
  /** Still under way: record that this window saw it, raise nothing. */
  | { action: 'continue' }
  /** Back to normal (or not seen for too long): close it. */
  | { action: 'close' };

/**
 * The transition for one (tenant, event type, kind) from its open episode (or none) and what
 * this scan observed. `maxGapMs` is EPISODE_MAX_GAP_INTERVALS scan intervals.
 */
export function decideEpisode(open: OpenEpisode | null, o: Observation, windowEnd: Date, maxGapMs: number): EpisodeDecision {
  if (!open) return o.finding ? { action: 'open', finding: o.finding, closesStale: false } : { action: 'none' };
  const gap = windowEnd.getTime() - open.lastSeenWindowEnd.getTime();
  // A late re-run of an older window must not rewrite what a newer scan recorded.
  if (gap < 0) return { action: 'none' };
  if (gap <= maxGapMs) return o.persists ? { action: 'continue' } : { action: 'close' };
  return o.finding ? { action: 'open', finding: o.finding, closesStale: true } : { action: 'close' };
}
