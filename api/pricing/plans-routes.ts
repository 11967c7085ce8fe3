import type { DatabasePool } from 'slonik';
import { UniqueIntegrityConstraintViolationError } from 'slonik';
import { defineRoute, ROLES, type RouteDef } from '../http/route.ts';
import { badRequest, conflict, notFound } from '../http/problem.ts';
import { pageOf, paginationQuery } from '../http/pagination.ts';
import { z } from 'zod';
import { withOperator, withScope } from '../../db/postgres/tenant-scope.ts';
import { plansRepository } from '../../db/postgres/plans-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { quotePlan, quoteRangeProblem } from '../../domain/pricing/index.ts';
import { toDecimal, toDecimalString } from '../../domain/money/index.ts';
import { resolveTenantFilter, scopeOf } from '../auth/tenant-access.ts';
import { planBody, planIdParams, planResponse, planVersionQuery, quoteBody, quoteResponse, toPlanResponse } from './plan-schemas.ts';


const duplicateCode = (err: unknown) =>
  err instanceof UniqueIntegrityConstraintViolationError ? conflict('code', 'is already used by another plan') : err;

/** Plans (operator-owned, versioned) and quotes, which price a period with domain/pricing's quotePlan. */
export function plansRoutes(deps: { pg: DatabasePool }): RouteDef[] {
  return [
    defineRoute({
      method: 'post', path: '/pricing/plans', operationId: 'createPlan', tag: 'pricing', access: { roles: ['admin'] },
      summary: 'Create a plan (version 1)',
      description: 'Invalid tiers are refused with 400, naming the tier index (e.g. charges.0.tiers.2.upTo).',
      body: { schema: planBody },
      responses: { 201: { description: 'Created', schema: planResponse }, 400: { description: 'Invalid plan' }, 409: { description: 'code taken' } },
      handler: async ({ body }) => {
        const record = await withOperator(deps.pg, (tx) => plansRepository.insert(tx, body)).catch((e) => {
          throw duplicateCode(e);
        });
        return { status: 201, body: toPlanResponse(record), headers: { Location: `/api/pricing/plans/${record.id}` } };
      },
    }),
    defineRoute({
      method: 'get', path: '/pricing/plans', operationId: 'listPlans', tag: 'pricing', access: { roles: ROLES },
      summary: 'List plans (their latest versions)',
      query: z.strictObject(paginationQuery),
      responses: { 200: { description: 'A page of plans', schema: pageOf(planResponse) } },
      handler: async ({ query }) => {
        const [items, total] = await withOperator(deps.pg, (tx) => Promise.all([plansRepository.list(tx, query), plansRepository.count(tx)]));
        return { status: 200, body: { items: items.map(toPlanResponse), total, limit: query.limit, offset: query.offset } };
      },
    }),
    defineRoute({
      method: 'get', path: '/pricing/plans/:id', operationId: 'getPlan', tag: 'pricing', access: { roles: ROLES },
      summary: 'One plan: its latest version, or ?version=n',
      params: planIdParams,
      query: planVersionQuery,
      responses: { 200: { description: 'The plan', schema: planResponse }, 404: { description: 'No such plan or version' } },
      handler: async ({ params, query }) => {
        const record = await withOperator(deps.pg, (tx) => plansRepository.findById(tx, params.id, query.version));
        if (!record) throw notFound('plan');
        return { status: 200, body: toPlanResponse(record) };
      },
    }),
    defineRoute({
      method: 'get', path: '/pricing/plans/:id/versions', operationId: 'listPlanVersions', tag: 'pricing', access: { roles: ROLES },
      summary: 'Every version of a plan, oldest first',
      params: planIdParams,
      responses: { 200: { description: 'The versions', schema: z.object({ items: z.array(planResponse) }) }, 404: { description: 'No such plan' } },
      handler: async ({ params }) => {
        const versions = await withOperator(deps.pg, (tx) => plansRepository.versions(tx, params.id));
        if (versions.length === 0) throw notFound('plan');
        return { status: 200, body: { items: versions.map(toPlanResponse) } };
      },
    }),
    defineRoute({
      method: 'put', path: '/pricing/plans/:id', operationId: 'updatePlan', tag: 'pricing', access: { roles: ['admin'] },
      summary: 'Change a plan',
      description:
        'Replaces the plan definition. While no subscription uses the latest version it is edited in place; ' +
        'once one does, the change becomes a new version (latestVersion + 1) and existing subscriptions and ' +
        'invoices keep the version they use. The code cannot change.',
      params: planIdParams,
      body: { schema: planBody },
      responses: { 200: { description: 'The changed plan (see version)', schema: planResponse }, 400: { description: 'Invalid plan' }, 404: { description: 'No such plan' } },
      handler: async ({ params, body }) => {
        const change = await withOperator(deps.pg, async (tx) => {
          const current = await plansRepository.findById(tx, params.id);
          if (!current) throw notFound('plan');
          if (current.plan.code !== body.code) throw badRequest('code', `cannot change (the plan's code is ${current.plan.code})`);
          return plansRepository.update(tx, params.id, body);
        });
        if (!change) throw notFound('plan');
        return { status: 200, body: toPlanResponse(change.record) };
      },
    }),
    defineRoute({
      method: 'post', path: '/pricing/plans/:id/quote', operationId: 'quotePlan', tag: 'pricing', access: { roles: ROLES },
      summary: 'Price one period of a plan for the given usage',
      description:
        "Uses domain/pricing's quotePlan, the function billing uses. Tax comes from the tenant's taxRate: the named " +
        "tenant, or a customer's own tenant; without a tenant the tax rate is 0. A customer naming another tenant gets 404. " +
        'Usage that prices to more than an invoice can hold (bigint minor units: 92233720368547758.07 USD) is 400, naming usage.<meter>.',
      params: planIdParams,
      body: { schema: quoteBody },
      responses: { 200: { description: 'The quote', schema: quoteResponse }, 400: { description: 'Invalid usage' }, 404: { description: 'No such plan or tenant' } },
      handler: async ({ params, body, principal }) => {
        const tenantId = resolveTenantFilter(principal!, body.tenantId);
        const [record, tenant] = await withScope(deps.pg, scopeOf(principal!), (tx) =>
          Promise.all([plansRepository.findById(tx, params.id, body.version), tenantId ? tenantsRepository.findById(tx, tenantId) : null]),
        );
        if (!record) throw notFound('plan');
        if (tenantId && !tenant) throw notFound('tenant');
        const taxRate = toDecimalString(toDecimal(tenant?.tax_rate ?? '0'));
        const quote = quotePlan(record.plan, body.usage, taxRate);
        const outOfRange = quoteRangeProblem(quote);
        if (outOfRange) throw badRequest(outOfRange.meter === null ? 'usage' : `usage.${outOfRange.meter}`, outOfRange.message);
        return { status: 200, body: { planId: record.id, planVersion: record.version, tenantId: tenant?.id ?? null, taxRate, ...quote } };
      },
    }),
  ];
}
