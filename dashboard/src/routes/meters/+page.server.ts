import { must } from '#lib/server/api.ts';
import type { PageServerLoad } from './$types';

export const load = (async ({ locals }) => ({ meters: must(await locals.api.GET('/api/meters')).items })) satisfies PageServerLoad;
