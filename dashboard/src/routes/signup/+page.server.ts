import { redirect } from '@sveltejs/kit';
import { failFrom } from '#lib/server/api.ts';
import { landingFor } from '#lib/server/access.ts';
import { setSession } from '#lib/server/session.ts';
import type { Actions } from './$types';

/** Self-service sign-up: a new tenant and its first (customer) user, signed in at once. */
export const actions = {
  default: async ({ request, locals, cookies, url }) => {
    const form = await request.formData();
    const values = {
      email: String(form.get('email') ?? ''),
      name: String(form.get('name') ?? ''),
      tenantName: String(form.get('tenantName') ?? ''),
    };
    const body = {
      email: values.email,
      password: String(form.get('password') ?? ''),
      tenantName: values.tenantName,
      ...(values.name && { name: values.name }),
    };
    const { data, error, response } = await locals.api.POST('/api/auth/register', { body });
    if (!data) return failFrom(error, response, values);
    setSession(cookies, url, data.token);
    redirect(303, landingFor(data.user));
  },
} satisfies Actions;
