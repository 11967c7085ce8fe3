import { must } from '#lib/server/api.ts';
import type { PageServerLoad } from './$types';

export const load = (async ({ locals, params, url }) => ({
  meter: must(await locals.api.GET('/api/meters/{code}', { params: { path: { code: params.code } } })),
  created: url.searchParams.has('created'),
})) satisfies PageServerLoad;
