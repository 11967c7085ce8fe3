import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { readMeterUsageByTenant } from '../../db/clickhouse/usage-reader.ts';
import { toDecimal } from '../../domain/money/index.ts';
import type { Meter } from '../../domain/metering/index.ts';
import type { MeteringRuntime } from '../ingest/metering-runtime.ts';
import { notFound } from '../http/problem.ts';
import type { TenantsUsage } from './tenants-usage-schemas.ts';

/**
 * Usage across every tenant, for operators: one ClickHouse query per meter (not one per tenant
 * and meter), through the usage reader, so the figures deduplicate exactly as billing does.
 */
export function createTenantsUsageService(deps: { pg: DatabasePool; clickhouse: ClickHouseClient; metering: MeteringRuntime }) {
  return {
    async summary(q: { from: Date; to: Date; meter?: string | undefined; top: number }): Promise<TenantsUsage> {
      const all = await deps.metering.meters.all();
      const meters: Meter[] = q.meter ? all.filter((m) => m.code === q.meter) : all;
      if (q.meter && meters.length === 0) throw notFound('meter');
      const tenantIds = await withOperator(deps.pg, (tx) => tenantsRepository.allIds(tx));
      const usages = await Promise.all(
        meters.map((meter) => readMeterUsageByTenant(deps.clickhouse, { tenantIds, meter, from: q.from, to: q.to })),
      );
      deps.metering.metrics.eventsDeduplicated.inc(usages.reduce((n, u) => n + u.duplicates, 0));
      return {
        from: q.from.toISOString(),
        to: q.to.toISOString(),
        tenants: tenantIds.length,
        items: usages.map((u) => ({
          meter: u.meter,
          aggregation: u.aggregation,
          value: u.value,
          events: u.events,
          tenantsWithUsage: u.tenants.length,
          top: [...u.tenants]
            .sort((a, b) => toDecimal(b.value).comparedTo(toDecimal(a.value)) || (a.tenantId < b.tenantId ? -1 : 1))
            .slice(0, q.top),
        })),
      };
    },
  };
}
