import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { debounce } from './debounce.ts';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('debounce', () => {
  it('runs once for a burst, after the burst pauses', () => {
    const run = vi.fn();
    const d = debounce(run, { waitMs: 1000, maxWaitMs: 5000 });
    for (let i = 0; i < 50; i++) d.schedule();
    vi.advanceTimersByTime(999);
    expect(run).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('still runs every maxWaitMs under a steady stream of calls closer together than waitMs', () => {
    const run = vi.fn();
    const d = debounce(run, { waitMs: 1500, maxWaitMs: 5000 });
    // A usage tick every second for 20 s: a plain trailing debounce would never run.
    for (let s = 0; s < 20; s++) {
      d.schedule();
      vi.advanceTimersByTime(1000);
    }
    expect(run).toHaveBeenCalledTimes(4);
  });

  it('runs nothing once cancelled', () => {
    const run = vi.fn();
    const d = debounce(run, { waitMs: 100, maxWaitMs: 100 });
    d.schedule();
    d.cancel();
    vi.advanceTimersByTime(1000);
    expect(run).not.toHaveBeenCalled();
  });
});
