import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import { defineRoute, ROLES, type RouteDef } from '../http/route.ts';
import { idempotencyKeyOf } from '../http/idempotency-key.ts';
import type { MeteringRuntime } from '../ingest/metering-runtime.ts';
import { createCreditsService } from './credits-service.ts';
import { balanceSchema, grantBody, grantSchema, ledgerPageSchema, ledgerQuery, tenantIdParams } from './credit-schemas.ts';

const signedOut = { 401: { description: 'Not signed in' } };
const noTenant = { 404: { description: 'No such tenant (or not yours)' } };

/** Credit grants, the credit ledger and the balance of a tenant. */
export function creditsRoutes(deps: { pg: DatabasePool; clickhouse: ClickHouseClient; metering: MeteringRuntime }): RouteDef[] {
  const credits = createCreditsService({ pg: deps.pg, clickhouse: deps.clickhouse, meters: deps.metering.meters });
  return [
    defineRoute({
      method: 'post',
      path: '/tenants/:id/credit-grants',
      operationId: 'createCreditGrant',
      tag: 'credits',
      access: { roles: ['admin', 'finance'] },
      summary: 'Grant credit to a tenant: it pays for its invoices after tax, by priority then the earliest expiry',
      description:
        "The amount is a decimal string in the tenant's currency. With an `Idempotency-Key` header a repeat (or a concurrent twin) " +
        'writes nothing and answers the first grant.',
      params: tenantIdParams,
      body: { schema: grantBody },
      responses: {
        201: { description: 'The grant, with what is left of it (for a repeated Idempotency-Key: the first grant)', schema: grantSchema },
        400: { description: 'Invalid input: the field is named (another currency, too many decimals, ≤ 0, too large, an unknown meter)' },
        ...signedOut,
        403: { description: 'Not an admin or finance' },
        ...noTenant,
        422: { description: 'The Idempotency-Key was already used for another grant' },
      },
      handler: async ({ params, body, principal, ctx }) => {
        const { grant } = await credits.grant(principal, params.id, body, idempotencyKeyOf(ctx.get('Idempotency-Key')));
        return { status: 201, body: grant };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/tenants/:id/credit-ledger',
      operationId: 'listCreditLedger',
      tag: 'credits',
      access: { roles: ROLES },
      summary: "A tenant's credit ledger, oldest entry first, one page at a time",
      description: 'Nothing edits an entry: a correction is a further entry. The balance is the sum of the entries.',
      params: tenantIdParams,
      query: ledgerQuery,
      responses: {
        200: { description: 'A page of entries', schema: ledgerPageSchema },
        400: { description: 'A malformed limit or cursor' },
        ...signedOut,
        ...noTenant,
      },
      handler: async ({ params, query, principal }) => ({ status: 200, body: await credits.ledger(principal, params.id, query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/tenants/:id/credit-balance',
      operationId: 'getCreditBalance',
      tag: 'credits',
      access: { roles: ROLES },
      summary: "A tenant's credit: granted, consumed, expired, and what is available once the open period's usage is paid",
      params: tenantIdParams,
      responses: {
        200: { description: 'The balance', schema: balanceSchema },
        ...signedOut,
        ...noTenant,
        409: {
          description: "The open period's usage cannot be priced (a meter of the plan is not defined, or it exceeds what an invoice holds)",
        },
      },
      handler: async ({ params, principal }) => ({ status: 200, body: await credits.balance(principal, params.id) }),
    }),
  ];
}
