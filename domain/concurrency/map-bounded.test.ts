import { describe, expect, it } from 'vitest';
import { mapBounded } from './index.ts';

const tick = () => new Promise<void>((r) => setTimeout(r, 1));

describe('mapBounded', () => {
  it('never runs more than the limit at once, and keeps the order of the items', async () => {
    let running = 0;
    let most = 0;
    const out = await mapBounded(
      Array.from({ length: 25 }, (_, i) => i),
      4,
      async (n) => {
        running += 1;
        most = Math.max(most, running);
        for (let k = 0; k < (n * 7) % 5; k += 1) await tick(); // uneven durations finish out of order
        running -= 1;
        return n * 2;
      },
    );
    expect(out).toEqual(Array.from({ length: 25 }, (_, i) => i * 2));
    expect(most).toBe(4);
  });

  it('with no items does nothing, and a limit above the count starts them all', async () => {
    expect(await mapBounded([], 3, async () => 1)).toEqual([]);
    let started = 0;
    await mapBounded([1, 2], 10, async () => {
      started += 1;
      await tick();
    });
    expect(started).toBe(2);
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const started: number[] = [];
    await expect(
      mapBounded([0, 1, 2, 3, 4, 5], 2, async (n) => {
        started.push(n);
        await tick();
        if (n === 1) throw new Error('item 1 failed');
      }),
    ).rejects.toThrow('item 1 failed');
    await tick();
    await tick();
    expect(started.length).toBeLessThanOrEqual(3);
    expect(started).not.toContain(5);
  });

  it('refuses a limit that is not a positive integer', async () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) await expect(mapBounded([1], limit, async () => 1)).rejects.toThrow(RangeError);
  });
});
