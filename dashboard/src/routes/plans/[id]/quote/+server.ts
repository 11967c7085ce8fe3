import { json } from '@sveltejs/kit';
import { problemOf } from '#lib/server/api.ts';
import type { paths } from '#lib/api/schema.d.ts';
import type { RequestHandler } from './$types';

type QuoteBody = paths['/api/pricing/plans/{id}/quote']['post']['requestBody']['content']['application/json'];

/** The plan page's live quote: the browser posts quantities here, the API prices them. */
export const POST = (async ({ locals, params, request }) => {
  const body = (await request.json()) as QuoteBody;
  const { data, error, response } = await locals.api.POST('/api/pricing/plans/{id}/quote', { params: { path: { id: params.id } }, body });
  if (data) return json(data);
  return json(problemOf(error, response), { status: response.status });
}) satisfies RequestHandler;
