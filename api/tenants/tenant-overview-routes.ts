import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import { defineRoute, ROLES, type RouteDef } from '../http/route.ts';
import type { MeteringRuntime } from '../ingest/metering-runtime.ts';
import { createLimitsService } from '../limits/limits-service.ts';
import { tenantIdParams } from './tenant-schemas.ts';
import { createTenantOverviewService } from './tenant-overview-service.ts';
import { tenantOverviewQuery, tenantOverviewResponse } from './tenant-overview-schemas.ts';

/** The tenant page's read model: one call instead of eight. */
export function tenantOverviewRoutes(deps: { pg: DatabasePool; clickhouse: ClickHouseClient; metering: MeteringRuntime }): RouteDef[] {
  const limits = createLimitsService({ pg: deps.pg, clickhouse: deps.clickhouse, meters: deps.metering.meters });
  const service = createTenantOverviewService({ pg: deps.pg, clickhouse: deps.clickhouse, meters: deps.metering.meters, limits });
  return [
    defineRoute({
      method: 'get',
      path: '/tenants/:id/overview',
      operationId: 'tenantOverview',
      tag: 'tenants',
      access: { roles: ROLES },
      summary:
        'A tenant with its newest subscriptions, invoices (without lines) and alerts, its API keys, its credit (balance, a ledger page, the period’s entries) and its usage limits',
      params: tenantIdParams,
      query: tenantOverviewQuery,
      responses: {
        200: { description: 'The tenant overview', schema: tenantOverviewResponse },
        400: { description: 'A malformed id or ledgerCursor' },
        404: { description: 'No such tenant (or not yours)' },
      },
      handler: async ({ params, query, principal }) => ({ status: 200, body: await service.overview(principal, params.id, query) }),
    }),
  ];
}
