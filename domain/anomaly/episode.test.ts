import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTION, type BucketGrid, type Finding } from './detect.ts';
import { EPISODE_MAX_GAP_INTERVALS, decideEpisode, observe, type Observation } from './episode.ts';

const MIN = 60_000;
const GAP = EPISODE_MAX_GAP_INTERVALS * 5 * MIN;
const t = (minutes: number) => new Date(Date.UTC(2026, 2, 1, 12) + minutes * MIN);
const finding: Finding = {
  kind: 'usage_spike',
  spanBuckets: 1,
  observed: 2000,
  expected: 200,
  median: 200,
  lastWeek: 200,
  scale: 20,
  z: 90,
};
const anomalous: Observation = { kind: 'usage_spike', finding, persists: true };
const elevated: Observation = { kind: 'usage_spike', finding: null, persists: true };
const normal: Observation = { kind: 'usage_spike', finding: null, persists: false };

describe('decideEpisode: one alert per episode from the stored open episode', () => {
  it('with no open episode, an anomaly opens one (the alert) and anything less does nothing', () => {
    expect(decideEpisode(null, anomalous, t(0), GAP)).toEqual({ action: 'open', finding, closesStale: false });
    expect(decideEpisode(null, elevated, t(0), GAP)).toEqual({ action: 'none' });
    expect(decideEpisode(null, normal, t(0), GAP)).toEqual({ action: 'none' });
  });

  it('an open episode continues while the relaxed condition holds, and raises nothing however anomalous', () => {
    const open = { lastSeenWindowEnd: t(0) };
    expect(decideEpisode(open, anomalous, t(5), GAP)).toEqual({ action: 'continue' });
    expect(decideEpisode(open, elevated, t(5), GAP)).toEqual({ action: 'continue' });
  });

  it('an open episode closes when the window is back to normal', () => {
    expect(decideEpisode({ lastSeenWindowEnd: t(0) }, normal, t(5), GAP)).toEqual({ action: 'close' });
  });

  it('a re-run of the window that opened it continues it (idempotent), and an older window changes nothing', () => {
    const open = { lastSeenWindowEnd: t(10) };
    expect(decideEpisode(open, anomalous, t(10), GAP)).toEqual({ action: 'continue' });
    expect(decideEpisode(open, normal, t(5), GAP)).toEqual({ action: 'none' });
    expect(decideEpisode(open, anomalous, t(5), GAP)).toEqual({ action: 'none' });
  });

  it('an episode unseen for longer than the gap is over: an anomaly now is a new episode, anything less closes it', () => {
    const open = { lastSeenWindowEnd: t(0) };
    // exactly at the gap it is still the same episode
    expect(decideEpisode(open, anomalous, new Date(t(0).getTime() + GAP), GAP)).toEqual({ action: 'continue' });
    const later = new Date(t(0).getTime() + GAP + 5 * MIN);
    expect(decideEpisode(open, anomalous, later, GAP)).toEqual({ action: 'open', finding, closesStale: true });
    expect(decideEpisode(open, elevated, later, GAP)).toEqual({ action: 'close' });
    expect(decideEpisode(open, normal, later, GAP)).toEqual({ action: 'close' });
  });

  it('a whole episode: opens once, continues, closes, and a later anomaly opens a second', () => {
    let open: { lastSeenWindowEnd: Date } | null = null;
    const actions: string[] = [];
    for (const [minute, o] of [
      [0, anomalous],
      [5, anomalous],
      [10, elevated],
      [15, normal],
      [20, normal],
      [25, anomalous],
      [30, anomalous],
    ] as const) {
      const d = decideEpisode(open, o, t(minute), GAP);
      actions.push(d.action);
      if (d.action === 'open' || d.action === 'continue') open = { lastSeenWindowEnd: t(minute) };
      if (d.action === 'close') open = null;
    }
    expect(actions).toEqual(['open', 'continue', 'continue', 'close', 'none', 'open', 'continue']);
  });
});

describe('observe', () => {
  // day 0 is today; seven baseline days of 200 events in the window
  const grid = (today: number): BucketGrid => [[today, 0, 0], ...Array.from({ length: 7 }, () => [200, 200, 200])];

  it('a 10× window is an anomaly, a window at 1.4× only keeps an episode open, a usual one neither', () => {
    const [spike] = observe(grid(2000), DEFAULT_DETECTION);
    expect(spike).toMatchObject({
      kind: 'usage_spike',
      persists: true,
      finding: { kind: 'usage_spike', spanBuckets: 1, observed: 2000, expected: 200 },
    });
    // z = (280 − 200) / 20 = 4: above half the sensitivity (3), below the sensitivity (6)
    expect(observe(grid(280), DEFAULT_DETECTION)[0]).toEqual({ kind: 'usage_spike', finding: null, persists: true });
    expect(observe(grid(210), DEFAULT_DETECTION)[0]).toEqual({ kind: 'usage_spike', finding: null, persists: false });
  });

  it('a drop is judged over three windows', () => {
    const quiet: BucketGrid = [[0, 0, 0], ...Array.from({ length: 7 }, () => [200, 200, 200])];
    const drop = observe(quiet, DEFAULT_DETECTION).find((o) => o.kind === 'usage_drop')!;
    expect(drop).toMatchObject({ persists: true, finding: { kind: 'usage_drop', spanBuckets: 3, observed: 0, expected: 600 } });
  });
});
