import { must, optional } from '#lib/server/api.ts';
import type { PageServerLoad } from './$types';

export const load = (async ({ locals, params, url }) => {
  const [plan, tenants] = await Promise.all([
    locals.api.GET('/api/pricing/plans/{id}', { params: { path: { id: params.id } } }).then(must),
    locals.api.GET('/api/tenants', { params: { query: { limit: 200 } } }).then(optional),
  ]);
  return {
    plan,
    tenants: (tenants?.items ?? []).map((t) => ({ id: t.id, name: t.name, taxRate: t.taxRate })),
    created: url.searchParams.has('created'),
  };
}) satisfies PageServerLoad;
