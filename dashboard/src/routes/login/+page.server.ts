import { redirect } from '@sveltejs/kit';
import { failFrom, failWith } from '#lib/server/api.ts';
import { landingFor } from '#lib/server/access.ts';
import { setSession } from '#lib/server/session.ts';
import { safeNext } from '#lib/server/safe-next.ts';
import type { Actions } from './$types';

export const actions = {
  default: async ({ request, locals, cookies, url }) => {
    const form = await request.formData();
    const email = String(form.get('email') ?? '');
    const password = String(form.get('password') ?? '');
    if (!email || !password) {
      return failWith(400, {
        fields: { ...(!email && { email: 'is required' }), ...(!password && { password: 'is required' }) },
        values: { email },
      });
    }
    const { data, error, response } = await locals.api.POST('/api/auth/login', { body: { email, password } });
    if (!data) return failFrom(error, response, { email });
    setSession(cookies, url, data.token);
    // Only a path of this site may follow a sign-in (no open redirect); anything else lands at home.
    redirect(303, safeNext(url.searchParams.get('next')) ?? landingFor(data.user));
  },
} satisfies Actions;
