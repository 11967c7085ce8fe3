import { describe, expect, it } from 'vitest';
import { readUsageBatch, USAGE_READS_AT_ONCE, WINDOWS_PER_READ, type UsageQuery, type UsageSource } from './usage-source.ts';

// The combinator over any UsageSource: these sources are the interface's two shapes, not
// stand-ins for the metering source (its batched read has its own integration test).

const q = (tenantId: string, meter: string): UsageQuery => ({ tenantId, meter, from: new Date(0), to: new Date(1000) });
const answer = (query: Pick<UsageQuery, 'tenantId'>, meter: string) => ({ quantity: `${meter}:${query.tenantId}`, eventCount: '1' });

describe('readUsageBatch', () => {
  it("sends each meter's windows as batched reads of at most WINDOWS_PER_READ, and answers in the order asked", async () => {
    const batches: [string, number][] = [];
    const source: UsageSource = {
      read: async () => {
        throw new Error('single reads must not be used');
      },
      readWindows: async (meter, windows) => {
        batches.push([meter, windows.length]);
        return windows.map((w) => answer(w, meter));
      },
    };
    const queries = Array.from({ length: WINDOWS_PER_READ + 5 }, (_, i) => q(`t${i}`, i % 2 ? 'b' : 'a'));
    const settled = await readUsageBatch(source, queries);
    expect(settled.map((s) => s.status === 'fulfilled' && s.value.quantity)).toEqual(queries.map((x) => `${x.meter}:${x.tenantId}`));
    expect(batches.sort()).toEqual([
      ['a', 103],
      ['b', 102],
    ]);
  });

  it("keeps a window's own error to that window", async () => {
    const source: UsageSource = {
      read: async () => {
        throw new Error('unused');
      },
      readWindows: async (meter, windows) => windows.map((w) => (w.tenantId === 'bad' ? new Error('too large') : answer(w, meter))),
    };
    const settled = await readUsageBatch(source, [q('ok1', 'a'), q('bad', 'a'), q('ok2', 'a')]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toEqual(new Error('too large'));
  });

  it('reads a batch that fails as a whole window by window, so only the window that breaks it fails', async () => {
    const source: UsageSource = {
      read: async (x) => {
        if (x.tenantId === 'poison') throw new Error('query failed');
        return answer(x, x.meter);
      },
      readWindows: async (_meter, windows) => {
        if (windows.some((w) => w.tenantId === 'poison')) throw new Error('query failed');
        return windows.map((w) => answer(w, _meter));
      },
    };
    const settled = await readUsageBatch(source, [q('t1', 'a'), q('poison', 'a'), q('t2', 'a'), q('t3', 'b')]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  });

  it('without batched reads, reads one window at a time, at most USAGE_READS_AT_ONCE in flight', async () => {
    let running = 0;
    let most = 0;
    const source: UsageSource = {
      read: async (x) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 2));
        running -= 1;
        return answer(x, x.meter);
      },
    };
    const queries = Array.from({ length: 20 }, (_, i) => q(`t${i}`, 'a'));
    const settled = await readUsageBatch(source, queries);
    expect(settled.every((s) => s.status === 'fulfilled')).toBe(true);
    expect(most).toBe(USAGE_READS_AT_ONCE);
  });
});
