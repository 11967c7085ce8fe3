import { defineRoute, ROLES, type RouteDef } from '../http/route.ts';
import { scopeOf } from '../auth/tenant-access.ts';
import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import { createEstimateService } from './estimate-service.ts';
import type { MeteringRuntime } from '../ingest/metering-runtime.ts';
import { subscriptionIdParams } from './subscription-schemas.ts';
import { estimateResponse } from './estimate-schemas.ts';

/** The current period's estimate: operators for any subscription, a customer for their tenant's. */
export function estimateRoutes(deps: { pg: DatabasePool; clickhouse: ClickHouseClient; metering: MeteringRuntime }): RouteDef[] {
  const service = createEstimateService({ pg: deps.pg, clickhouse: deps.clickhouse, meters: deps.metering.meters });
  return [
    defineRoute({
      method: 'get',
      path: '/subscriptions/:id/estimate',
      operationId: 'estimateSubscription',
      tag: 'subscriptions',
      access: { roles: ROLES },
      summary: "The current period so far, priced with the subscription's plan version",
      description:
        'Usage from the period start to now, deduplicated as billing reads it, priced like the invoice (base fee, charges, tax). The budget check computes its estimate the same way.',
      params: subscriptionIdParams,
      responses: {
        200: { description: 'The estimate', schema: estimateResponse },
        404: { description: 'No such subscription (or not yours)' },
        409: {
          description:
            'In trial or ended (no period to estimate), a meter of the plan is not defined, or the amounts exceed what an invoice holds',
        },
      },
      handler: async ({ params, principal }) => ({ status: 200, body: await service.estimate(scopeOf(principal), params.id) }),
    }),
  ];
}
