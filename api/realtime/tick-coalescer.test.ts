import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UsageTickEvent } from '../../db/postgres/realtime-events.ts';
import { createTickCoalescer } from './tick-coalescer.ts';

const tick = (tenantId: string, counts: Record<string, number>): UsageTickEvent => ({
  type: 'usage.tick',
  tenantId,
  at: new Date().toISOString(),
  counts,
});

describe('usage.tick coalescing', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('sends the first tick at once, merges what follows within the interval into one, per tenant', () => {
    const sent: UsageTickEvent[] = [];
    const c = createTickCoalescer(1_000, (e) => sent.push(e));
    c.offer(tick('a', { api_call: 1 }));
    c.offer(tick('b', { api_call: 5 }));
    expect(sent.map((e) => [e.tenantId, e.counts])).toEqual([
      ['a', { api_call: 1 }],
      ['b', { api_call: 5 }],
    ]);
    vi.advanceTimersByTime(300);
    c.offer(tick('a', { api_call: 2 }));
    c.offer(tick('a', { api_call: 3, tokens: 7 }));
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(699);
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sent[2]).toMatchObject({ tenantId: 'a', counts: { api_call: 5, tokens: 7 }, at: new Date(1_001_000).toISOString() });
    c.close();
  });

  it('a tick right after a merged one waits for the next interval; after a quiet interval (and a sweep) the next goes out at once', () => {
    const sent: UsageTickEvent[] = [];
    const c = createTickCoalescer(1_000, (e) => sent.push(e));
    c.offer(tick('a', { x: 1 }));
    vi.advanceTimersByTime(10);
    c.offer(tick('a', { x: 1 }));
    vi.advanceTimersByTime(990);
    expect(sent).toHaveLength(2);
    c.offer(tick('a', { x: 1 }));
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(1_000);
    expect(sent).toHaveLength(3);
    vi.advanceTimersByTime(5_000);
    c.sweep();
    c.offer(tick('a', { x: 4 }));
    expect(sent).toHaveLength(4);
    c.close();
  });
});
