import { must } from '#lib/server/api.ts';
import type { PageServerLoad } from './$types';

/** Drill-down from a usage line of an invoice to the events behind it. */
export const load = (async ({ locals, params, url }) => {
  const line = Math.max(1, Number(url.searchParams.get('line')) || 1);
  const [invoice, usage] = await Promise.all([
    locals.api.GET('/api/invoices/{id}', { params: { path: { id: params.id } } }).then(must),
    locals.api.GET('/api/invoices/{id}/usage', { params: { path: { id: params.id }, query: { line } } }).then(must),
  ]);
  return { invoice, usage };
}) satisfies PageServerLoad;
