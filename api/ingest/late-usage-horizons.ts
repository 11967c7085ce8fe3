import type { DatabasePool } from 'slonik';
import { withTenant } from '../../db/postgres/tenant-scope.ts';
import { lateUsageHorizonsRepository } from '../../db/postgres/late-usage-horizons-repository.ts';
import { createTtlCache } from '../http/ttl-cache.ts';
import type { LateUsageBiller } from '../../domain/billing/index.ts';
import { DEFAULT_LATE_USAGE_DAYS, MAX_LATE_USAGE_DAYS } from '../../domain/pricing/index.ts';

/**
 * Each tenant's subscriptions as late-usage billers (domain/billing/late-usage-horizon.ts), from
 * PostgreSQL, cached per tenant for `ttlMs` so ingest asks the database at most once per tenant in
 * that time, not per request. A horizon moves by a day per day and a new invoice only narrows it,
 * so an answer a few seconds old decides the same for all but events at its very edge.
 */
export type LateUsageHorizons = { billersOf(tenantId: string): Promise<readonly LateUsageBiller[]> };

export function createLateUsageHorizons(pg: DatabasePool, ttlMs = 30_000, now: () => number = Date.now): LateUsageHorizons {
  const cache = createTtlCache<string, readonly LateUsageBiller[]>({ ttlMs, now });
  return {
    billersOf: (tenantId) =>
      cache.get(tenantId, () =>
        withTenant(pg, tenantId, (tx) =>
          lateUsageHorizonsRepository.billers(tx, tenantId, new Date(now()), {
            defaultDays: DEFAULT_LATE_USAGE_DAYS,
            maxDays: MAX_LATE_USAGE_DAYS,
          }),
        ),
      ),
  };
}
