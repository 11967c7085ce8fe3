import { describe, expect, it } from 'vitest';
import { mad, median } from './robust.ts';

describe('median and MAD', () => {
  it.each<[number[], number]>([
    [[5], 5],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[100, 100, 100, 100, 100, 100, 10_000], 100],
  ])('median of %j is %d', (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it('is NaN for an empty sample', () => {
    expect(median([])).toBeNaN();
  });

  it('MAD ignores one outlier among seven values', () => {
    // deviations from 100: 2, 1, 0, 1, 2, 0, 9900 → sorted 0 0 1 1 2 2 9900 → 1
    expect(mad([98, 99, 100, 101, 102, 100, 10_000])).toBe(1);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});
