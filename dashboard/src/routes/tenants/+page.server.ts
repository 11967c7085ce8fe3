import { redirect } from '@sveltejs/kit';
import { formText } from '#lib/form-text.ts';
import { failFrom, must } from '#lib/server/api.ts';
import type { Actions, PageServerLoad } from './$types';

const PAGE = 20;

export const load = (async ({ locals, url }) => {
  const q = url.searchParams.get('q')?.trim() || undefined;
  const offset = Math.max(0, Number(url.searchParams.get('offset')) || 0);
  const page = must(await locals.api.GET('/api/tenants', { params: { query: { q, limit: PAGE, offset } } }));
  return { page, q: q ?? '' };
}) satisfies PageServerLoad;

/** Form fields → the API body: empty inputs are left out, so the API's defaults apply. */
function tenantBody(form: FormData) {
  const text = (name: string) => {
    const value = formText(form, name);
    return value === '' ? undefined : value;
  };
  return {
    name: text('name') ?? '',
    externalId: text('externalId'),
    email: text('email'),
    currency: text('currency'),
    timezone: text('timezone'),
    taxRate: text('taxRate'),
    budget: text('budget'),
  };
}

export const actions = {
  create: async ({ request, locals }) => {
    const form = await request.formData();
    const body = tenantBody(form);
    const { data, error, response } = await locals.api.POST('/api/tenants', { body });
    if (!data) return failFrom(error, response, Object.fromEntries(Object.entries(body).map(([k, v]) => [k, v ?? ''])));
    redirect(303, `/tenants/${data.id}?created=1`);
  },
} satisfies Actions;
