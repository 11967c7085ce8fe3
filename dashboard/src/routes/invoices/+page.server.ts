import { must, optional } from '#lib/server/api.ts';
import type { Schemas } from '#lib/types.ts';
import type { PageServerLoad } from './$types';

type Status = Schemas['Invoice']['status'];
const STATUSES: Status[] = ['draft', 'finalized', 'paid', 'payment_failed', 'uncollectible', 'void'];

export const load = (async ({ locals, url, depends }) => {
  depends('app:invoices');
  const statusParam = url.searchParams.get('status') as Status | null;
  const status = statusParam && STATUSES.includes(statusParam) ? statusParam : undefined;
  const tenantId = url.searchParams.get('tenantId') || undefined;
  const offset = Math.max(0, Number(url.searchParams.get('offset')) || 0);
  const [invoices, tenants] = await Promise.all([
    locals.api.GET('/api/invoices', { params: { query: { status, tenantId, limit: 50, offset } } }).then(must),
    locals.api.GET('/api/tenants', { params: { query: { limit: 200 } } }).then(optional),
  ]);
  return {
    invoices,
    status: status ?? '',
    tenantId: tenantId ?? '',
    statuses: STATUSES,
    tenants: (tenants?.items ?? []).map((t) => ({ id: t.id, name: t.name })),
  };
}) satisfies PageServerLoad;
