/**
 * The in-memory caches that keep hot paths (credential checks, ingest) off PostgreSQL: a
 * value is kept `ttlMs` after it arrived, and `ttlMs` may depend on the value (an unknown
 * tenant is forgotten sooner than a known one, so one created a moment ago is found soon).
 * Concurrent reads of one key share one load; a failed load is not kept, so the next read
 * asks again. Past `maxEntries` the cache starts over rather than track recency: the keys come
 * from callers (API keys, subjects), and a full clear bounds memory at no bookkeeping cost.
 */
export type TtlCache<K, V> = {
  /** The cached value of `key`, else what `load()` gives. */
  get(key: K, load: () => Promise<V>): Promise<V>;
  delete(key: K): void;
  clear(): void;
};

export function createTtlCache<K, V>(o: {
  ttlMs: number | ((value: V) => number);
  maxEntries?: number;
  now?: () => number;
}): TtlCache<K, V> {
  const entries = new Map<K, { value: Promise<V>; until: number }>();
  const now = o.now ?? Date.now;
  const ttlOf = typeof o.ttlMs === 'function' ? o.ttlMs : () => o.ttlMs as number;
  const maxEntries = o.maxEntries ?? 10_000;
  return {
    get(key, load) {
      const hit = entries.get(key);
      if (hit && hit.until > now()) return hit.value;
      if (entries.size >= maxEntries) entries.clear();
      // Kept while loading (shared by concurrent reads), then for its lifetime from arrival.
      const entry = { value: (async () => load())(), until: Infinity };
      entries.set(key, entry);
      entry.value.then(
        (value) => {
          entry.until = now() + ttlOf(value);
        },
        () => {
          if (entries.get(key) === entry) entries.delete(key);
        },
      );
      return entry.value;
    },
    delete: (key) => void entries.delete(key),
    clear: () => entries.clear(),
  };
}
