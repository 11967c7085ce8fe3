import { failFrom, must, optional } from '#lib/server/api.ts';
import type { Actions, PageServerLoad } from './$types';

const KINDS = [
  'usage_spike',
  'usage_drop',
  'budget_threshold',
  'invoice_uncollectible',
  'billing_failed',
  'credit_low',
  'credit_depleted',
  'usage_limit_exceeded',
] as const;
type Kind = (typeof KINDS)[number];
const PAGE = 50;

export const load = (async ({ locals, url }) => {
  const kindParam = url.searchParams.get('kind');
  const kind = KINDS.includes(kindParam as Kind) ? (kindParam as Kind) : undefined;
  const tenantId = url.searchParams.get('tenantId') || undefined;
  const offset = Math.max(0, Number(url.searchParams.get('offset')) || 0);
  const [alerts, tenants] = await Promise.all([
    locals.api.GET('/api/alerts', { params: { query: { kind, tenantId, limit: PAGE, offset } } }).then(must),
    locals.api.GET('/api/tenants', { params: { query: { limit: 200 } } }).then(optional),
  ]);
  return {
    alerts,
    kind: kind ?? '',
    tenantId: tenantId ?? '',
    tenants: (tenants?.items ?? []).map((t) => ({ id: t.id, name: t.name })),
  };
}) satisfies PageServerLoad;

export const actions = {
  ackAlert: async ({ request, locals }) => {
    const id = String((await request.formData()).get('alertId') ?? '');
    const { data, error, response } = await locals.api.POST('/api/alerts/{id}/ack', { params: { path: { id } } });
    if (!data) return failFrom(error, response, {}, 'ackAlert');
    return { acknowledged: data.id };
  },
} satisfies Actions;
