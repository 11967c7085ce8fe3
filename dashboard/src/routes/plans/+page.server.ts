import { must } from '#lib/server/api.ts';
import type { PageServerLoad } from './$types';

export const load = (async ({ locals, url }) => {
  const offset = Math.max(0, Number(url.searchParams.get('offset')) || 0);
  return { plans: must(await locals.api.GET('/api/pricing/plans', { params: { query: { limit: 50, offset } } })) };
}) satisfies PageServerLoad;
