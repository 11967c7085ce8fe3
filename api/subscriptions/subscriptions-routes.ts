import { defineRoute, ROLES, type RouteDef } from '../http/route.ts';
import { pageOf } from '../http/pagination.ts';
import { resolveTenantFilter, scopeOf } from '../auth/tenant-access.ts';
import type { SubscriptionsService } from './subscriptions-service.ts';
import {
  cancelBody,
  changePlanBody,
  createSubscriptionBody,
  listSubscriptionsQuery,
  subscriptionIdParams,
  subscriptionSchema,
} from './subscription-schemas.ts';

/** A date-time is an instant; a bare date stays a date, which the service reads in the tenant's zone. */
const instantOrLocalDate = (text: string): Date | string => (/^\d{4}-\d{2}-\d{2}$/.test(text) ? text : new Date(text));

/** Subscriptions: each one is the workflow subscription-<id>; changes are Temporal Updates. */
export function subscriptionsRoutes(service: SubscriptionsService): RouteDef[] {
  return [
    defineRoute({
      method: 'post',
      path: '/subscriptions',
      operationId: 'createSubscription',
      tag: 'subscriptions',
      access: { roles: ['admin'] },
      summary: 'Subscribe a tenant to a plan (starts its billing workflow)',
      description:
        "Uses the plan's latest version, which is then frozen. The tenant's currency must be the plan's (400); a tenant has at " +
        'most one live subscription per plan (409), and no two live subscriptions bill the same meter unless allowSharedMeters is true (409 naming the meters). ' +
        'A startAt in the past (at most 400 days back, else 400) is billed period by period at once. ' +
        "Periods follow the tenant's timezone (kept for good by the subscription): a date as startAt is local midnight there.",
      body: { schema: createSubscriptionBody },
      responses: {
        201: { description: 'Created', schema: subscriptionSchema },
        400: { description: 'Invalid input, currency mismatch, or startAt more than 400 days back' },
        404: { description: 'No such tenant or plan' },
        409: { description: 'Already subscribed to this plan, or a meter another live subscription bills' },
      },
      handler: async ({ body }) => {
        const view = await service.create({
          tenantId: body.tenantId,
          planId: body.planId,
          ...(body.startAt ? { startAt: instantOrLocalDate(body.startAt) } : {}),
          ...(body.billingAnchor ? { billingAnchor: instantOrLocalDate(body.billingAnchor) } : {}),
          ...(body.allowSharedMeters ? { allowSharedMeters: true } : {}),
        });
        return { status: 201, body: view, headers: { Location: `/api/subscriptions/${view.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/subscriptions',
      operationId: 'listSubscriptions',
      tag: 'subscriptions',
      access: { roles: ROLES },
      summary: 'List subscriptions (from the read model); customers see their own',
      query: listSubscriptionsQuery,
      responses: {
        200: { description: 'A page of subscriptions', schema: pageOf(subscriptionSchema) },
        404: { description: 'Another tenant (customers)' },
      },
      handler: async ({ query, principal }) => {
        const tenantId = resolveTenantFilter(principal, query.tenantId);
        const { items, total } = await service.list(scopeOf(principal), { ...query, tenantId });
        return { status: 200, body: { items, total, limit: query.limit, offset: query.offset } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/subscriptions/:id',
      operationId: 'getSubscription',
      tag: 'subscriptions',
      access: { roles: ROLES },
      summary: 'One subscription, live from its workflow',
      params: subscriptionIdParams,
      responses: {
        200: { description: 'The subscription', schema: subscriptionSchema },
        404: { description: 'No such subscription (or not yours)' },
      },
      handler: async ({ params, principal }) => ({ status: 200, body: await service.get(scopeOf(principal), params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/subscriptions/:id/change-plan',
      operationId: 'changeSubscriptionPlan',
      tag: 'subscriptions',
      access: { roles: ['admin'] },
      summary: 'Change the plan, now (prorated) or at the period end',
      description:
        'A Temporal Update: its validator refuses, with 409 and nothing recorded, what the subscription cannot do (it has ended, same plan version, another currency, another interval at once). The target version is frozen first. A plan billing a meter another live subscription of the tenant bills is 409 unless allowSharedMeters is true.',
      params: subscriptionIdParams,
      body: { schema: changePlanBody },
      responses: {
        200: { description: 'The subscription after the change', schema: subscriptionSchema },
        404: { description: 'No such subscription or plan' },
        409: { description: 'Refused by the workflow, or a meter another live subscription of the tenant bills' },
      },
      handler: async ({ params, body, principal }) => ({
        status: 200,
        body: await service.changePlan(scopeOf(principal), params.id, body),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/subscriptions/:id/cancel',
      operationId: 'cancelSubscription',
      tag: 'subscriptions',
      access: { roles: ['admin'] },
      summary: 'Cancel now (a prorated final invoice) or at the period end',
      params: subscriptionIdParams,
      body: { schema: cancelBody },
      responses: {
        200: { description: 'The subscription after the cancellation', schema: subscriptionSchema },
        404: { description: 'No such subscription' },
        409: { description: 'Already ended' },
      },
      handler: async ({ params, body, principal }) => ({ status: 200, body: await service.cancel(scopeOf(principal), params.id, body) }),
    }),
  ];
}
