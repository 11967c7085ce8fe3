import { redirect } from '@sveltejs/kit';
import { formText } from '#lib/form-text.ts';
import { TEMPORAL_NAMESPACE, TEMPORAL_UI_URL } from '$app/env/private';
import { failFrom, failWith, must, optional } from '#lib/server/api.ts';
import { grantRequest } from '#lib/credits.ts';
import { isGranularity, monthWindow, recentWindow } from '#lib/windows.ts';
import type { Schemas } from '#lib/types.ts';
import type { Actions, PageServerLoad } from './$types';

export const load = (async ({ locals, params, url, depends }) => {
  depends('app:usage');
  const api = locals.api;
  const id = params.id;
  const month = monthWindow();
  const ledgerCursor = url.searchParams.get('ledger');

  // Two round trips: first what does not depend on anything, then the reads that need the
  // subscription's period or the chosen meter. The overview carries the tenant (for a tenant
  // this viewer may not see, the API answers 404 and so does this page), its subscriptions,
  // invoices, alerts, API keys and credit.
  const [overview, metersResult, plansResult] = await Promise.all([
    // `?ledger=` is the credit ledger's cursor: the overview carries that page, so paging costs no call.
    api.GET('/api/tenants/{id}/overview', { params: { path: { id }, query: ledgerCursor ? { ledgerCursor } : {} } }).then(must),
    api.GET('/api/meters').then(optional),
    api.GET('/api/pricing/plans', { params: { query: { limit: 200 } } }).then(optional),
  ]);
  const { tenant } = overview;
  const meters = metersResult?.items ?? [];
  const meter = meters.find((m) => m.code === url.searchParams.get('meter')) ?? meters[0] ?? null;
  const granularityParam = url.searchParams.get('granularity');
  const granularity = isGranularity(granularityParam) ? granularityParam : 'day';
  const groupByParam = url.searchParams.get('groupBy');
  const groupBy = meter?.groupBy.includes(groupByParam ?? '') ? groupByParam! : null;
  const window = recentWindow(granularity);
  const subscriptions = overview.subscriptions.items;
  const plans = plansResult?.items ?? [];
  // The usage shown is the current billing period's, or the calendar month without a subscription.
  const current = subscriptions.find((s) => s.status !== 'canceled' && s.currentPeriod);
  const period = current?.currentPeriod ? { from: current.currentPeriod.start, to: current.currentPeriod.end } : month;

  const [summary, series, estimate] = await Promise.all([
    api.GET('/api/usage/summary', { params: { query: { tenantId: id, ...period } } }).then(optional),
    meter
      ? api
          .GET('/api/usage/timeseries', {
            params: { query: { tenantId: id, meter: meter.code, granularity, ...window, ...(groupBy ? { groupBy } : {}) } },
          })
          .then(optional)
      : null,
    // The current period so far, priced by the API with the subscription's plan version (the
    // figure the budget check compares with the budget). Null in a trial.
    current ? api.GET('/api/subscriptions/{id}/estimate', { params: { path: { id: current.id } } }).then(optional) : null,
  ]);
  const workflowUrl = (workflowId: string) =>
    TEMPORAL_UI_URL
      ? `${TEMPORAL_UI_URL}/namespaces/${encodeURIComponent(TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}`
      : null;

  return {
    tenant,
    period,
    periodIsBilling: !!current,
    estimate,
    meters,
    meter,
    granularity,
    groupBy,
    summary,
    series,
    keys: overview.apiKeys ?? [],
    // With their current window's figures, in the overview (no call of its own: the page's budget).
    limits: overview.usageLimits ?? [],
    alerts: overview.alerts.items,
    subscriptions: subscriptions.map((s) => ({
      ...s,
      workflowUrl: workflowUrl(s.workflowId),
      planName: plans.find((p) => p.id === s.planId)?.name ?? s.planCode ?? 'plan',
    })),
    invoices: overview.invoices.items,
    credits: overview.credits,
    plans: plans.map((p) => ({ id: p.id, name: p.name, currency: p.currency, version: p.latestVersion })),
    created: url.searchParams.has('created'),
  };
}) satisfies PageServerLoad;

const KEY_SCOPES = ['ingest', 'read'] as const;
type KeyScope = (typeof KEY_SCOPES)[number];
const isKeyScope = (s: string): s is KeyScope => (KEY_SCOPES as readonly string[]).includes(s);

type Effective = 'immediate' | 'period_end';
type LimitBody = Pick<Schemas['UsageLimit'], 'meter' | 'window' | 'limit' | 'mode'>;
// The API validates `effective` and names the field when it is neither value.
const changeValues = (form: FormData) => ({
  subscriptionId: formText(form, 'subscriptionId'),
  planId: formText(form, 'planId'),
  effective: formText(form, 'effective'),
});

export const actions = {
  createKey: async ({ request, locals, params }) => {
    const form = await request.formData();
    const name = formText(form, 'name');
    // Admins tick the scopes; a customer's form carries `read` only. The API decides either way.
    const scopes = form.getAll('scopes').map(String).filter(isKeyScope);
    if (form.has('scopesShown') && scopes.length === 0)
      return failWith(400, { fields: { scopes: 'choose at least one scope' }, values: { name }, form: 'createKey' });
    const body = scopes.length ? { name, scopes } : { name };
    const { data, error, response } = await locals.api.POST('/api/tenants/{id}/api-keys', { params: { path: { id: params.id } }, body });
    if (!data) return failFrom(error, response, { name }, 'createKey');
    // The secret goes to this one response and is never stored or shown again.
    return { createdKey: data };
  },
  revokeKey: async ({ request, locals, params }) => {
    const keyId = formText(await request.formData(), 'keyId');
    const { data, error, response } = await locals.api.DELETE('/api/tenants/{id}/api-keys/{keyId}', {
      params: { path: { id: params.id, keyId } },
    });
    if (!data) return failFrom(error, response, {}, 'revokeKey');
    return { revoked: data.prefix };
  },
  updateBudget: async ({ request, locals, params }) => {
    const budget = formText(await request.formData(), 'budget');
    const { data, error, response } = await locals.api.PATCH('/api/tenants/{id}', {
      params: { path: { id: params.id } },
      body: { budget: budget === '' ? null : budget },
    });
    if (!data) return failFrom(error, response, { budget }, 'updateBudget');
    return { budgetSaved: true };
  },
  addUser: async ({ request, locals, params }) => {
    const form = await request.formData();
    const email = formText(form, 'email');
    const password = String(form.get('password') ?? '');
    const { data, error, response } = await locals.api.POST('/api/users', {
      body: { email, password, role: 'customer', tenantId: params.id },
    });
    if (!data) return failFrom(error, response, { email }, 'addUser');
    return { userAdded: data.email };
  },
  subscribe: async ({ request, locals, params }) => {
    const planId = formText(await request.formData(), 'planId');
    const { data, error, response } = await locals.api.POST('/api/subscriptions', { body: { tenantId: params.id, planId } });
    if (!data) return failFrom(error, response, { planId }, 'subscribe');
    return { subscribed: data.id };
  },
  invoiceNow: async ({ request, locals }) => {
    const form = await request.formData();
    const subscriptionId = formText(form, 'subscriptionId');
    // The page's key for this click: a repeat of the same click gets the same invoice.
    const key = formText(form, 'idempotencyKey');
    const headers = key ? { 'Idempotency-Key': key } : undefined;
    const { data, error, response } = await locals.api.POST('/api/invoices/generate', { body: { subscriptionId }, headers });
    if (!data) return failFrom(error, response, {}, 'invoiceNow');
    if ('number' in data) redirect(303, `/invoices/${data.id}`);
    // 202: the workflow is still issuing it; the invoice list refreshes when it is finalized.
    return { pendingInvoice: data.invoiceId };
  },
  // Plan change in two steps: the preview (what the change does, from the API), then the change itself.
  previewPlanChange: async ({ request, locals }) => {
    const values = changeValues(await request.formData());
    const { data, error, response } = await locals.api.POST('/api/subscriptions/{id}/change-plan/preview', {
      params: { path: { id: values.subscriptionId } },
      body: { planId: values.planId, effective: values.effective as Effective },
    });
    if (!data) return failFrom(error, response, values, 'changePlan');
    return { planPreview: data, values };
  },
  changePlan: async ({ request, locals }) => {
    const values = changeValues(await request.formData());
    const { data, error, response } = await locals.api.POST('/api/subscriptions/{id}/change-plan', {
      params: { path: { id: values.subscriptionId } },
      body: { planId: values.planId, effective: values.effective as Effective },
    });
    if (!data) return failFrom(error, response, values, 'changePlan');
    // The answer is the workflow's own state; the page's list follows once the read model has it.
    return {
      planChanged: {
        subscriptionId: data.id,
        planCode: data.planCode,
        planVersion: data.planVersion,
        pendingChange: data.pendingChange,
        effective: values.effective,
      },
    };
  },
  cancel: async ({ request, locals }) => {
    const form = await request.formData();
    const subscriptionId = formText(form, 'subscriptionId');
    const at = formText(form, 'at');
    const { data, error, response } = await locals.api.POST('/api/subscriptions/{id}/cancel', {
      params: { path: { id: subscriptionId } },
      body: { at: at as Effective },
    });
    if (!data) return failFrom(error, response, { subscriptionId, at }, 'cancel');
    return { canceled: { subscriptionId: data.id, at, status: data.status, canceledAt: data.canceledAt } };
  },
  // "Why wasn't this event billed?": one read, on submit only (the page's loads do not call it).
  explainEvent: async ({ request, locals, params }) => {
    const form = await request.formData();
    const values = { id: formText(form, 'id'), source: formText(form, 'source') };
    const { data, error, response } = await locals.api.GET('/api/usage/events/explain', {
      params: { query: { tenantId: params.id, id: values.id, ...(values.source ? { source: values.source } : {}) } },
    });
    if (!data) {
      if (response.status === 404)
        return failWith(404, {
          message: `No delivery of event “${values.id}”${values.source ? ` from ${values.source}` : ''} was found for this tenant.`,
          values,
          form: 'explainEvent',
        });
      return failFrom(error, response, values, 'explainEvent');
    }
    return { explained: data };
  },
  grantCredit: async ({ request, locals, params }) => {
    const form = await request.formData();
    const { body, values } = grantRequest(form);
    // The page's key for this grant: a repeat of the same submission grants once.
    const key = formText(form, 'idempotencyKey');
    const { data, error, response } = await locals.api.POST('/api/tenants/{id}/credit-grants', {
      params: { path: { id: params.id } },
      body,
      headers: key ? { 'Idempotency-Key': key } : undefined,
    });
    if (!data) return failFrom(error, response, values, 'grantCredit');
    return { grantedCredit: data };
  },
  addLimit: async ({ request, locals, params }) => {
    const form = await request.formData();
    const values = {
      meter: formText(form, 'meter'),
      window: formText(form, 'window'),
      limit: formText(form, 'limit'),
      mode: formText(form, 'mode'),
    };
    // The API validates window and mode, and names the field when either is neither of its values.
    const { data, error, response } = await locals.api.POST('/api/tenants/{id}/usage-limits', {
      params: { path: { id: params.id } },
      body: values as LimitBody,
    });
    if (!data) return failFrom(error, response, values, 'addLimit');
    return { limitAdded: data.id };
  },
  deleteLimit: async ({ request, locals, params }) => {
    const limitId = formText(await request.formData(), 'limitId');
    const { error, response } = await locals.api.DELETE('/api/tenants/{id}/usage-limits/{limitId}', {
      params: { path: { id: params.id, limitId } },
    });
    if (!response.ok) return failFrom(error, response, { limitId }, 'deleteLimit');
    return { limitDeleted: limitId };
  },
  ackAlert: async ({ request, locals }) => {
    const id = formText(await request.formData(), 'alertId');
    if (!id) return failWith(400, { message: 'alertId is required', form: 'ackAlert' });
    const { data, error, response } = await locals.api.POST('/api/alerts/{id}/ack', { params: { path: { id } } });
    if (!data) return failFrom(error, response, {}, 'ackAlert');
    return { acknowledged: data.id };
  },
} satisfies Actions;
