import type { DatabasePool } from 'slonik';
import { defineRoute, ROLES, type RouteDef } from '../http/route.ts';
import { tenantIdParams } from './tenant-schemas.ts';
import { createTenantOverviewService } from './tenant-overview-service.ts';
import { tenantOverviewResponse } from './tenant-overview-schemas.ts';

/** The tenant page's read model: one call instead of five. */
export function tenantOverviewRoutes(deps: { pg: DatabasePool }): RouteDef[] {
  const service = createTenantOverviewService(deps);
  return [
    defineRoute({
      method: 'get',
      path: '/tenants/:id/overview',
      operationId: 'tenantOverview',
      tag: 'tenants',
      access: { roles: ROLES },
      summary: 'A tenant with its newest subscriptions, invoices (without lines) and alerts, and its API keys',
      params: tenantIdParams,
      responses: {
        200: { description: 'The tenant overview', schema: tenantOverviewResponse },
        404: { description: 'No such tenant (or not yours)' },
      },
      handler: async ({ params, principal }) => ({ status: 200, body: await service.overview(principal, params.id) }),
    }),
  ];
}
