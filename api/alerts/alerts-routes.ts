import { z } from 'zod';
import type { DatabasePool } from 'slonik';
import { defineRoute, ROLES, type RouteDef } from '../http/route.ts';
import { pageOf } from '../http/pagination.ts';
import { alertIdParams, alertRuleBody, alertRuleSchema, alertSchema, listAlertsQuery, listRulesQuery } from './alert-schemas.ts';
import { createAlertsService } from './alerts-service.ts';

const denied = { 401: { description: 'Not signed in' }, 403: { description: 'An API key, or a role that may not do this' } };
/** Reading a tenant's alerts: every role, and the tenant's read keys (RLS keeps a key to its tenant). */
const ALERT_READERS = { roles: ROLES, apiKey: ['read'] } as const;
const readDenied = { 401: { description: 'Not signed in' }, 403: { description: 'An API key without the read scope' } };

/**
 * Alerts (usage_spike, usage_drop, budget_threshold) and the rules that tune them. A customer
 * sees and acknowledges only their own tenant's alerts: naming another tenant, or another
 * tenant's alert, is 404 (row-level security hides those rows).
 */
export function alertsRoutes(deps: { pg: DatabasePool }): RouteDef[] {
  const service = createAlertsService(deps);
  return [
    defineRoute({
      method: 'get',
      path: '/alerts',
      operationId: 'listAlerts',
      tag: 'alerts',
      access: ALERT_READERS,
      summary: 'Alerts, newest first',
      query: listAlertsQuery,
      responses: {
        200: { description: 'A page of alerts', schema: pageOf(alertSchema) },
        400: { description: 'Invalid query' },
        404: { description: 'No such tenant (or not yours)' },
        ...readDenied,
      },
      handler: async ({ query, principal }) => {
        const page = await service.list(principal, query);
        return { status: 200, body: { ...page, limit: query.limit, offset: query.offset } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/alerts/:id',
      operationId: 'getAlert',
      tag: 'alerts',
      access: ALERT_READERS,
      summary: 'One alert',
      params: alertIdParams,
      responses: {
        200: { description: 'The alert', schema: alertSchema },
        404: { description: 'No such alert (or not yours)' },
        ...readDenied,
      },
      handler: async ({ params, principal }) => ({ status: 200, body: await service.get(principal, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/alerts/:id/ack',
      operationId: 'acknowledgeAlert',
      tag: 'alerts',
      access: { roles: ROLES },
      summary: 'Acknowledge an alert',
      description: 'Idempotent: acknowledging again keeps the first acknowledgement (time and user).',
      params: alertIdParams,
      responses: {
        200: { description: 'The acknowledged alert', schema: alertSchema },
        404: { description: 'No such alert (or not yours)' },
        ...denied,
      },
      handler: async ({ params, principal }) => ({ status: 200, body: await service.acknowledge(principal, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/alert-rules',
      operationId: 'createAlertRule',
      tag: 'alerts',
      access: { roles: ['admin'] },
      summary: 'Override anomaly settings or budget levels for a tenant and/or a meter',
      description:
        'Each setting of a (tenant, meter) pair comes from the most specific rule that sets it: tenant + meter, ' +
        'then tenant, then meter, then a rule for everyone, then the configured defaults. One rule per scope (409).',
      body: { schema: alertRuleBody },
      responses: {
        201: { description: 'Created', schema: alertRuleSchema },
        400: { description: 'Invalid rule' },
        409: { description: 'A rule for this tenant and meter exists' },
        ...denied,
      },
      handler: async ({ body, principal }) => {
        const rule = await service.createRule(principal, body);
        return { status: 201, body: rule, headers: { Location: `/api/alert-rules/${rule.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/alert-rules',
      operationId: 'listAlertRules',
      tag: 'alerts',
      access: { roles: ['admin'] },
      summary: 'Alert rules: rules for everyone first, then by tenant and meter',
      query: listRulesQuery,
      responses: {
        200: { description: 'The rules', schema: z.object({ items: z.array(alertRuleSchema) }) },
        400: { description: 'Invalid query' },
        ...denied,
      },
      handler: async ({ query }) => ({ status: 200, body: { items: await service.listRules({ tenantId: query.tenantId }) } }),
    }),
    defineRoute({
      method: 'delete',
      path: '/alert-rules/:id',
      operationId: 'deleteAlertRule',
      tag: 'alerts',
      access: { roles: ['admin'] },
      summary: 'Delete an alert rule (its settings return to the next less specific rule or the defaults)',
      params: alertIdParams,
      responses: { 204: { description: 'Deleted' }, 404: { description: 'No such rule' }, ...denied },
      handler: async ({ params }) => {
        await service.deleteRule(params.id);
        return { status: 204 };
      },
    }),
  ];
}
