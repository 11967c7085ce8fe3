import { must, optional } from '#lib/server/api.ts';
import { recentWindow } from '#lib/windows.ts';
import type { PageServerLoad } from './$types';

/** Tenants whose names the page can show (top tenants, alerts); others show as "tenant". */
const NAMED_TENANTS = 200;

export const load = (async ({ locals, depends }) => {
  depends('app:overview');
  const api = locals.api;
  // One round trip. The billing figures and the usage are summed by the API over every
  // invoice and every tenant (per currency, exactly), not from a page of them here.
  const [billing, usage, tenants, meters, alerts, plans] = await Promise.all([
    api.GET('/api/billing/overview').then(must),
    api.GET('/api/usage/by-tenant', { params: { query: { ...recentWindow('day'), top: 5 } } }).then(optional),
    api.GET('/api/tenants', { params: { query: { limit: NAMED_TENANTS } } }).then(must),
    api.GET('/api/meters').then(optional),
    api.GET('/api/alerts', { params: { query: { limit: 8 } } }).then(optional),
    api.GET('/api/pricing/plans', { params: { query: { limit: 1 } } }).then(optional),
  ]);

  const meterNames = Object.fromEntries((meters?.items ?? []).map((m) => [m.code, m.name]));
  return {
    billing,
    tenantCount: tenants.total,
    tenantNames: Object.fromEntries(tenants.items.map((t) => [t.id, t.name])),
    meterCount: meters?.items.length ?? 0,
    planCount: plans?.total ?? 0,
    alerts: alerts?.items ?? [],
    openAlerts: (alerts?.items ?? []).filter((a) => !a.acknowledgedAt).length,
    usage: (usage?.items ?? []).map((u) => ({ ...u, name: meterNames[u.meter] ?? u.meter })),
    usageWindow: usage ? { from: usage.from, to: usage.to } : null,
  };
}) satisfies PageServerLoad;
