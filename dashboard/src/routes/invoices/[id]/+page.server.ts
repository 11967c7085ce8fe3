import { failFrom, must, optional } from '#lib/server/api.ts';
import { formText } from '#lib/form-text.ts';
import type { Actions, PageServerLoad } from './$types';

export const load = (async ({ locals, params, depends }) => {
  depends('app:invoice');
  const id = params.id;
  // The payment attempts need only the invoice id, so they travel with the invoice.
  const [invoice, attempts] = await Promise.all([
    locals.api.GET('/api/invoices/{id}', { params: { path: { id } } }).then(must),
    locals.api.GET('/api/invoices/{id}/payment-attempts', { params: { path: { id } } }).then(optional),
  ]);
  const tenant = optional(await locals.api.GET('/api/tenants/{id}', { params: { path: { id: invoice.tenantId } } }));
  return { invoice, attempts, tenantName: tenant?.name ?? null };
}) satisfies PageServerLoad;

export const actions = {
  pay: async ({ request, locals, params }) => {
    const form = await request.formData();
    const amount = formText(form, 'amount');
    const reference = formText(form, 'reference');
    const { data, error, response } = await locals.api.POST('/api/invoices/{id}/payments', {
      params: { path: { id: params.id } },
      body: { amount, reference },
    });
    if (!data) return failFrom(error, response, { amount, reference }, 'pay');
    return { paid: data.status };
  },
  void: async ({ locals, params }) => {
    const { data, error, response } = await locals.api.POST('/api/invoices/{id}/void', { params: { path: { id: params.id } } });
    if (!data) return failFrom(error, response, {}, 'void');
    return { voided: true };
  },
} satisfies Actions;
