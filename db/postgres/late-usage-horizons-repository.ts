import { sql } from 'slonik';
import { z } from 'zod';
import type { Tx } from './tenant-scope.ts';
import type { LateUsageBiller } from '../../domain/billing/index.ts';

const row = z.object({
  id: z.string(),
  start_at: z.date(),
  canceled_at: z.date().nullable(),
  status: z.string(),
  event_types: z.array(z.string()),
  horizon_from: z.date().nullable(),
  billed_to: z.date().nullable(),
});

/**
 * The subscriptions of the tenant in scope as late-usage billers at `now` (one query): the event
 * types of the meters its plan version charges for (and of the meters its invoices within the
 * horizon billed, should the plan have changed), and the start of its oldest invoiced window that
 * ended within its plan version's late_usage_days (the same rule as late-usage rating), else the
 * end of what it invoiced, else its start.
 */
export const lateUsageHorizonsRepository = {
  billers: async (tx: Tx, tenantId: string, now: Date, o: { defaultDays: number; maxDays: number }): Promise<LateUsageBiller[]> => {
    const at = sql.fragment`${now.toISOString()}::timestamptz`;
    const rows = await tx.any(sql.type(row)`
      SELECT s.id, s.start_at, s.canceled_at, s.status,
        ARRAY(
          SELECT DISTINCT m.event_type FROM meters m WHERE m.code IN (
            SELECT c ->> 'meter' FROM plan_versions v, jsonb_array_elements(v.charges) c
            WHERE v.plan_id = s.plan_id AND v.version = s.plan_version AND c ->> 'model' <> 'flat'
            UNION
            SELECT l.meter FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
            WHERE i.subscription_id = s.id AND l.meter IS NOT NULL AND l.usage_to >= ${at} - make_interval(days => ${o.maxDays}))
        ) AS event_types,
        (SELECT min(l.usage_from) FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
           LEFT JOIN plan_versions lv ON lv.plan_id = l.plan_id AND lv.version = l.plan_version
         WHERE i.subscription_id = s.id AND l.usage_from IS NOT NULL
           AND l.usage_to >= ${at} - make_interval(days => ${o.maxDays})
           AND l.usage_to >= ${at} - make_interval(days => COALESCE(lv.late_usage_days, ${o.defaultDays}))) AS horizon_from,
        (SELECT max(l.usage_to) FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
         WHERE i.subscription_id = s.id AND l.usage_to IS NOT NULL) AS billed_to
      FROM subscriptions s
      WHERE s.tenant_id = ${tenantId}`);
    return rows.map((r) => ({
      subscriptionId: r.id,
      eventTypes: r.event_types,
      start: r.start_at.getTime(),
      end: r.canceled_at?.getTime() ?? null,
      horizonFrom: (r.horizon_from ?? r.billed_to ?? r.start_at).getTime(),
      canceled: r.status === 'canceled',
    }));
  },
};
