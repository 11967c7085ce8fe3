import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import { defineRoute, ROLES, type RouteDef } from '../http/route.ts';
import type { MeteringRuntime } from '../ingest/metering-runtime.ts';
import { createLimitsService } from './limits-service.ts';
import {
  authorizationSchema,
  authorizeBody,
  limitBody,
  limitListSchema,
  limitParams,
  limitSchema,
  tenantIdParams,
} from './limit-schemas.ts';

const signedOut = { 401: { description: 'Not signed in' } };
const noTenant = { 404: { description: 'No such tenant (or not yours)' } };

/** Usage limits of a tenant, and the real-time authorization against them (api/README.md, *Credits and limits*). */
export function limitsRoutes(deps: { pg: DatabasePool; clickhouse: ClickHouseClient; metering: MeteringRuntime }): RouteDef[] {
  const limits = createLimitsService({ pg: deps.pg, clickhouse: deps.clickhouse, meters: deps.metering.meters });
  return [
    defineRoute({
      method: 'post',
      path: '/tenants/:id/usage-limits',
      operationId: 'createUsageLimit',
      tag: 'limits',
      access: { roles: ['admin', 'customer'] },
      summary: "Limit a tenant's usage of a meter in a window (a customer adds their own; every limit applies, so it only tightens)",
      description:
        'Only `sum` and `count` meters can carry a limit. `hard` refuses authorizations past it, `soft` authorizes with `overLimit` and ' +
        "raises one usage_limit_exceeded alert per window, `credit` is a hard limit that also authorizes only while the tenant's credit balance covers the open periods' usage, every open credit reservation and the quantity, priced at the plan's prices.",
      params: tenantIdParams,
      body: { schema: limitBody },
      responses: {
        201: { description: "The limit, with its current window's figures", schema: limitSchema },
        400: { description: 'Invalid input: the field is named (an unknown or non-additive meter, a malformed limit)' },
        ...signedOut,
        403: { description: 'Not an admin or a customer' },
        ...noTenant,
      },
      handler: async ({ params, body, principal }) => ({ status: 201, body: await limits.create(principal, params.id, body) }),
    }),
    defineRoute({
      method: 'get',
      path: '/tenants/:id/usage-limits',
      operationId: 'listUsageLimits',
      tag: 'limits',
      access: { roles: ROLES },
      summary: "A tenant's usage limits, each with its current window's usage, reservations and what remains",
      params: tenantIdParams,
      responses: {
        200: { description: 'The limits', schema: limitListSchema },
        400: { description: 'A malformed tenant id' },
        ...signedOut,
        ...noTenant,
      },
      handler: async ({ params, principal }) => ({ status: 200, body: { items: await limits.list(principal, params.id) } }),
    }),
    defineRoute({
      method: 'delete',
      path: '/tenants/:id/usage-limits/:limitId',
      operationId: 'deleteUsageLimit',
      tag: 'limits',
      access: { roles: ['admin', 'customer'] },
      summary: 'Delete a usage limit (a customer deletes only their own)',
      params: limitParams,
      responses: {
        204: { description: 'Deleted' },
        400: { description: 'A malformed id' },
        ...signedOut,
        403: { description: "A customer deleting an admin's limit, or a role that may not delete limits" },
        404: { description: 'No such tenant or limit (or not yours)' },
      },
      handler: async ({ params, principal }) => {
        await limits.remove(principal, params.id, params.limitId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/usage/authorize',
      operationId: 'authorizeUsage',
      tag: 'limits',
      access: { roles: ['admin'], apiKey: ['ingest'] },
      summary:
        'Reserve a quantity of a meter before using it: authorized only while every hard limit (and, for a credit limit, the credit) still holds it',
      description:
        "With an ingest key the tenant is the key's; an admin names `tenantId`. The reservation holds until an event naming its " +
        '`reservationId` settles it or `ttlSeconds` pass. A repeated `idempotencyKey` answers the first answer.',
      body: { schema: authorizeBody },
      responses: {
        200: { description: 'The answer: authorized (with a reservation) or not (with the reason)', schema: authorizationSchema },
        400: {
          description: 'Invalid input: the field is named (quantity, ttlSeconds, idempotencyKey, an unknown meter, tenantId missing)',
        },
        ...signedOut,
        403: { description: 'A key naming another tenant, a read-only key, or a role other than admin' },
        404: { description: 'No such tenant' },
        409: {
          description:
            'A credit limit applies and a plan of the tenant cannot be priced now (a meter it charges is not defined, or the sum is too large)',
        },
        422: { description: 'The idempotencyKey was already used with another meter or quantity' },
        503: { description: 'The limits changed under the authorization several times; retry (Retry-After)' },
      },
      handler: async ({ body, principal }) => ({ status: 200, body: await limits.authorize(principal, body) }),
    }),
  ];
}
