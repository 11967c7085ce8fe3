import type { DatabasePool } from 'slonik';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { billingOverviewRepository, type OverviewWindows } from '../../db/postgres/billing-overview-repository.ts';
import { monthlyRecurringRevenue } from '../../domain/billing/index.ts';
import { formatAmount, fromMinorUnits } from '../../domain/money/index.ts';
import type { BillingOverview } from './overview-schemas.ts';

const TOP_TENANTS = 5;
const USAGE_DAYS = 60;

/** The calendar months (UTC) around `at`, and the usage look-back. */
function windowsAt(at: Date): OverviewWindows {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  return {
    at,
    monthStart: new Date(Date.UTC(y, m, 1)),
    nextMonthStart: new Date(Date.UTC(y, m + 1, 1)),
    lastMonthStart: new Date(Date.UTC(y, m - 1, 1)),
    usageSince: new Date(at.getTime() - USAGE_DAYS * 86_400_000),
  };
}

/** Operators' billing figures over every invoice and subscription, per currency. */
export function createOverviewService(deps: { pg: DatabasePool }) {
  return {
    async overview(at: Date): Promise<BillingOverview> {
      const w = windowsAt(at);
      const read = await withOperator(deps.pg, async (tx) => ({
        figures: await billingOverviewRepository.invoiceFigures(tx, w),
        statuses: await billingOverviewRepository.byStatus(tx),
        fees: await billingOverviewRepository.recurringFees(tx),
        subscriptions: await billingOverviewRepository.subscriptionCounts(tx),
        top: await billingOverviewRepository.topTenantsByUsage(tx, w, TOP_TENANTS),
      }));
      const money = (minor: string, currency: string) => formatAmount(fromMinorUnits(BigInt(minor), currency), currency);
      const mrr = monthlyRecurringRevenue(
        read.fees.map((f) => ({ currency: f.currency, interval: f.interval, intervalCount: f.interval_count, baseFees: f.base_fees })),
      );
      const currencies = [...new Set([...read.figures.map((f) => f.currency), ...mrr.keys()])].sort();
      const count = (status: string) => read.subscriptions.find((s) => s.status === status)?.count ?? 0;
      return {
        at: at.toISOString(),
        thisMonth: { start: w.monthStart.toISOString(), end: w.nextMonthStart.toISOString() },
        lastMonth: { start: w.lastMonthStart.toISOString(), end: w.monthStart.toISOString() },
        currencies: currencies.map((currency) => {
          const f = read.figures.find((r) => r.currency === currency);
          const zero = money('0', currency);
          return {
            currency,
            revenueThisMonth: f ? money(f.revenue_this_month, currency) : zero,
            revenueLastMonth: f ? money(f.revenue_last_month, currency) : zero,
            mrr: mrr.get(currency) ?? zero,
            overdue: { count: f?.overdue_count ?? 0, amount: f ? money(f.overdue_minor, currency) : zero },
            uncollectible: { count: f?.uncollectible_count ?? 0, amount: f ? money(f.uncollectible_minor, currency) : zero },
            byStatus: read.statuses
              .filter((s) => s.currency === currency)
              .map((s) => ({ status: s.status, count: s.count, amount: money(s.amount_minor, currency) })),
            topTenants: read.top
              .filter((t) => t.currency === currency)
              .map((t) => ({ tenantId: t.tenant_id, amount: money(t.amount_minor, currency) })),
          };
        }),
        subscriptions: { trialing: count('trialing'), active: count('active'), pastDue: count('past_due'), canceled: count('canceled') },
      };
    },
  };
}
export type OverviewService = ReturnType<typeof createOverviewService>;
