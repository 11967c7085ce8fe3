import type { DatabasePool } from 'slonik';
import { defineRoute, type RouteDef } from '../http/route.ts';
import { createOverviewService } from './overview-service.ts';
import { overviewQuery, overviewResponse } from './overview-schemas.ts';

/** The billing overview of operators (admin, finance): exact figures per currency over all invoices. */
export function overviewRoutes(deps: { pg: DatabasePool }): RouteDef[] {
  const service = createOverviewService(deps);
  return [
    defineRoute({
      method: 'get',
      path: '/billing/overview',
      operationId: 'billingOverview',
      tag: 'invoices',
      access: { roles: ['admin', 'finance'] },
      summary: 'Revenue, MRR, overdue and uncollectible per currency, over every invoice',
      description:
        'Each figure is summed by the database over all invoices (not a page of them), per currency: amounts in different currencies are never added. Definitions are on each field.',
      query: overviewQuery,
      responses: { 200: { description: 'The figures as of `at`', schema: overviewResponse } },
      handler: async ({ query }) => ({ status: 200, body: await service.overview(query.at ?? new Date()) }),
    }),
  ];
}
