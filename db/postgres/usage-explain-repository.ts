import { sql } from 'slonik';
import { z } from 'zod';
import type { Tx } from './tenant-scope.ts';
import type { ExplainLine } from '../../domain/billing/explain-event.ts';

const subscriptionRow = z.object({
  id: z.string(),
  status: z.string(),
  start_at: z.date(),
  trial_end: z.date().nullable(),
  canceled_at: z.date().nullable(),
  current_period_start: z.date().nullable(),
  current_period_end: z.date().nullable(),
  meters: z.array(z.string()),
});
export type ExplainSubscriptionRow = z.infer<typeof subscriptionRow>;

const lineRow = z.object({
  subscription_id: z.string(),
  invoice_id: z.string(),
  number: z.string().nullable(),
  status: z.string(),
  reason: z.string(),
  created_at: z.date(),
  period_start: z.date(),
  period_end: z.date(),
  line_id: z.string(),
  position: z.number(),
  type: z.string(),
  meter: z.string(),
  usage_from: z.date(),
  usage_to: z.date(),
});

/**
 * The billing facts that explain an event (tenant in scope; RLS applies): the tenant's
 * subscriptions with the meters each charges, and the usage and adjustment lines of the given
 * meters whose window holds one of the given instants.
 */
export const usageExplainRepository = {
  /** Meters charged: its plan version's (flat charges read no meter), and any its invoices billed. */
  subscriptions: (tx: Tx, tenantId: string) =>
    tx.any(sql.type(subscriptionRow)`
      SELECT s.id, s.status, s.start_at, s.trial_end, s.canceled_at, s.current_period_start, s.current_period_end,
        ARRAY(
          SELECT c ->> 'meter' FROM plan_versions v, jsonb_array_elements(v.charges) c
          WHERE v.plan_id = s.plan_id AND v.version = s.plan_version AND c ->> 'model' <> 'flat'
          UNION
          SELECT l.meter FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
          WHERE i.subscription_id = s.id AND l.meter IS NOT NULL
        ) AS meters
      FROM subscriptions s
      WHERE s.tenant_id = ${tenantId}
      ORDER BY s.start_at, s.id`),

  /** Lines (usage, adjustment) of `meters` whose [usage_from, usage_to) holds one of `instants`, oldest invoice first. */
  lines: async (tx: Tx, tenantId: string, meters: readonly string[], instants: readonly Date[]): Promise<ExplainLine[]> => {
    if (meters.length === 0 || instants.length === 0) return [];
    const rows = await tx.any(sql.type(lineRow)`
      SELECT i.subscription_id, i.id AS invoice_id, i.number, i.status, i.reason, i.created_at, i.period_start, i.period_end,
             l.id AS line_id, l.position, l.type, l.meter, l.usage_from, l.usage_to
      FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
      WHERE l.tenant_id = ${tenantId} AND l.type IN ('usage', 'adjustment')
        AND l.meter = ANY(${sql.array([...meters], 'text')})
        AND EXISTS (SELECT 1 FROM unnest(${sql.array(
          instants.map((d) => d.toISOString()),
          'timestamptz',
        )}) AS t (at)
                    WHERE t.at >= l.usage_from AND t.at < l.usage_to)
      ORDER BY i.created_at, l.position`);
    return rows.map((r) => ({
      subscriptionId: r.subscription_id,
      invoiceId: r.invoice_id,
      invoiceNumber: r.number,
      invoiceStatus: r.status,
      invoiceReason: r.reason,
      ratedAtMs: r.created_at.getTime(),
      periodStartMs: r.period_start.getTime(),
      periodEndMs: r.period_end.getTime(),
      lineId: r.line_id,
      position: r.position,
      type: r.type,
      meter: r.meter,
      fromMs: r.usage_from.getTime(),
      toMs: r.usage_to.getTime(),
    }));
  },
};
