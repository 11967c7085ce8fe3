import { failFrom, failWith, must } from '#lib/server/api.ts';
import { formText } from '#lib/form-text.ts';
import type { Actions, PageServerLoad } from './$types';

export const load = (async ({ locals, params }) => {
  const [tenant, settings] = await Promise.all([
    locals.api.GET('/api/tenants/{id}', { params: { path: { id: params.id } } }).then(must),
    locals.api.GET('/api/tenants/{tenantId}/payment-settings', { params: { path: { tenantId: params.id } } }).then(must),
  ]);
  return { tenant, settings };
}) satisfies PageServerLoad;

const COUNTS = ['declineFirstAttempts', 'transientFailuresPerAttempt', 'chargeDelayMs'] as const;

export const actions = {
  save: async ({ request, locals, params }) => {
    const form = await request.formData();
    const values: Record<string, string> = { gateway: String(form.get('gateway') ?? '') };
    for (const name of COUNTS) values[name] = formText(form, name) || '0';
    // The API checks the ranges and the gateway; only "is it a whole number" is the form's to say.
    const notWhole = COUNTS.filter((name) => !/^\d{1,9}$/.test(values[name]!));
    if (notWhole.length)
      return failWith(400, { fields: Object.fromEntries(notWhole.map((n) => [n, 'a whole number'])), values, form: 'save' });
    const { data, error, response } = await locals.api.PUT('/api/tenants/{tenantId}/payment-settings', {
      params: { path: { tenantId: params.id } },
      body: {
        gateway: values.gateway as 'builtin' | 'stripe',
        declineFirstAttempts: Number(values.declineFirstAttempts),
        transientFailuresPerAttempt: Number(values.transientFailuresPerAttempt),
        chargeDelayMs: Number(values.chargeDelayMs),
      },
    });
    if (!data) return failFrom(error, response, values, 'save');
    return { saved: data };
  },
} satisfies Actions;
