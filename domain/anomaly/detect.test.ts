import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DETECTION,
  assess,
  lookbackBuckets,
  type AnomalyKind,
  type BucketGrid,
  type DetectionParams,
  type Finding,
} from './detect.ts';
import { EPISODE_MAX_GAP_INTERVALS, decideEpisode, observe, type OpenEpisode } from './episode.ts';

// Synthetic series of 5-minute buckets: 288 per day, 2016 per week.
const PER_DAY = 288;
const PER_HOUR = 12;

/** mulberry32: a small seeded PRNG, so every run sees the same noise. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Counts with Poisson-like noise (normal with variance = mean), never negative. */
function series(days: number, mean: (bucket: number) => number, seed = 1): number[] {
  const rand = prng(seed);
  return Array.from({ length: days * PER_DAY }, (_, i) => {
    const m = mean(i);
    const normal = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    return Math.max(0, Math.round(m + Math.sqrt(m) * normal));
  });
}

/** The grid a scan sees when its window ends just before bucket `end` of the series. */
function gridAt(s: readonly number[], end: number, p: DetectionParams): BucketGrid {
  const look = lookbackBuckets(p);
  return Array.from({ length: p.baselineDays + 1 }, (_, day) =>
    Array.from({ length: look }, (_, b) => s[end - 1 - b - day * PER_DAY] ?? 0),
  );
}

const BUCKET_MS = 5 * 60_000;

/**
 * Runs a scan at every bucket from bucket `from` on, as the schedule would, keeping the open
 * episodes as the anomaly_episodes table does; returns what each scan raised.
 */
function scanFrom(s: readonly number[], from: number, p: DetectionParams = DEFAULT_DETECTION): { at: number; finding: Finding }[] {
  const open = new Map<AnomalyKind, OpenEpisode>();
  const raised: { at: number; finding: Finding }[] = [];
  for (let end = from; end <= s.length; end += 1) {
    const windowEnd = new Date(end * BUCKET_MS);
    for (const o of observe(gridAt(s, end, p), p)) {
      const d = decideEpisode(open.get(o.kind) ?? null, o, windowEnd, EPISODE_MAX_GAP_INTERVALS * BUCKET_MS);
      if (d.action === 'open') raised.push({ at: end, finding: d.finding });
      if (d.action === 'open' || d.action === 'continue') open.set(o.kind, { lastSeenWindowEnd: windowEnd });
      if (d.action === 'close') open.delete(o.kind);
    }
  }
  return raised;
}
const scanAll = (s: readonly number[], fromDay: number, p: DetectionParams = DEFAULT_DETECTION) => scanFrom(s, fromDay * PER_DAY, p);

/** A working-day curve: quiet nights, busy afternoons (0.1× to 1× of `peak`). */
const diurnal = (peak: number) => (i: number) => peak * (0.55 - 0.45 * Math.cos((2 * Math.PI * (i % PER_DAY)) / PER_DAY));

describe('anomaly detection on synthetic series (one scan per 5 minutes from day 8 on)', () => {
  it('a flat series with noise raises nothing', () => {
    const s = series(14, () => 500);
    expect(scanAll(s, 8)).toEqual([]);
  });

  it('a daily pattern with noise raises nothing: each window is compared with the same time of day', () => {
    const s = series(14, diurnal(800), 2);
    expect(scanAll(s, 8)).toEqual([]);
  });

  it('a 10× step raises exactly one usage_spike, at the step', () => {
    const step = 10 * PER_DAY + 7 * PER_HOUR; // day 10, 07:00
    const s = series(21, (i) => (i < step ? 300 : 3000), 3); // the step stays: it enters the baseline
    const raised = scanAll(s, 8);
    expect(raised.map((r) => [r.at, r.finding.kind])).toEqual([[step + 1, 'usage_spike']]);
    const spike = raised[0]!.finding;
    expect(spike.observed).toBeGreaterThan(2500);
    expect(spike.expected).toBeGreaterThan(250);
    expect(spike.expected).toBeLessThan(350);
    expect(spike.z).toBeGreaterThan(6);
  });

  it('a short burst on a daily curve raises one spike', () => {
    const burst = 9 * PER_DAY + 14 * PER_HOUR;
    const base = diurnal(400);
    const s = series(14, (i) => (i === burst ? 10 * base(i) : base(i)), 4);
    expect(scanAll(s, 8).map((r) => [r.at, r.finding.kind])).toEqual([[burst + 1, 'usage_spike']]);
  });

  it('a weekly seasonal pattern does not raise at each peak: busy weekdays, empty weekends, a Monday batch job', () => {
    // Day 0 is a Monday. Weekends fall to almost nothing, and every Monday 02:00–03:00 a batch
    // job sends 10× the weekday volume. Three weeks: scans start once a full week is behind them.
    const weekly = (i: number) => {
      const dayOfWeek = Math.floor(i / PER_DAY) % 7;
      const hour = Math.floor((i % PER_DAY) / PER_HOUR);
      if (dayOfWeek >= 5) return 5;
      return dayOfWeek === 0 && hour === 2 ? 5000 : 500;
    };
    const s = series(21, weekly, 5);
    expect(scanAll(s, 8)).toEqual([]);
  });

  it('without a same-weekday comparison the same Monday peak would have been a spike', () => {
    // The same series scanned with a 6-day baseline (no "last week") shows what the weekly
    // comparison prevents: the first window of each Monday batch job is flagged.
    const weekly = (i: number) => (Math.floor(i / PER_DAY) % 7 === 0 && Math.floor((i % PER_DAY) / PER_HOUR) === 2 ? 5000 : 500);
    const s = series(22, weekly, 6);
    const raised = scanAll(s, 8, { ...DEFAULT_DETECTION, baselineDays: 6 });
    expect(raised.map((r) => r.finding.kind)).toEqual(['usage_spike', 'usage_spike']);
  });

  it('a busy meter falling to zero raises one usage_drop, once the fall has lasted three windows', () => {
    const outage = 11 * PER_DAY + 10 * PER_HOUR;
    const s = series(21, (i) => (i < outage ? 600 : 0), 7); // and never comes back
    const raised = scanAll(s, 8);
    expect(raised.map((r) => [r.at, r.finding.kind])).toEqual([[outage + 3, 'usage_drop']]);
    expect(raised[0]!.finding.spanBuckets).toBe(3);
  });

  it('quiet nights are not drops, and a quiet meter never raises one', () => {
    const nights = (i: number) => (i % PER_DAY < 6 * PER_HOUR ? 0 : 400);
    expect(scanAll(series(14, nights, 8), 8)).toEqual([]);
    const quiet = series(14, (i) => (i < 11 * PER_DAY ? 20 : 0), 9);
    expect(scanAll(quiet, 8)).toEqual([]);
  });

  it('a spike under the minimum volume raises nothing', () => {
    const s = series(14, (i) => (i === 10 * PER_DAY ? 60 : 5), 10);
    expect(scanAll(s, 8)).toEqual([]);
  });

  it('a rule window of three intervals compares three-interval sums', () => {
    const p = { ...DEFAULT_DETECTION, windowBuckets: 3 };
    const step = 10 * PER_DAY;
    // 10× for 15 minutes: one spike of the 15-minute window, raised by the scan after its first interval
    const s = series(14, (i) => (i >= step && i < step + 3 ? 3000 : 300), 11);
    const raised = scanAll(s, 8, p);
    expect(raised.map((r) => [r.at, r.finding.kind])).toEqual([[step + 1, 'usage_spike']]);
  });
});

describe('episodes the scanner did not see begin (it was not running, or the usage was back-dated)', () => {
  it('a 10× step already an hour old when scanning begins raises one usage_spike at the first scan', () => {
    const step = 10 * PER_DAY + 7 * PER_HOUR;
    const s = series(21, (i) => (i < step ? 300 : 3000), 3);
    const raised = scanFrom(s, step + PER_HOUR);
    expect(raised.map((r) => [r.at, r.finding.kind])).toEqual([[step + PER_HOUR, 'usage_spike']]);
  });

  it('a fall to zero already an hour old when scanning begins raises one usage_drop at the first scan', () => {
    const outage = 11 * PER_DAY + 10 * PER_HOUR;
    const s = series(21, (i) => (i < outage ? 600 : 0), 7);
    const raised = scanFrom(s, outage + PER_HOUR);
    expect(raised.map((r) => [r.at, r.finding.kind])).toEqual([[outage + PER_HOUR, 'usage_drop']]);
  });

  it('a spike that ends and a second one two hours later are two episodes, two alerts', () => {
    const first = 9 * PER_DAY + 14 * PER_HOUR;
    const second = first + 2 * PER_HOUR;
    const inBurst = (i: number) => (i >= first && i < first + PER_HOUR) || (i >= second && i < second + 30 / 5);
    const s = series(14, (i) => (inBurst(i) ? 5000 : 500), 12);
    // scanning begins in the middle of the first burst
    const raised = scanFrom(s, first + 6);
    expect(raised.map((r) => [r.at, r.finding.kind])).toEqual([
      [first + 6, 'usage_spike'],
      [second + 1, 'usage_spike'],
    ]);
  });
});

describe('assess', () => {
  const p = DEFAULT_DETECTION;
  const grid = (today: number, days: number[]): BucketGrid => [[today, 0], ...days.map((d) => [d, 0])];

  it('uses the median of the seven days and a MAD-based scale', () => {
    const a = assess(grid(1000, [100, 110, 90, 105, 95, 100, 100]), 0, 1, p, 'up');
    expect(a.median).toBe(100);
    expect(a.expected).toBe(100);
    // MAD 5 × 1.4826 = 7.41 < √100 = 10 = 10 % of 100 → scale 10
    expect(a.scale).toBe(10);
    expect(a.z).toBe(90);
  });

  it('expects at least last week upward and at most last week downward', () => {
    const days = [100, 100, 100, 100, 100, 100, 900];
    expect(assess(grid(900, days), 0, 1, p, 'up').expected).toBe(900);
    expect(assess(grid(900, days), 0, 1, p, 'down').expected).toBe(100);
  });

  it('an empty baseline expects zero with a scale of one', () => {
    const a = assess([[150]], 0, 1, p, 'up');
    expect(a).toMatchObject({ observed: 150, expected: 0, scale: 1, z: 150 });
  });
});
