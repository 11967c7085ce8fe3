import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import { defineRoute, type RouteDef } from '../http/route.ts';
import type { MeteringRuntime } from '../ingest/metering-runtime.ts';
import { createTenantsUsageService } from './tenants-usage-service.ts';
import { tenantsUsageQuery, tenantsUsageResponse } from './tenants-usage-schemas.ts';

/** The cross-tenant usage summary of operators (admin, finance). */
export function tenantsUsageRoutes(deps: { pg: DatabasePool; clickhouse: ClickHouseClient; metering: MeteringRuntime }): RouteDef[] {
  const service = createTenantsUsageService(deps);
  return [
    defineRoute({
      method: 'get',
      path: '/usage/by-tenant',
      operationId: 'usageByTenant',
      tag: 'usage',
      access: { roles: ['admin', 'finance'] },
      summary: 'Usage of every meter (or one) across all tenants in [from, to), with the top tenants',
      description: 'One deduplicated read per meter over every tenant (not one per tenant). Values are exact decimal strings.',
      query: tenantsUsageQuery,
      responses: { 200: { description: 'One item per meter', schema: tenantsUsageResponse }, 404: { description: 'No such meter' } },
      handler: async ({ query }) => ({ status: 200, body: await service.summary(query) }),
    }),
  ];
}
