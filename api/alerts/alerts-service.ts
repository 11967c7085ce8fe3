import type { DatabasePool } from 'slonik';
import type { z } from 'zod';
import { withOperator, withScope } from '../../db/postgres/tenant-scope.ts';
import { alertsRepository } from '../../db/postgres/alerts-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { Decimal } from '../../domain/money/index.ts';
import { toAlertView, type AlertKind, type AlertView } from '../../domain/anomaly/index.ts';
import { badRequest, conflict, notFound } from '../http/problem.ts';
import type { Principal } from '../http/route.ts';
import { resolveTenantFilter, scopeOf } from '../auth/tenant-access.ts';
import { toAlertRuleResponse, type alertRuleBody, type alertRuleSchema } from './alert-schemas.ts';

type AlertRule = z.infer<typeof alertRuleSchema>;
const userIdOf = (principal: Principal) => (principal.kind === 'user' ? principal.userId : null);

/**
 * Alerts and their rules. A caller reads and acknowledges alerts in their own scope, so
 * row-level security hides another tenant's: naming one is the 404 of a missing alert.
 * Rules are operator-owned.
 */
export function createAlertsService(deps: { pg: DatabasePool }) {
  const { pg } = deps;
  return {
    async list(
      principal: Principal,
      q: { tenantId?: string | undefined; kind?: AlertKind | undefined; since?: string | undefined; limit: number; offset: number },
    ) {
      const filter = { tenantId: resolveTenantFilter(principal, q.tenantId), kind: q.kind, since: q.since ? new Date(q.since) : undefined };
      const [rows, total] = await withScope(pg, scopeOf(principal), (tx) =>
        Promise.all([alertsRepository.list(tx, { ...filter, limit: q.limit, offset: q.offset }), alertsRepository.count(tx, filter)]),
      );
      return { items: rows.map(toAlertView), total };
    },

    async get(principal: Principal, id: string): Promise<AlertView> {
      const row = await withScope(pg, scopeOf(principal), (tx) => alertsRepository.findById(tx, id));
      if (!row) throw notFound('alert');
      return toAlertView(row);
    },

    /** Idempotent: acknowledging again keeps the first acknowledgement. */
    async acknowledge(principal: Principal, id: string): Promise<AlertView> {
      const row = await withScope(pg, scopeOf(principal), (tx) => alertsRepository.acknowledge(tx, id, userIdOf(principal)));
      if (!row) throw notFound('alert');
      return toAlertView(row);
    },

    /** One rule per (tenant, meter) scope: a second is 409. */
    async createRule(principal: Principal, body: z.output<typeof alertRuleBody>): Promise<AlertRule> {
      const tenantId = body.tenantId ?? null;
      const row = await withOperator(pg, async (tx) => {
        if (tenantId && !(await tenantsRepository.findById(tx, tenantId))) throw badRequest('tenantId', 'no such tenant');
        const created = await alertsRepository.createRule(tx, {
          tenantId,
          meter: body.meter ?? null,
          // The schema allows at most 3 decimal places, which numeric(8, 3) stores exactly.
          sensitivity: body.sensitivity === undefined ? null : new Decimal(body.sensitivity).toFixed(),
          windowMinutes: body.windowMinutes ?? null,
          minVolume: body.minVolume ?? null,
          budgetLevels: body.budgetLevels ?? null,
          createdBy: userIdOf(principal),
        });
        if (created === 'taken') throw conflict('meter', 'a rule for this tenant and meter exists; delete it first');
        return created;
      });
      return toAlertRuleResponse(row);
    },

    async listRules(filter: { tenantId?: string | undefined }): Promise<AlertRule[]> {
      const rows = await withOperator(pg, (tx) => alertsRepository.listRules(tx, filter));
      return rows.map(toAlertRuleResponse);
    },

    async deleteRule(id: string): Promise<void> {
      const row = await withOperator(pg, (tx) => alertsRepository.deleteRule(tx, id));
      if (!row) throw notFound('alert rule');
    },
  };
}
