import { z } from 'zod';
import type { DatabasePool } from 'slonik';
import { UniqueIntegrityConstraintViolationError } from 'slonik';
import { defineRoute, ROLES, type RouteDef } from '../http/route.ts';
import { badRequest, conflict, notFound } from '../http/problem.ts';
import { pageOf } from '../http/pagination.ts';
import { withOperator, withScope } from '../../db/postgres/tenant-scope.ts';
import { alertsRepository, toAlertView } from '../../db/postgres/alerts-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { Decimal } from '../../domain/money/index.ts';
import { resolveTenantFilter, scopeOf } from '../auth/tenant-access.ts';
import { alertIdParams, alertRuleBody, alertRuleSchema, alertSchema, listAlertsQuery, listRulesQuery, toAlertRuleResponse } from './alert-schemas.ts';

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
  return [
    defineRoute({
      method: 'get', path: '/alerts', operationId: 'listAlerts', tag: 'alerts', access: ALERT_READERS,
      summary: 'Alerts, newest first',
      query: listAlertsQuery,
      responses: { 200: { description: 'A page of alerts', schema: pageOf(alertSchema) }, 400: { description: 'Invalid query' }, 404: { description: 'No such tenant (or not yours)' }, ...readDenied },
      handler: async ({ query, principal }) => {
        const filter = {
          tenantId: resolveTenantFilter(principal!, query.tenantId),
          kind: query.kind,
          since: query.since ? new Date(query.since) : undefined,
        };
        const [rows, total] = await withScope(deps.pg, scopeOf(principal!), (tx) =>
          Promise.all([alertsRepository.list(tx, { ...filter, limit: query.limit, offset: query.offset }), alertsRepository.count(tx, filter)]),
        );
        return { status: 200, body: { items: rows.map(toAlertView), total, limit: query.limit, offset: query.offset } };
      },
    }),
    defineRoute({
      method: 'get', path: '/alerts/:id', operationId: 'getAlert', tag: 'alerts', access: ALERT_READERS,
      summary: 'One alert',
      params: alertIdParams,
      responses: { 200: { description: 'The alert', schema: alertSchema }, 404: { description: 'No such alert (or not yours)' }, ...readDenied },
      handler: async ({ params, principal }) => {
        const row = await withScope(deps.pg, scopeOf(principal!), (tx) => alertsRepository.findById(tx, params.id));
        if (!row) throw notFound('alert');
        return { status: 200, body: toAlertView(row) };
      },
    }),
    defineRoute({
      method: 'post', path: '/alerts/:id/ack', operationId: 'acknowledgeAlert', tag: 'alerts', access: { roles: ROLES },
      summary: 'Acknowledge an alert',
      description: 'Idempotent: acknowledging again keeps the first acknowledgement (time and user).',
      params: alertIdParams,
      responses: { 200: { description: 'The acknowledged alert', schema: alertSchema }, 404: { description: 'No such alert (or not yours)' }, ...denied },
      handler: async ({ params, principal }) => {
        const userId = principal!.kind === 'user' ? principal!.userId : null;
        const row = await withScope(deps.pg, scopeOf(principal!), (tx) => alertsRepository.acknowledge(tx, params.id, userId));
        if (!row) throw notFound('alert');
        return { status: 200, body: toAlertView(row) };
      },
    }),
    defineRoute({
      method: 'post', path: '/alert-rules', operationId: 'createAlertRule', tag: 'alerts', access: { roles: ['admin'] },
      summary: 'Override anomaly settings or budget levels for a tenant and/or a meter',
      description:
        'Each setting of a (tenant, meter) pair comes from the most specific rule that sets it: tenant + meter, ' +
        'then tenant, then meter, then a rule for everyone, then the configured defaults. One rule per scope (409).',
      body: { schema: alertRuleBody },
      responses: { 201: { description: 'Created', schema: alertRuleSchema }, 400: { description: 'Invalid rule' }, 409: { description: 'A rule for this tenant and meter exists' }, ...denied },
      handler: async ({ body, principal }) => {
        const tenantId = body.tenantId ?? null;
        const row = await withOperator(deps.pg, async (tx) => {
          if (tenantId && !(await tenantsRepository.findById(tx, tenantId))) throw badRequest('tenantId', 'no such tenant');
          return alertsRepository.insertRule(tx, {
            tenantId,
            meter: body.meter ?? null,
            // The schema allows at most 3 decimal places, which numeric(8, 3) stores exactly.
            sensitivity: body.sensitivity === undefined ? null : new Decimal(body.sensitivity).toFixed(),
            windowMinutes: body.windowMinutes ?? null,
            minVolume: body.minVolume ?? null,
            budgetLevels: body.budgetLevels ?? null,
            createdBy: principal!.kind === 'user' ? principal!.userId : null,
          });
        }).catch((err: unknown) => {
          throw err instanceof UniqueIntegrityConstraintViolationError ? conflict('meter', 'a rule for this tenant and meter exists; delete it first') : err;
        });
        return { status: 201, body: toAlertRuleResponse(row), headers: { Location: `/api/alert-rules/${row.id}` } };
      },
    }),
    defineRoute({
      method: 'get', path: '/alert-rules', operationId: 'listAlertRules', tag: 'alerts', access: { roles: ['admin'] },
      summary: 'Alert rules: rules for everyone first, then by tenant and meter',
      query: listRulesQuery,
      responses: { 200: { description: 'The rules', schema: z.object({ items: z.array(alertRuleSchema) }) }, 400: { description: 'Invalid query' }, ...denied },
      handler: async ({ query }) => {
        const rows = await withOperator(deps.pg, (tx) => alertsRepository.listRules(tx, { tenantId: query.tenantId }));
        return { status: 200, body: { items: rows.map(toAlertRuleResponse) } };
      },
    }),
    defineRoute({
      method: 'delete', path: '/alert-rules/:id', operationId: 'deleteAlertRule', tag: 'alerts', access: { roles: ['admin'] },
      summary: 'Delete an alert rule (its settings return to the next less specific rule or the defaults)',
      params: alertIdParams,
      responses: { 204: { description: 'Deleted' }, 404: { description: 'No such rule' }, ...denied },
      handler: async ({ params }) => {
        const row = await withOperator(deps.pg, (tx) => alertsRepository.deleteRule(tx, params.id));
        if (!row) throw notFound('alert rule');
        return { status: 204 };
      },
    }),
  ];
}
