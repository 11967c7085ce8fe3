import { failFrom, must, optional } from '#lib/server/api.ts';
import { formText } from '#lib/form-text.ts';
import type { Actions, PageServerLoad } from './$types';

export const load = (async ({ locals, url }) => {
  const offset = Math.max(0, Number(url.searchParams.get('offset')) || 0);
  const [users, tenants] = await Promise.all([
    locals.api.GET('/api/users', { params: { query: { limit: 50, offset } } }).then(must),
    locals.api.GET('/api/tenants', { params: { query: { limit: 200 } } }).then(optional),
  ]);
  return { users, tenants: (tenants?.items ?? []).map((t) => ({ id: t.id, name: t.name })) };
}) satisfies PageServerLoad;

const ROLES = ['admin', 'finance', 'customer'] as const;

export const actions = {
  create: async ({ request, locals }) => {
    const form = await request.formData();
    const email = formText(form, 'email');
    const password = String(form.get('password') ?? '');
    const roleValue = String(form.get('role') ?? '');
    const role = ROLES.find((r) => r === roleValue) ?? 'customer';
    const tenantId = String(form.get('tenantId') ?? '') || undefined;
    const { data, error, response } = await locals.api.POST('/api/users', {
      body: { email, password, role, ...(tenantId ? { tenantId } : {}) },
    });
    if (!data) return failFrom(error, response, { email, role, tenantId: tenantId ?? '' });
    return { created: data.email };
  },
} satisfies Actions;
