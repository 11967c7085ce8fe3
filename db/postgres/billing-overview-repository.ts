import { sql } from 'slonik';
import { z } from 'zod';
import type { Tx } from './tenant-scope.ts';

// The operators' billing figures, summed by PostgreSQL over every invoice and subscription
// (operator scope). Sums of bigint minor units come back as numeric text, so no total, however
// many invoices it adds, passes through a JS number or overflows int8. Grouped by currency:
// amounts in different currencies are never added together.

const ts = (d: Date) => sql.fragment`${d.toISOString()}::timestamptz`;
const minorText = z.string().regex(/^-?[0-9]+$/);

/** Issued and not voided: what counts as billed. */
const BILLED = sql.fragment`status IN ('finalized', 'payment_failed', 'paid', 'uncollectible')`;
/** What is still owed on an invoice: amountDue − amountPaid. */
const OUTSTANDING = sql.fragment`(total_minor - credit_applied_minor - amount_paid_minor)`;

const invoiceFiguresRow = z.object({
  currency: z.string(),
  revenue_this_month: minorText,
  revenue_last_month: minorText,
  overdue_count: z.number(),
  overdue_minor: minorText,
  uncollectible_count: z.number(),
  uncollectible_minor: minorText,
});
export type InvoiceFiguresRow = z.infer<typeof invoiceFiguresRow>;

const statusRow = z.object({ currency: z.string(), status: z.string(), count: z.number(), amount_minor: minorText });
const recurringRow = z.object({
  currency: z.string(),
  interval: z.enum(['day', 'week', 'month', 'year']),
  interval_count: z.number(),
  base_fees: z.string(),
  subscriptions: z.number(),
});
const subscriptionCountRow = z.object({ status: z.string(), count: z.number() });
const topTenantRow = z.object({ currency: z.string(), tenant_id: z.string(), amount_minor: minorText });

export type OverviewWindows = { monthStart: Date; nextMonthStart: Date; lastMonthStart: Date; at: Date; usageSince: Date };

export const billingOverviewRepository = {
  /** Revenue of this and last calendar month, overdue and uncollectible, per currency. */
  invoiceFigures: (tx: Tx, w: OverviewWindows) =>
    tx.any(sql.type(invoiceFiguresRow)`
      SELECT currency,
        coalesce(sum(total_minor) FILTER (WHERE ${BILLED} AND issued_at >= ${ts(w.monthStart)} AND issued_at < ${ts(w.nextMonthStart)}), 0)::text AS revenue_this_month,
        coalesce(sum(total_minor) FILTER (WHERE ${BILLED} AND issued_at >= ${ts(w.lastMonthStart)} AND issued_at < ${ts(w.monthStart)}), 0)::text AS revenue_last_month,
        (count(*) FILTER (WHERE status IN ('finalized', 'payment_failed') AND due_at < ${ts(w.at)}))::int AS overdue_count,
        coalesce(sum(${OUTSTANDING}) FILTER (WHERE status IN ('finalized', 'payment_failed') AND due_at < ${ts(w.at)}), 0)::text AS overdue_minor,
        (count(*) FILTER (WHERE status = 'uncollectible'))::int AS uncollectible_count,
        coalesce(sum(${OUTSTANDING}) FILTER (WHERE status = 'uncollectible'), 0)::text AS uncollectible_minor
      FROM invoices
      GROUP BY currency ORDER BY currency`),

  /** Count and amount (total, or subtotal while draft) per currency and status. */
  byStatus: (tx: Tx) =>
    tx.any(sql.type(statusRow)`
      SELECT currency, status, count(*)::int AS count, sum(coalesce(total_minor, subtotal_minor))::text AS amount_minor
      FROM invoices GROUP BY currency, status ORDER BY currency, status`),

  /**
   * The base fees of the subscriptions that pay them (active and past due), summed exactly per
   * currency and billing interval: the input of monthly recurring revenue.
   */
  recurringFees: (tx: Tx) =>
    tx.any(sql.type(recurringRow)`
      SELECT v.currency, v."interval", v.interval_count, sum(v.base_fee)::text AS base_fees, count(*)::int AS subscriptions
      FROM subscriptions s JOIN plan_versions v ON v.plan_id = s.plan_id AND v.version = s.plan_version
      WHERE s.status IN ('active', 'past_due')
      GROUP BY v.currency, v."interval", v.interval_count ORDER BY v.currency, v."interval", v.interval_count`),

  subscriptionCounts: (tx: Tx) =>
    tx.any(sql.type(subscriptionCountRow)`SELECT status, count(*)::int AS count FROM subscriptions GROUP BY status ORDER BY status`),

  /** Per currency, the `limit` tenants billed the most for usage (usage and adjustment lines) on invoices issued since `usageSince`. */
  topTenantsByUsage: (tx: Tx, w: OverviewWindows, limit: number) =>
    tx.any(sql.type(topTenantRow)`
      SELECT currency, tenant_id, amount_minor::text AS amount_minor FROM (
        SELECT i.currency, i.tenant_id, sum(l.amount_minor) AS amount_minor,
               row_number() OVER (PARTITION BY i.currency ORDER BY sum(l.amount_minor) DESC, i.tenant_id) AS rank
        FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
        WHERE l.type IN ('usage', 'adjustment') AND i.status IN ('finalized', 'payment_failed', 'paid', 'uncollectible') AND i.issued_at >= ${ts(w.usageSince)} AND i.issued_at < ${ts(w.at)}
        GROUP BY i.currency, i.tenant_id
        HAVING sum(l.amount_minor) > 0
      ) ranked
      WHERE rank <= ${limit}
      ORDER BY currency, rank`),
};
