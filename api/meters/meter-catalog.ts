import type { DatabasePool } from 'slonik';
import type { Meter } from '../../domain/metering/index.ts';
import { metersRepository, type MeterRecord } from '../../db/postgres/meters-repository.ts';
import { createTtlCache } from '../http/ttl-cache.ts';

/**
 * The meters, cached in memory for ingest's hot path (every event is checked against the
 * meters of its type). A meter created through this process is visible at once; one
 * created through another replica within `ttlMs`. Meters are never changed or deleted,
 * so a stale cache can only miss a brand-new meter, which then shows as a warning.
 */
export type MeterCatalog = {
  all(): Promise<MeterRecord[]>;
  forEventType(type: string): Promise<readonly Meter[]>;
  invalidate(): void;
};

export function createMeterCatalog(pg: DatabasePool, ttlMs = 5_000): MeterCatalog {
  // One entry: the whole list, with its index by event type.
  const cache = createTtlCache<'all', { list: MeterRecord[]; byType: Map<string, Meter[]> }>({ ttlMs });
  const load = async () => {
    const list = await metersRepository.list(pg);
    const byType = new Map<string, Meter[]>();
    for (const m of list) byType.set(m.eventType, [...(byType.get(m.eventType) ?? []), m]);
    return { list, byType };
  };
  const current = () => cache.get('all', load);

  return {
    all: async () => (await current()).list,
    forEventType: async (type) => (await current()).byType.get(type) ?? [],
    invalidate: () => cache.clear(),
  };
}
