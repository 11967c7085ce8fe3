import { redirect } from '@sveltejs/kit';
import { failFrom, failWith, optional } from '#lib/server/api.ts';
import type { paths } from '#lib/api/schema.d.ts';
import type { Actions, PageServerLoad } from './$types';

type PlanBody = paths['/api/pricing/plans']['post']['requestBody']['content']['application/json'];

export const load = (async ({ locals }) => ({
  meters: optional(await locals.api.GET('/api/meters'))?.items ?? [],
})) satisfies PageServerLoad;

export const actions = {
  default: async ({ request, locals }) => {
    const form = await request.formData();
    const draft = String(form.get('draft') ?? '');
    let body: PlanBody;
    try {
      body = JSON.parse(String(form.get('plan') ?? '')) as PlanBody;
    } catch {
      return failWith(400, { message: 'The plan could not be read; please try again.', values: { draft } });
    }
    // The API validates the plan (the same zod schema the server uses) and names the fields it rejects.
    const { data, error, response } = await locals.api.POST('/api/pricing/plans', { body });
    if (!data) return failFrom(error, response, { draft });
    redirect(303, `/plans/${data.id}?created=1`);
  },
} satisfies Actions;
