import { must, optional } from '#lib/server/api.ts';
import { billingOverview } from '#lib/revenue.ts';
import { recentWindow } from '#lib/windows.ts';
import type { PageServerLoad } from './$types';

/** Tenants whose usage the 30-day chart adds up (the usage API answers per tenant). */
const CHART_TENANTS = 25;

export const load = (async ({ locals, depends }) => {
  depends('app:overview');
  const api = locals.api;
  const [tenants, meters, alerts, plans, invoices, subscriptions] = await Promise.all([
    api.GET('/api/tenants', { params: { query: { limit: CHART_TENANTS } } }).then(must),
    api.GET('/api/meters').then(optional),
    api.GET('/api/alerts', { params: { query: { limit: 8 } } }).then(optional),
    api.GET('/api/pricing/plans', { params: { query: { limit: 1 } } }).then(optional),
    // The latest 200 invoices and subscriptions are what the billing figures add up.
    api.GET('/api/invoices', { params: { query: { limit: 200 } } }).then(optional),
    api.GET('/api/subscriptions', { params: { query: { limit: 200 } } }).then(optional),
  ]);

  // Usage per meter over 30 days, summed over the tenants listed above.
  const window = recentWindow('day');
  const meterList = (meters?.items ?? []).slice(0, 6);
  const usage = await Promise.all(
    meterList.map(async (meter) => {
      const perTenant = await Promise.all(
        tenants.items.map((t) =>
          api.GET('/api/usage/timeseries', { params: { query: { tenantId: t.id, meter: meter.code, granularity: 'day', ...window } } }).then(optional),
        ),
      );
      const buckets = perTenant.find((s) => s)?.points.map((p) => p.t) ?? [];
      const values = buckets.map((_, i) => perTenant.reduce((sum, s) => sum + Number(s?.points[i]?.value ?? 0), 0));
      return { meter, buckets, values };
    }),
  );

  return {
    tenantCount: tenants.total,
    chartTenants: tenants.items.length,
    tenantNames: Object.fromEntries(tenants.items.map((t) => [t.id, t.name])),
    meterCount: meters?.items.length ?? 0,
    planCount: plans?.total ?? 0,
    alerts: alerts?.items ?? [],
    openAlerts: (alerts?.items ?? []).filter((a) => !a.acknowledgedAt).length,
    usage,
    billing: billingOverview(invoices?.items ?? [], subscriptions?.items ?? []),
    billingSample: { invoices: invoices?.items.length ?? 0, invoicesTotal: invoices?.total ?? 0 },
  };
}) satisfies PageServerLoad;
