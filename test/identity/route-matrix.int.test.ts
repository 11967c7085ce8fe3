import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import Koa from 'koa';
import Router from '@koa/router';
import request from 'supertest';
import { pino } from 'pino';
import { z } from 'zod';
import { TEST_AUTH, type TestApi } from '../harness/api.ts';
import { until } from '../harness/until.ts';
import {
  MATRIX_CALLERS,
  coverageProblems,
  expectedStatuses,
  expectsSuccess,
  type CallerName,
  type RouteCase,
} from '../harness/route-matrix.ts';
import { startBillingApi, stopBillingApi, type BillingHarness } from '../harness/billing.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { alertsRepository } from '../../db/postgres/alerts-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { defineRoute, ROLES, type RouteDef } from '../../api/http/route.ts';
import { registerRoutes } from '../../api/http/register-routes.ts';
import { errorMiddleware } from '../../api/http/error-middleware.ts';
import { createAuthorize } from '../../api/auth/authorize.ts';
import { createPrincipalResolver } from '../../api/auth/principal.ts';
import { resolveTenant } from '../../api/auth/tenant-access.ts';

// Every /api route, as registered in the app, tried by each role and API key scope, with
// tenant B's customer and keys on tenant A's resources. The expected status of each cell is
// derived from the route's own declaration (test/harness/route-matrix.ts); this file only says
// how to address tenant A's resource on each route. A route added to the app fails the
// coverage test until it gets a case here (or is public and listed with a reason).

let env: TestWorkflowEnvironment;
let h: BillingHarness;
let api: TestApi;
const DAY = 86_400_000;

let seq = 0;
const unique = () => `${Date.now().toString(36)}-${++seq}`;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

/** An admin call for setting things up; it must succeed. */
async function admin(
  method: 'get' | 'post' | 'put',
  path: string,
  body?: object,
): Promise<{ body: Record<string, unknown> & { id: string } }> {
  const req = api.request[method](path).set(auth(api.tokens.admin));
  const res = await (body ? req.send(body) : req);
  if (res.status >= 300) throw new Error(`setup ${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

const planBody = (code: string) => ({
  code,
  name: code,
  currency: 'USD',
  interval: 'month',
  baseFee: '10',
  visibility: 'private',
  charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '0.25' }],
});
const freshPlan = async (code = `rm-${unique()}`) => (await admin('post', '/api/pricing/plans', planBody(code))).body.id;
/** A subscription of tenant A to a plan of its own, started two days ago (so invoice-now has a period to bill). */
const freshSubscription = async () => {
  const startAt = new Date((await env.currentTimeMs()) - 2 * DAY).toISOString();
  return (
    await admin('post', '/api/subscriptions', { tenantId: api.tenants.a.id, planId: await freshPlan(), startAt, allowSharedMeters: true })
  ).body.id;
};

/** Reads through the table owner (no row-level security), for "nothing changed" checks. */
async function rows(query: string, params: unknown[] = []): Promise<string> {
  const owner = await h.db.owner();
  try {
    return JSON.stringify((await owner.query(query, params)).rows);
  } finally {
    await owner.end();
  }
}
async function clickhouseRows(idPrefix: string): Promise<string> {
  const rs = await h.ch.client.query({
    query: 'SELECT count() AS n FROM usage_events WHERE startsWith(event_id, {p:String})',
    query_params: { p: idPrefix },
    format: 'JSONEachRow',
  });
  return JSON.stringify(await rs.json());
}

// Tenant A's resources, made once through the API (or, for an alert, as the scanner would).
const f = {} as {
  plan: string;
  otherPlan: string;
  unusedPlan: string;
  subscription: string;
  invoice: string;
  spareInvoices: string[];
  usageLine: number;
  alert: string;
  alertRule: string;
  webhook: string;
};

beforeAll(async () => {
  ({ env, h, api } = await startBillingApi([{ code: 'calls', name: 'API calls', eventType: 'call', aggregation: 'count' }]));
  // Invoices stay open (the built-in gateway declines), so they can be paid and voided.
  await api.request
    .put(`/api/tenants/${api.tenants.a.id}/payment-settings`)
    .set(auth(api.tokens.finance))
    .send({ declineFirstAttempts: 100 });
  [f.plan, f.otherPlan, f.unusedPlan] = [await freshPlan(), await freshPlan(), await freshPlan('rm-unused')];
  // Started 100 days ago: the ended periods are invoiced at once, giving a few invoices.
  const startAt = new Date((await env.currentTimeMs()) - 100 * DAY).toISOString();
  f.subscription = (await admin('post', '/api/subscriptions', { tenantId: api.tenants.a.id, planId: f.plan, startAt })).body.id;
  const invoices = await until(
    'three issued invoices',
    async () => {
      const all = await h.invoicesOf(f.subscription);
      return all.length >= 3 && all.every((i) => i.status !== 'draft') && all;
    },
    90_000,
  ); // three catch-up periods: slow on a loaded machine
  f.invoice = invoices[0]!.id;
  f.spareInvoices = invoices.slice(1).map((i) => i.id);
  f.usageLine = invoices[0]!.lines.find((l) => l.type === 'usage')!.position;
  const [alert] = await withOperator(h.db.pool, (tx) =>
    Promise.all([
      alertsRepository.insertIfNew(tx, {
        tenantId: api.tenants.a.id,
        meter: null,
        eventType: 'call',
        kind: 'usage_spike',
        severity: 'warning',
        windowStart: new Date(Date.now() - 3_600_000),
        windowEnd: new Date(),
        observed: '1000',
        expected: '10',
        message: 'a spike for the matrix',
      }),
    ]),
  );
  f.alert = alert!.id;
  f.alertRule = (await admin('post', '/api/alert-rules', { tenantId: api.tenants.a.id, meter: `m-${unique()}`, sensitivity: 8 })).body.id;
  f.webhook = (await admin('post', '/api/webhooks', { url: 'http://127.0.0.1:9/matrix', events: ['alert.created'] })).body.id;
  // One stored event of tenant A, for the explain route to find.
  await h.sendEvents(api.tenants.a.id, [{ id: EXPLAINED_EVENT, type: 'call', time: new Date() }]);
});
afterAll(async () => stopBillingApi({ env, h }));

const A = () => api.tenants.a.id;
const EXPLAINED_EVENT = 'rm-explained';
const range = 'from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z';
const events = (caller: CallerName) => [
  { id: `rm-${caller}-${unique()}`, type: 'call', subject: api.tenants.a.externalId, time: new Date().toISOString() },
];
const ingestCase: RouteCase = {
  owner: 'tenant',
  otherTenant: { status: 403, why: 'an API key writes only its own tenant: a subject naming another tenant is refused as a whole' },
  request: (caller) => ({ path: '', body: events(caller) }),
};

/** Public routes, each with the reason it needs no credential. */
const PUBLIC: Record<string, string> = {
  login: 'signs in: the credential is what it hands out',
  register: 'signs up a new user, throttled per client address',
  getOpenApiDocument: 'the API description, the same for everyone',
  getApiDocs: 'the viewer of the API description',
  getApiDocsAsset: "the viewer's static files",
  receiveStripeWebhook:
    'called by Stripe, which holds no Meterplane credential: the Stripe-Signature over the raw body (STRIPE_WEBHOOK_SECRET) authenticates it',
};

/** How each non-public route addresses tenant A's resource. */
const CASES: Record<string, RouteCase> = {
  // Identity.
  getMe: { owner: 'shared', request: () => ({ path: '/api/auth/me' }) },
  listUsers: { owner: 'shared', request: () => ({ path: '/api/users' }) },
  createUser: {
    owner: 'shared',
    unchanged: () => rows('SELECT id FROM users ORDER BY id'),
    request: () => ({
      path: '/api/users',
      body: { email: `u-${unique()}@example.test`, password: 'long enough pw', role: 'customer', tenantId: A() },
    }),
  },
  updateUser: {
    owner: 'shared',
    unchanged: () => rows('SELECT * FROM users WHERE id = $1', [api.users.finance.id]),
    request: () => ({ path: `/api/users/${api.users.finance.id}`, body: { active: true } }),
  },
  listTenants: { owner: 'shared', request: () => ({ path: '/api/tenants' }) },
  createTenant: {
    owner: 'shared',
    unchanged: () => rows('SELECT id FROM tenants ORDER BY id'),
    request: () => ({ path: '/api/tenants', body: { name: `T ${unique()}` } }),
  },
  getTenant: { owner: 'tenant', request: () => ({ path: `/api/tenants/${A()}` }) },
  updateTenant: {
    owner: 'tenant',
    unchanged: () => rows('SELECT * FROM tenants WHERE id = $1', [A()]),
    request: () => ({ path: `/api/tenants/${A()}`, body: { email: `billing-${unique()}@example.test` } }),
  },
  tenantOverview: { owner: 'tenant', request: () => ({ path: `/api/tenants/${A()}/overview` }) },
  createApiKey: {
    owner: 'tenant',
    unchanged: () => rows('SELECT id FROM api_keys WHERE tenant_id = $1 ORDER BY id', [A()]),
    request: () => ({ path: `/api/tenants/${A()}/api-keys`, body: { name: `k ${unique()}`, scopes: ['read'] } }),
  },
  listApiKeys: { owner: 'tenant', request: () => ({ path: `/api/tenants/${A()}/api-keys` }) },
  revokeApiKey: {
    owner: 'tenant',
    unchanged: () => rows('SELECT id, revoked_at FROM api_keys WHERE tenant_id = $1 ORDER BY id', [A()]),
    request: async () => ({
      path: `/api/tenants/${A()}/api-keys/${(await admin('post', `/api/tenants/${A()}/api-keys`, { name: 'r', scopes: ['read'] })).body.id}`,
    }),
  },
  // Metering.
  createMeter: {
    owner: 'shared',
    unchanged: () => rows('SELECT code FROM meters ORDER BY code'),
    request: () => ({
      path: '/api/meters',
      body: { code: `m${unique().replace(/-/g, '')}`, name: 'M', eventType: `e-${unique()}`, aggregation: 'count' },
    }),
  },
  listMeters: { owner: 'shared', request: () => ({ path: '/api/meters' }) },
  getMeter: { owner: 'shared', request: () => ({ path: '/api/meters/calls' }) },
  ingestUsage: {
    ...ingestCase,
    request: (caller) => ({ path: '/api/usage/ingest', body: events(caller) }),
    unchanged: () => clickhouseRows('rm-'),
  },
  ingestEvents: {
    ...ingestCase,
    request: (caller) => ({ path: '/api/events', body: events(caller) }),
    unchanged: () => clickhouseRows('rm-'),
  },
  usageSummary: { owner: 'tenant', request: () => ({ path: `/api/usage/summary?tenantId=${A()}&${range}` }) },
  usageTimeseries: {
    owner: 'tenant',
    request: () => ({ path: `/api/usage/timeseries?tenantId=${A()}&${range}&meter=calls&granularity=day` }),
  },
  usageEvents: { owner: 'tenant', request: () => ({ path: `/api/usage/events?tenantId=${A()}&${range}&meter=calls` }) },
  usageByTenant: { owner: 'shared', request: () => ({ path: `/api/usage/by-tenant?${range}` }) },
  explainUsageEvent: { owner: 'tenant', request: () => ({ path: `/api/usage/events/explain?tenantId=${A()}&id=${EXPLAINED_EVENT}` }) },
  // Pricing.
  createPlan: {
    owner: 'shared',
    unchanged: () => rows('SELECT id FROM plans ORDER BY id'),
    request: () => ({ path: '/api/pricing/plans', body: planBody(`rm-${unique()}`) }),
  },
  listPlans: { owner: 'shared', request: () => ({ path: '/api/pricing/plans' }) },
  // Private plans: tenant A uses f.plan, so its customer sees it and tenant B's does not.
  getPlan: { owner: 'tenant', request: () => ({ path: `/api/pricing/plans/${f.plan}` }) },
  listPlanVersions: { owner: 'tenant', request: () => ({ path: `/api/pricing/plans/${f.plan}/versions` }) },
  quotePlan: { owner: 'tenant', request: () => ({ path: `/api/pricing/plans/${f.plan}/quote`, body: { usage: { calls: '10' } } }) },
  updatePlan: {
    owner: 'shared',
    unchanged: () => rows('SELECT * FROM plan_versions WHERE plan_id = $1 ORDER BY version', [f.unusedPlan]),
    request: () => ({ path: `/api/pricing/plans/${f.unusedPlan}`, body: { ...planBody('rm-unused'), baseFee: '11' } }),
  },
  // Subscriptions: a change that succeeds gets a fresh subscription, so the shared one stays as it is.
  createSubscription: {
    owner: 'tenant',
    unchanged: () => rows('SELECT id FROM subscriptions WHERE tenant_id = $1 ORDER BY id', [A()]),
    request: async (_c, admitted) => ({
      path: '/api/subscriptions',
      body: { tenantId: A(), planId: admitted ? await freshPlan() : f.otherPlan, allowSharedMeters: true },
    }),
  },
  listSubscriptions: { owner: 'tenant', request: () => ({ path: `/api/subscriptions?tenantId=${A()}` }) },
  getSubscription: { owner: 'tenant', request: () => ({ path: `/api/subscriptions/${f.subscription}` }) },
  estimateSubscription: { owner: 'tenant', request: () => ({ path: `/api/subscriptions/${f.subscription}/estimate` }) },
  previewSubscriptionPlanChange: {
    owner: 'tenant',
    request: () => ({
      path: `/api/subscriptions/${f.subscription}/change-plan/preview`,
      body: { planId: f.otherPlan, effective: 'immediate', allowSharedMeters: true },
    }),
  },
  changeSubscriptionPlan: {
    owner: 'tenant',
    unchanged: () => rows('SELECT * FROM subscriptions WHERE id = $1', [f.subscription]),
    request: async (_c, admitted) => ({
      path: `/api/subscriptions/${admitted ? await freshSubscription() : f.subscription}/change-plan`,
      body: { planId: f.otherPlan, effective: 'period_end', allowSharedMeters: true },
    }),
  },
  cancelSubscription: {
    owner: 'tenant',
    unchanged: () => rows('SELECT * FROM subscriptions WHERE id = $1', [f.subscription]),
    request: async (_c, admitted) => ({
      path: `/api/subscriptions/${admitted ? await freshSubscription() : f.subscription}/cancel`,
      body: { at: 'period_end' },
    }),
  },
  // Invoices.
  listInvoices: { owner: 'tenant', request: () => ({ path: `/api/invoices?tenantId=${A()}` }) },
  getInvoice: { owner: 'tenant', request: () => ({ path: `/api/invoices/${f.invoice}` }) },
  getInvoicePdf: { owner: 'tenant', request: () => ({ path: `/api/invoices/${f.invoice}/pdf` }) },
  getInvoiceLineUsage: { owner: 'tenant', request: () => ({ path: `/api/invoices/${f.invoice}/usage?line=${f.usageLine}` }) },
  listPaymentAttempts: { owner: 'tenant', request: () => ({ path: `/api/invoices/${f.invoice}/payment-attempts` }) },
  generateInvoice: {
    owner: 'tenant',
    unchanged: () => rows('SELECT id FROM invoices WHERE subscription_id = $1 ORDER BY id', [f.subscription]),
    request: async (_c, admitted) => ({
      path: '/api/invoices/generate',
      body: { subscriptionId: admitted ? await freshSubscription() : f.subscription },
    }),
  },
  voidInvoice: {
    owner: 'tenant',
    unchanged: () => rows('SELECT * FROM invoices WHERE id = $1', [f.invoice]),
    request: (_c, admitted) => ({ path: `/api/invoices/${admitted ? f.spareInvoices.shift() : f.invoice}/void` }),
  },
  recordInvoicePayment: {
    owner: 'tenant',
    unchanged: () => rows('SELECT * FROM payments WHERE invoice_id = $1 ORDER BY 1', [f.invoice]),
    request: () => ({ path: `/api/invoices/${f.invoice}/payments`, body: { amount: '1', reference: `wire ${unique()}` } }),
  },
  createCreditGrant: {
    owner: 'tenant',
    unchanged: () => rows('SELECT id FROM credit_grants WHERE tenant_id = $1 ORDER BY id', [A()]),
    request: () => ({ path: `/api/tenants/${A()}/credit-grants`, body: { amount: '1.00', currency: 'USD', reason: `matrix ${unique()}` } }),
  },
  listCreditLedger: { owner: 'tenant', request: () => ({ path: `/api/tenants/${A()}/credit-ledger` }) },
  getCreditBalance: { owner: 'tenant', request: () => ({ path: `/api/tenants/${A()}/credit-balance` }) },
  getPaymentSettings: { owner: 'tenant', request: () => ({ path: `/api/tenants/${A()}/payment-settings` }) },
  // Usage limits and authorization. A customer's own limit is deletable by that customer (and an admin).
  createUsageLimit: {
    owner: 'tenant',
    unchanged: () => rows('SELECT id FROM usage_limits WHERE tenant_id = $1 ORDER BY id', [A()]),
    request: () => ({
      path: `/api/tenants/${A()}/usage-limits`,
      body: { meter: 'calls', window: 'month', limit: '1000000', mode: 'hard' },
    }),
  },
  listUsageLimits: { owner: 'tenant', request: () => ({ path: `/api/tenants/${A()}/usage-limits` }) },
  deleteUsageLimit: {
    owner: 'tenant',
    unchanged: () => rows('SELECT id FROM usage_limits WHERE tenant_id = $1 ORDER BY id', [A()]),
    request: async () => {
      const made = await api.request
        .post(`/api/tenants/${A()}/usage-limits`)
        .set({ Authorization: `Bearer ${api.tokens.customerA}` })
        .send({ meter: 'calls', window: 'day', limit: '1000000', mode: 'hard' });
      return { path: `/api/tenants/${A()}/usage-limits/${made.body.id}` };
    },
  },
  authorizeUsage: {
    owner: 'tenant',
    otherTenant: { status: 403, why: 'an API key authorizes only its own tenant: a tenantId naming another tenant is refused' },
    unchanged: () => rows('SELECT id FROM usage_reservations WHERE tenant_id = $1 ORDER BY id', [A()]),
    request: () => ({ path: '/api/usage/authorize', body: { tenantId: A(), meter: 'calls', quantity: '1', idempotencyKey: unique() } }),
  },
  updatePaymentSettings: {
    owner: 'tenant',
    unchanged: () => rows('SELECT * FROM tenant_payment_settings WHERE tenant_id = $1', [A()]),
    request: () => ({ path: `/api/tenants/${A()}/payment-settings`, body: { declineFirstAttempts: 100 } }),
  },
  billingOverview: { owner: 'shared', request: () => ({ path: '/api/billing/overview' }) },
  // Alerts.
  listAlerts: { owner: 'tenant', request: () => ({ path: `/api/alerts?tenantId=${A()}` }) },
  getAlert: { owner: 'tenant', request: () => ({ path: `/api/alerts/${f.alert}` }) },
  acknowledgeAlert: {
    owner: 'tenant',
    unchanged: () => rows('SELECT * FROM alerts WHERE id = $1', [f.alert]),
    request: () => ({ path: `/api/alerts/${f.alert}/ack` }),
  },
  createAlertRule: {
    owner: 'tenant',
    unchanged: () => rows('SELECT id FROM alert_rules ORDER BY id'),
    request: () => ({ path: '/api/alert-rules', body: { tenantId: A(), meter: `m-${unique()}`, sensitivity: 7 } }),
  },
  listAlertRules: { owner: 'tenant', request: () => ({ path: `/api/alert-rules?tenantId=${A()}` }) },
  deleteAlertRule: {
    owner: 'tenant',
    unchanged: () => rows('SELECT * FROM alert_rules WHERE id = $1', [f.alertRule]),
    request: async (_c, admitted) => ({
      path: `/api/alert-rules/${admitted ? (await admin('post', '/api/alert-rules', { tenantId: A(), meter: `m-${unique()}`, sensitivity: 9 })).body.id : f.alertRule}`,
    }),
  },
  // Webhooks (the operator's endpoints).
  createWebhookEndpoint: {
    owner: 'shared',
    unchanged: () => rows('SELECT id FROM webhook_endpoints ORDER BY id'),
    request: () => ({ path: '/api/webhooks', body: { url: 'http://127.0.0.1:9/matrix', events: ['alert.created'] } }),
  },
  listWebhookEndpoints: { owner: 'shared', request: () => ({ path: '/api/webhooks' }) },
  getWebhookEndpoint: { owner: 'shared', request: () => ({ path: `/api/webhooks/${f.webhook}` }) },
  listWebhookDeliveries: { owner: 'shared', request: () => ({ path: `/api/webhooks/${f.webhook}/deliveries` }) },
  deleteWebhookEndpoint: {
    owner: 'shared',
    unchanged: () => rows('SELECT * FROM webhook_endpoints WHERE id = $1', [f.webhook]),
    request: async (_c, admitted) => ({
      path: `/api/webhooks/${admitted ? (await admin('post', '/api/webhooks', { url: 'http://127.0.0.1:9/gone', events: ['alert.created'] })).body.id : f.webhook}`,
    }),
  },
};

const credentialOf = (c: (typeof MATRIX_CALLERS)[number]): [string, string] => {
  switch (c.name) {
    case 'ingestKeyA':
      return ['X-API-Key', api.apiKeys.a];
    case 'ingestKeyB':
      return ['X-API-Key', api.apiKeys.b];
    case 'readKeyA':
      return ['X-API-Key', api.readKeys.a];
    case 'readKeyB':
      return ['X-API-Key', api.readKeys.b];
    case 'admin':
    case 'finance':
    case 'customerA':
    case 'customerB':
      return ['Authorization', `Bearer ${api.tokens[c.name]}`];
  }
};

/**
 * Tries one route with every caller: what each got, what the route's declaration says it
 * should get, and each refusal that changed something anyway.
 */
async function tryRoute(agent: TestApi['request'], route: RouteDef, c: RouteCase) {
  // Refusals first, so that their "nothing changed" reads cannot see a success of the same route.
  const callers = [...MATRIX_CALLERS].sort((x, y) => Number(expectsSuccess(route, c, x)) - Number(expectsSuccess(route, c, y)));
  const got: Record<string, string> = {};
  const want: Record<string, string> = {};
  const problems: string[] = [];
  for (const caller of callers) {
    const allowed = expectedStatuses(route, c, caller);
    const refused = !expectsSuccess(route, c, caller);
    const { path, body } = await c.request(caller.name, !refused);
    const before = refused && c.unchanged ? await c.unchanged() : undefined;
    const req = agent[route.method](path).set(...credentialOf(caller));
    const res = await (body ? req.send(body) : req);
    // A cell that is off says why, in the problem's own words.
    got[caller.name] = allowed.includes(res.status) ? String(res.status) : `${res.status} ${JSON.stringify(res.body?.detail ?? '')}`;
    want[caller.name] = allowed.includes(res.status) ? String(res.status) : allowed.join('|');
    if (res.status >= 400 && !/problem\+json/.test(res.headers['content-type'] ?? ''))
      problems.push(`${caller.name}: ${res.status} is not problem+json`);
    if (before !== undefined && JSON.stringify(await c.unchanged!()) !== JSON.stringify(before))
      problems.push(`${caller.name} was refused, yet something changed`);
  }
  return { got, want, problems };
}

describe('the wrong-tenant role matrix over every route of the app', () => {
  it('covers every registered route: each is a case or public with a reason', () => {
    expect(coverageProblems(api.app.routes, CASES, PUBLIC)).toEqual([]);
    // The router serves exactly the routes listed (a route mounted beside the list would escape the matrix).
    const mounted = api.app.apiRouter.stack.map((l) => l.name).filter((n): n is string => !!n);
    expect(new Set(mounted)).toEqual(new Set(api.app.routes.map((r) => r.operationId)));
  });

  // One test per case; the coverage test above ties the cases to the app's routes.
  it.each(Object.keys(CASES))('%s', async (operationId) => {
    const route = api.app.routes.find((r) => r.operationId === operationId);
    if (!route) throw new Error(`${operationId}: no such route (see the coverage test)`);
    const { got, want, problems } = await tryRoute(api.request, route, CASES[operationId]!);
    expect(problems).toEqual([]);
    expect(got).toEqual(want);
  });
});

describe('the matrix fails on a deliberate hole', () => {
  // Two broken routes, mounted with the real frame and authorisation: one shows any tenant to
  // any customer, the other changes the tenant before it refuses another tenant's customer.
  const leaky = defineRoute({
    method: 'get',
    path: '/leaky/:id',
    operationId: 'leakyTenant',
    tag: 'tenants',
    summary: 'no tenant check',
    access: { roles: ROLES },
    params: z.object({ id: z.uuid() }),
    responses: { 200: { description: 'the tenant' } },
    handler: async ({ params }) => ({
      status: 200,
      body: await withOperator(h.db.pool, (tx) => tenantsRepository.findById(tx, params.id)),
    }),
  });
  const careless = defineRoute({
    method: 'post',
    path: '/careless/:id',
    operationId: 'carelessTenant',
    tag: 'tenants',
    summary: 'writes, then checks',
    access: { roles: ROLES },
    params: z.object({ id: z.uuid() }),
    responses: { 200: { description: 'renamed' } },
    handler: async ({ params, principal }) => {
      await withOperator(h.db.pool, (tx) => tenantsRepository.update(tx, params.id, { name: `renamed ${unique()}` }));
      resolveTenant(principal!, params.id);
      return { status: 200 };
    },
  });
  const broken = () => {
    const koa = new Koa();
    const router = new Router({ prefix: '/api' });
    koa.use(errorMiddleware(pino({ level: 'silent' })));
    registerRoutes(
      router,
      [leaky, careless],
      createAuthorize(createPrincipalResolver(TEST_AUTH, h.db.pool), { allowedOrigins: new Set() }),
    );
    koa.use(router.routes());
    return request(koa.callback());
  };

  it('reports a route that is neither a case nor public with a reason', () => {
    expect(coverageProblems([...api.app.routes, leaky], CASES, PUBLIC)).toEqual(['leakyTenant: not in the matrix']);
    const { login: _reason, ...withoutLogin } = PUBLIC;
    expect(coverageProblems(api.app.routes, CASES, withoutLogin)).toEqual(['login: public, but not listed as public with a reason']);
  });

  it("reports another tenant's customer reading tenant A's data", async () => {
    const { got, want } = await tryRoute(broken(), leaky, { owner: 'tenant', request: () => ({ path: `/api/leaky/${A()}` }) });
    expect(want.customerB).toBe('404');
    expect(got.customerB).toMatch(/^200/);
  });

  it('reports a refusal that changed something', async () => {
    const { got, want, problems } = await tryRoute(broken(), careless, {
      owner: 'tenant',
      request: () => ({ path: `/api/careless/${A()}` }),
      unchanged: () => rows('SELECT name FROM tenants WHERE id = $1', [A()]),
    });
    expect(got).toEqual(want); // every status is right: only the check of the state catches it
    expect(problems).toEqual(['customerB was refused, yet something changed']);
  });
});
