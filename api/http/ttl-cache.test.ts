import { describe, expect, it } from 'vitest';
import { createTtlCache } from './ttl-cache.ts';

/** A load that resolves when told to, counting its calls. */
function deferredLoads<V>() {
  const pending: ((v: V) => void)[] = [];
  let calls = 0;
  return {
    load: () => {
      calls += 1;
      return new Promise<V>((resolve) => pending.push(resolve));
    },
    resolveAll: (v: V) => pending.splice(0).forEach((r) => r(v)),
    calls: () => calls,
  };
}

describe('createTtlCache', () => {
  it('keeps a value for ttlMs after it arrived, then loads again', async () => {
    let t = 1_000;
    const cache = createTtlCache<string, number>({ ttlMs: 100, now: () => t });
    let n = 0;
    const load = async () => ++n;
    expect(await cache.get('k', load)).toBe(1);
    t += 99;
    expect(await cache.get('k', load)).toBe(1);
    t += 1;
    expect(await cache.get('k', load)).toBe(2);
  });

  it('counts the lifetime from the answer, not from the request', async () => {
    let t = 0;
    const cache = createTtlCache<string, string>({ ttlMs: 100, now: () => t });
    const d = deferredLoads<string>();
    const first = cache.get('k', d.load);
    t = 500; // a slow load: it answers long after it was asked
    d.resolveAll('a');
    expect(await first).toBe('a');
    t = 599;
    expect(await cache.get('k', d.load)).toBe('a');
    expect(d.calls()).toBe(1);
  });

  it('takes the lifetime from the value when ttlMs is a function', async () => {
    let t = 0;
    const cache = createTtlCache<string, string | null>({ ttlMs: (v) => (v ? 1_000 : 10), now: () => t });
    let loads = 0;
    const load = (v: string | null) => async () => {
      loads += 1;
      return v;
    };
    await cache.get('miss', load(null));
    await cache.get('hit', load('x'));
    t = 10;
    expect(await cache.get('miss', load('now found'))).toBe('now found');
    expect(await cache.get('hit', load('other'))).toBe('x');
    expect(loads).toBe(3);
  });

  it('lets concurrent reads of one key share one load', async () => {
    const cache = createTtlCache<string, string>({ ttlMs: 1_000 });
    const d = deferredLoads<string>();
    const reads = [cache.get('k', d.load), cache.get('k', d.load), cache.get('k', d.load)];
    const other = cache.get('other', d.load);
    expect(d.calls()).toBe(2);
    d.resolveAll('v');
    expect(await Promise.all([...reads, other])).toEqual(['v', 'v', 'v', 'v']);
  });

  it('does not keep a failed load, a synchronous throw included', async () => {
    const cache = createTtlCache<string, string>({ ttlMs: 1_000 });
    await expect(cache.get('k', () => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
    await expect(
      cache.get('k', () => {
        throw new Error('thrown');
      }),
    ).rejects.toThrow('thrown');
    expect(await cache.get('k', async () => 'recovered')).toBe('recovered');
  });

  it('starts over past maxEntries', async () => {
    const cache = createTtlCache<number, number>({ ttlMs: 60_000, maxEntries: 3 });
    let loads = 0;
    const load = (k: number) => async () => {
      loads += 1;
      return k;
    };
    for (const k of [1, 2, 3]) await cache.get(k, load(k));
    await cache.get(1, load(1));
    expect(loads).toBe(3); // all three still cached
    await cache.get(4, load(4)); // the fourth key clears the rest
    await cache.get(1, load(1));
    expect(loads).toBe(5);
  });

  it('forgets a deleted key or everything on clear, an unfinished load too', async () => {
    const cache = createTtlCache<string, number>({ ttlMs: 60_000 });
    let n = 0;
    const load = async () => ++n;
    await cache.get('a', load);
    cache.delete('a');
    expect(await cache.get('a', load)).toBe(2);
    const d = deferredLoads<number>();
    const stale = cache.get('b', d.load);
    cache.clear();
    expect(await cache.get('b', load)).toBe(3);
    d.resolveAll(99);
    expect(await stale).toBe(99);
    expect(await cache.get('b', load)).toBe(3); // the cleared load did not come back
  });
});
