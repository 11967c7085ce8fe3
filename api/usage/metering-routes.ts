import type { AppDeps } from '../app.ts';
import type { RouteDef } from '../http/route.ts';
import { metersRoutes } from '../meters/meters-routes.ts';
import { ingestRoutes } from '../ingest/ingest-routes.ts';
import { usageRoutes } from './usage-routes.ts';
import { tenantsUsageRoutes } from './tenants-usage-routes.ts';

/** Meters, ingest and usage reads: the metering areas, sharing createApp's MeteringRuntime. */
export function meteringRoutes(deps: AppDeps): RouteDef[] {
  const metering = deps.metering;
  if (!metering) throw new Error('createApp provides deps.metering before building routes');
  return [
    ...metersRoutes({ pg: deps.pg, meters: metering.meters }),
    ...ingestRoutes(metering, deps.usageTicks, deps.temporal),
    ...usageRoutes({ pg: deps.pg, clickhouse: deps.clickhouse, metering }),
    ...tenantsUsageRoutes({ pg: deps.pg, clickhouse: deps.clickhouse, metering }),
  ];
}
