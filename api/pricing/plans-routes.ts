import type { DatabasePool } from 'slonik';
import { defineRoute, ROLES, type RouteDef } from '../http/route.ts';
import { pageOf, paginationQuery } from '../http/pagination.ts';
import { z } from 'zod';
import { resolveTenantFilter, scopeOf } from '../auth/tenant-access.ts';
import { planBody, planIdParams, planResponse, planVersionQuery, quoteBody, quoteResponse, toPlanResponse } from './plan-schemas.ts';
import { createPlansService } from './plans-service.ts';

const hidden = 'No such plan or version (or a private plan or version your tenant does not use)';

/** Plans (operator-owned, versioned, public or private) and quotes, which price a period with domain/pricing's quotePlan. */
export function plansRoutes(deps: { pg: DatabasePool }): RouteDef[] {
  const plans = createPlansService(deps.pg);
  return [
    defineRoute({
      method: 'post',
      path: '/pricing/plans',
      operationId: 'createPlan',
      tag: 'pricing',
      access: { roles: ['admin'] },
      summary: 'Create a plan (version 1)',
      description: 'Invalid tiers are refused with 400, naming the tier index (e.g. charges.0.tiers.2.upTo).',
      body: { schema: planBody },
      responses: {
        201: { description: 'Created', schema: planResponse },
        400: { description: 'Invalid plan' },
        409: { description: 'code taken' },
      },
      handler: async ({ body }) => {
        const record = await plans.create(body);
        return { status: 201, body: toPlanResponse(record), headers: { Location: `/api/pricing/plans/${record.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/pricing/plans',
      operationId: 'listPlans',
      tag: 'pricing',
      access: { roles: ROLES },
      summary:
        'List plans: admin and finance every plan (its latest version); a customer public plans and the private versions their tenant uses',
      description: 'Each plan is shown as the newest version the caller may read.',
      query: z.strictObject(paginationQuery),
      responses: { 200: { description: 'A page of plans', schema: pageOf(planResponse) } },
      handler: async ({ query, principal }) => {
        const { items, total } = await plans.list(scopeOf(principal), query);
        return { status: 200, body: { items: items.map(toPlanResponse), total, limit: query.limit, offset: query.offset } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/pricing/plans/:id',
      operationId: 'getPlan',
      tag: 'pricing',
      access: { roles: ROLES },
      summary: 'One plan: the newest version the caller may read, or ?version=n',
      params: planIdParams,
      query: planVersionQuery,
      responses: { 200: { description: 'The plan', schema: planResponse }, 404: { description: hidden } },
      handler: async ({ params, query, principal }) => {
        const record = await plans.get(scopeOf(principal), params.id, query.version);
        return { status: 200, body: toPlanResponse(record) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/pricing/plans/:id/versions',
      operationId: 'listPlanVersions',
      tag: 'pricing',
      access: { roles: ROLES },
      summary: 'The versions of a plan the caller may read, oldest first',
      params: planIdParams,
      responses: { 200: { description: 'The versions', schema: z.object({ items: z.array(planResponse) }) }, 404: { description: hidden } },
      handler: async ({ params, principal }) => {
        const versions = await plans.versions(scopeOf(principal), params.id);
        return { status: 200, body: { items: versions.map(toPlanResponse) } };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/pricing/plans/:id',
      operationId: 'updatePlan',
      tag: 'pricing',
      access: { roles: ['admin'] },
      summary: 'Change a plan',
      description:
        'Replaces the plan definition. While no subscription uses the latest version it is edited in place; ' +
        'once one does, the change becomes a new version (latestVersion + 1) and existing subscriptions and ' +
        'invoices keep the version they use. The code cannot change. `visibility` belongs to the plan (every version) and ' +
        'stays as it is when omitted.',
      params: planIdParams,
      body: { schema: planBody },
      responses: {
        200: { description: 'The changed plan (see version)', schema: planResponse },
        400: { description: 'Invalid plan' },
        404: { description: 'No such plan' },
      },
      handler: async ({ params, body }) => {
        const record = await plans.update(params.id, body);
        return { status: 200, body: toPlanResponse(record) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/pricing/plans/:id/quote',
      operationId: 'quotePlan',
      tag: 'pricing',
      access: { roles: ROLES },
      summary: 'Price one period of a plan for the given usage',
      description:
        "Uses domain/pricing's quotePlan, the function billing uses. Tax comes from the tenant's taxRate: the named " +
        "tenant, or a customer's own tenant; without a tenant the tax rate is 0. A customer naming another tenant gets 404, " +
        'and so does a customer quoting a private plan (or version) their tenant does not use. ' +
        'Usage that prices to more than an invoice can hold (bigint minor units: 92233720368547758.07 USD) is 400, naming usage.<meter>.',
      params: planIdParams,
      body: { schema: quoteBody },
      responses: {
        200: { description: 'The quote', schema: quoteResponse },
        400: { description: 'Invalid usage' },
        404: { description: `${hidden}, or no such tenant` },
      },
      handler: async ({ params, body, principal }) => {
        const tenantId = resolveTenantFilter(principal, body.tenantId);
        const quote = await plans.quote(scopeOf(principal), params.id, { usage: body.usage, version: body.version, tenantId });
        return { status: 200, body: quote };
      },
    }),
  ];
}
