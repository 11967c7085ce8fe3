/**
 * The overview's billing figures, computed from the invoices and subscriptions the API lists.
 * Amounts stay decimal strings (exact sums in decimal.ts); only counts are numbers.
 * Definitions: revenue of a month = totals of the invoices issued in it (void and draft
 * excluded); MRR = revenue invoiced in the trailing 30 days; overdue = finalized or
 * payment_failed past its due date, by amount still due.
 */
import { subtractDecimals, sumDecimals, toScaled } from './decimal.ts';
import type { Schemas } from './types.ts';

type Invoice = Schemas['Invoice'];
type Subscription = Schemas['Subscription'];

const DAY = 86_400_000;
const counted = (i: Invoice) => i.status !== 'void' && i.status !== 'draft' && i.issuedAt !== null;

export function billingOverview(invoices: readonly Invoice[], subscriptions: readonly Subscription[], now = new Date()) {
  const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  const lastMonthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1);
  const issued = (i: Invoice) => Date.parse(i.issuedAt!);
  const live = invoices.filter(counted);
  const total = (list: Invoice[]) => sumDecimals(list.map((i) => i.total));

  const byStatus = new Map<string, { count: number; amount: string }>();
  for (const i of invoices) {
    const entry = byStatus.get(i.status) ?? { count: 0, amount: '0' };
    byStatus.set(i.status, { count: entry.count + 1, amount: sumDecimals([entry.amount, i.total ?? i.subtotal]) });
  }
  const overdueList = invoices.filter((i) => (i.status === 'finalized' || i.status === 'payment_failed') && i.dueAt && Date.parse(i.dueAt) < now.getTime());

  const usageByTenant = new Map<string, string>();
  for (const i of live.filter((i) => issued(i) >= now.getTime() - 60 * DAY)) {
    const usage = sumDecimals(i.lines.filter((l) => l.type === 'usage' || l.type === 'adjustment').map((l) => l.amount));
    usageByTenant.set(i.tenantId, sumDecimals([usageByTenant.get(i.tenantId), usage]));
  }
  const currency = invoices[0]?.currency ?? 'USD';

  return {
    currency,
    /** True when invoices in several currencies were added up (the figures are then mixed). */
    mixedCurrencies: new Set(invoices.map((i) => i.currency)).size > 1,
    revenueThisMonth: total(live.filter((i) => issued(i) >= monthStart)),
    revenueLastMonth: total(live.filter((i) => issued(i) >= lastMonthStart && issued(i) < monthStart)),
    mrr: total(live.filter((i) => issued(i) >= now.getTime() - 30 * DAY)),
    byStatus: [...byStatus.entries()].map(([status, v]) => ({ status, ...v })),
    overdue: { count: overdueList.length, amount: sumDecimals(overdueList.map((i) => subtractDecimals(i.amountDue, i.amountPaid))) },
    uncollectible: byStatus.get('uncollectible') ?? { count: 0, amount: '0' },
    subscriptions: {
      active: subscriptions.filter((s) => s.status === 'active').length,
      trialing: subscriptions.filter((s) => s.status === 'trialing').length,
      pastDue: subscriptions.filter((s) => s.status === 'past_due').length,
    },
    topTenants: [...usageByTenant.entries()]
      .filter(([, amount]) => toScaled(amount) > 0n)
      .sort(([, a], [, b]) => (toScaled(b) > toScaled(a) ? 1 : toScaled(b) < toScaled(a) ? -1 : 0))
      .slice(0, 5)
      .map(([tenantId, amount]) => ({ tenantId, amount })),
  };
}
