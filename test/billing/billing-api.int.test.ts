import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import request from 'supertest';
import type { TestApi } from '../harness/api.ts';
import { expectResponseMatchesSpec } from '../harness/openapi-responses.ts';
import { startBillingApi, stopBillingApi, type BillingHarness } from '../harness/billing.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { createApp } from '../../api/app.ts';
import { pino } from 'pino';
import { TEST_AUTH } from '../harness/api.ts';

// The subscriptions and invoices API over the real app, a real billing worker and the
// time-skipping test server: access rules, shapes (checked against the OpenAPI document),
// invoice-now, PDFs, the usage drill-down, manual payments and voids.

let env: TestWorkflowEnvironment;
let h: BillingHarness;
let api: TestApi;
let planId: string;
let subscriptionId: string;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const DAY = 86_400_000;

beforeAll(async () => {
  ({ env, h, api } = await startBillingApi([{ code: 'calls', name: 'API calls', eventType: 'call', aggregation: 'count' }]));
  await withOperator(h.db.pool, (tx) => tenantsRepository.update(tx, api.tenants.a.id, { taxRate: '0.1' }));
  // Usage-only prices, so invoice-now amounts do not depend on the instant it runs.
  planId = (
    await api.request
      .post('/api/pricing/plans')
      .set(auth(api.tokens.admin))
      .send({
        code: 'api-calls',
        name: 'API calls',
        currency: 'USD',
        interval: 'month',
        baseFee: '0',
        charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '0.25' }],
      })
  ).body.id;
});
afterAll(async () => stopBillingApi({ env, h }));

const call = (method: 'get' | 'post' | 'put', path: string, token: string, body?: object) => {
  const r = api.request[method](path).set(auth(token));
  return body ? r.send(body) : r;
};

describe('subscriptions API', () => {
  it('lets an admin subscribe a tenant and starts its workflow; others may not', async () => {
    const startAt = new Date((await env.currentTimeMs()) - 2 * DAY).toISOString();
    for (const token of [api.tokens.finance, api.tokens.customerA]) {
      expect((await call('post', '/api/subscriptions', token, { tenantId: api.tenants.a.id, planId, startAt })).status).toBe(403);
    }
    const res = await call('post', '/api/subscriptions', api.tokens.admin, { tenantId: api.tenants.a.id, planId, startAt });
    expectResponseMatchesSpec('POST', '/api/subscriptions', res);
    expect(res.status).toBe(201);
    subscriptionId = res.body.id;
    expect(res.body).toMatchObject({
      tenantId: api.tenants.a.id,
      planId,
      planVersion: 1,
      status: 'active',
      workflowId: `subscription-${subscriptionId}`,
      currentPeriod: { start: startAt },
    });
    expect(res.headers.location).toBe(`/api/subscriptions/${subscriptionId}`);
    // The plan version is now frozen.
    expect((await call('get', `/api/pricing/plans/${planId}`, api.tokens.admin)).body.inUse).toBe(true);
  });

  it('refuses a second live subscription to the same plan (409) and a plan in another currency (400)', async () => {
    const again = await call('post', '/api/subscriptions', api.tokens.admin, { tenantId: api.tenants.a.id, planId });
    expect(again.status).toBe(409);
    const eur = (
      await call('post', '/api/pricing/plans', api.tokens.admin, {
        code: 'eur',
        name: 'EUR',
        currency: 'EUR',
        interval: 'month',
        baseFee: '1',
        charges: [],
      })
    ).body.id;
    const mismatch = await call('post', '/api/subscriptions', api.tokens.admin, { tenantId: api.tenants.b.id, planId: eur });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors[0].field).toBe('planId');
    expect(
      (
        await call('post', '/api/subscriptions', api.tokens.admin, {
          tenantId: api.tenants.b.id,
          planId: '00000000-0000-4000-8000-000000000000',
        })
      ).status,
    ).toBe(404);
  });

  it('answers live status to the tenant, and 404 to another tenant', async () => {
    const own = await call('get', `/api/subscriptions/${subscriptionId}`, api.tokens.customerA);
    expectResponseMatchesSpec('GET', `/api/subscriptions/${subscriptionId}`, own);
    expect(own.body).toMatchObject({ id: subscriptionId, status: 'active', source: 'workflow', planCode: 'api-calls' });
    expect((await call('get', `/api/subscriptions/${subscriptionId}`, api.tokens.customerB)).status).toBe(404);
    expect((await call('get', `/api/subscriptions?tenantId=${api.tenants.a.id}`, api.tokens.customerB)).status).toBe(404);
    const list = await call('get', '/api/subscriptions', api.tokens.customerB);
    expectResponseMatchesSpec('GET', '/api/subscriptions', list);
    expect(list.body.items).toEqual([]);
    const all = await call('get', `/api/subscriptions?tenantId=${api.tenants.a.id}`, api.tokens.finance);
    expect(all.body.items.map((s: { id: string }) => s.id)).toEqual([subscriptionId]);
  });

  it('refuses, through the update validator, a change to the plan it is already on (409)', async () => {
    const res = await call('post', `/api/subscriptions/${subscriptionId}/change-plan`, api.tokens.admin, {
      planId,
      effective: 'immediate',
    });
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(/already on this plan/);
    const bad = await call('post', `/api/subscriptions/${subscriptionId}/change-plan`, api.tokens.admin, { planId, effective: 'tomorrow' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('effective');
  });
});

describe('invoices API', () => {
  let invoiceId: string;

  it('generates an invoice now: 201 with the finalized invoice', async () => {
    // The tenant's card declines, so the invoice stays open for the manual payments below.
    const settings = await call('put', `/api/tenants/${api.tenants.a.id}/payment-settings`, api.tokens.finance, {
      declineFirstAttempts: 100,
    });
    expectResponseMatchesSpec('PUT', `/api/tenants/${api.tenants.a.id}/payment-settings`, settings);
    expect(settings.body).toEqual({
      tenantId: api.tenants.a.id,
      gateway: 'builtin',
      declineFirstAttempts: 100,
      transientFailuresPerAttempt: 0,
      chargeDelayMs: 0,
    });
    expect((await call('get', `/api/tenants/${api.tenants.a.id}/payment-settings`, api.tokens.customerB)).status).toBe(404);
    const now = await env.currentTimeMs();
    await h.sendEvents(
      api.tenants.a.id,
      Array.from({ length: 7 }, (_, i) => ({ id: `c-${i}`, type: 'call', time: new Date(now - DAY + i * 1000) })),
    );
    expect((await call('post', '/api/invoices/generate', api.tokens.customerA, { subscriptionId })).status).toBe(403);
    const res = await call('post', '/api/invoices/generate', api.tokens.finance, { subscriptionId });
    expectResponseMatchesSpec('POST', '/api/invoices/generate', res);
    expect(res.status).toBe(201);
    invoiceId = res.body.id;
    expect(res.headers.location).toBe(`/api/invoices/${invoiceId}`);
    // 7 calls × 0.25 = 1.75; tax 10 % = 0.175 → 0.18 (half-up); total 1.93
    expect(res.body).toMatchObject({
      reason: 'invoice_now',
      tenantId: api.tenants.a.id,
      subscriptionId,
      currency: 'USD',
      subtotal: '1.75',
      taxRate: '0.1',
      tax: '0.18',
      total: '1.93',
      amountPaid: '0.00',
      number: expect.stringMatching(/^INV-\d{4}-\d{6}$/),
    });
    expect(res.body.lines).toEqual([
      expect.objectContaining({
        position: 1,
        type: 'usage',
        meter: 'calls',
        quantity: '7',
        unitPrice: '0.25',
        amount: '1.75',
        usage: expect.objectContaining({ eventCount: '7' }),
      }),
    ]);
  });

  it('shows a tenant its own invoices only', async () => {
    const own = await call('get', '/api/invoices', api.tokens.customerA);
    expectResponseMatchesSpec('GET', '/api/invoices', own);
    expect(own.body.items.map((i: { id: string }) => i.id)).toEqual([invoiceId]);
    expect((await call('get', '/api/invoices', api.tokens.customerB)).body.items).toEqual([]);
    expect((await call('get', `/api/invoices/${invoiceId}`, api.tokens.customerB)).status).toBe(404);
    expect((await call('get', `/api/invoices?tenantId=${api.tenants.a.id}`, api.tokens.customerB)).status).toBe(404);
    expect(
      (await call('get', `/api/invoices?subscriptionId=${subscriptionId}&tenantId=${api.tenants.a.id}`, api.tokens.finance)).body.total,
    ).toBe(1);
    expect((await call('get', `/api/invoices?status=draft`, api.tokens.finance)).body.total).toBe(0);
  });

  it('serves a real PDF, and the raw events behind a usage line', async () => {
    const pdf = await call('get', `/api/invoices/${invoiceId}/pdf`, api.tokens.customerA).buffer(true);
    expect(pdf.status).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.body.subarray(0, 5).toString()).toBe('%PDF-');
    expect((await call('get', `/api/invoices/${invoiceId}/pdf`, api.tokens.customerB)).status).toBe(404);

    const usage = await call('get', `/api/invoices/${invoiceId}/usage?line=1`, api.tokens.customerA);
    expectResponseMatchesSpec('GET', `/api/invoices/${invoiceId}/usage`, usage);
    expect(usage.body).toMatchObject({ line: 1, meter: 'calls', eventCount: '7' });
    expect(usage.body.events.map((e: { id: string }) => e.id).sort()).toEqual(['c-0', 'c-1', 'c-2', 'c-3', 'c-4', 'c-5', 'c-6']);
    expect((await call('get', `/api/invoices/${invoiceId}/usage?line=9`, api.tokens.customerA)).status).toBe(404);
  });

  it('records manual payments up to the amount due; then the invoice is paid, dunning stops, and it cannot be voided', async () => {
    expect((await call('post', `/api/invoices/${invoiceId}/payments`, api.tokens.customerA, { amount: '1', reference: 'x' })).status).toBe(
      403,
    );
    const tooMuch = await call('post', `/api/invoices/${invoiceId}/payments`, api.tokens.finance, { amount: '1.94', reference: 'wire 1' });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.errors[0]).toEqual({ field: 'amount', message: 'is more than the amount due (1.93)' });
    expect(
      (await call('post', `/api/invoices/${invoiceId}/payments`, api.tokens.finance, { amount: '0.001', reference: 'wire 1' })).status,
    ).toBe(400);
    const partial = await call('post', `/api/invoices/${invoiceId}/payments`, api.tokens.finance, { amount: '1.00', reference: 'wire 1' });
    expectResponseMatchesSpec('POST', `/api/invoices/${invoiceId}/payments`, partial);
    expect(partial.body).toMatchObject({ amountPaid: '1.00', status: 'payment_failed' });
    const rest = await call('post', `/api/invoices/${invoiceId}/payments`, api.tokens.admin, { amount: '0.93', reference: 'wire 2' });
    expect(rest.body).toMatchObject({ amountPaid: '1.93', status: 'paid', paidAt: expect.any(String) });
    expect(await env.client.workflow.getHandle(`dunning-${invoiceId}`).result()).toMatchObject({ outcome: 'stopped', attempts: 1 });
    expect((await call('post', `/api/invoices/${invoiceId}/void`, api.tokens.finance)).status).toBe(409);
    expect(
      await h.ownerQuery(
        'SELECT method, amount_minor, reference FROM payments WHERE invoice_id = $1 ORDER BY received_at, amount_minor DESC',
        [invoiceId],
      ),
    ).toEqual([
      { method: 'manual', amount_minor: '100', reference: 'wire 1' },
      { method: 'manual', amount_minor: '93', reference: 'wire 2' },
    ]);
  });

  it('voids a finalized invoice whose payment failed, and dunning stops', async () => {
    await call('put', `/api/tenants/${api.tenants.b.id}/payment-settings`, api.tokens.finance, { declineFirstAttempts: 10 }).expect(200);
    const startAt = new Date((await env.currentTimeMs()) - DAY).toISOString();
    const sub = (await call('post', '/api/subscriptions', api.tokens.admin, { tenantId: api.tenants.b.id, planId, startAt })).body;
    await h.sendEvents(api.tenants.b.id, [{ id: 'b-1', type: 'call', time: new Date((await env.currentTimeMs()) - 1000) }]);
    const generated = await call('post', '/api/invoices/generate', api.tokens.admin, { subscriptionId: sub.id });
    expect(generated.body).toMatchObject({ total: '0.25' });
    // The first attempt is declined at issue.
    let invoice = generated.body;
    for (let i = 0; i < 50 && invoice.status !== 'payment_failed'; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      invoice = (await call('get', `/api/invoices/${generated.body.id}`, api.tokens.finance)).body;
    }
    expect(invoice.status).toBe('payment_failed');
    const voided = await call('post', `/api/invoices/${invoice.id}/void`, api.tokens.finance);
    expectResponseMatchesSpec('POST', `/api/invoices/${invoice.id}/void`, voided);
    expect(voided.body).toMatchObject({ status: 'void', voidedAt: expect.any(String) });
    expect(await env.client.workflow.getHandle(`dunning-${invoice.id}`).result()).toMatchObject({ outcome: 'stopped' });
    expect(
      (await call('post', `/api/invoices/${invoice.id}/payments`, api.tokens.finance, { amount: '0.25', reference: 'late' })).status,
    ).toBe(409);
  });

  it('answers 202 with a Location to poll when the invoice is not final in time', async () => {
    const slow = createApp({
      logger: pino({ level: 'silent' }),
      pg: h.db.pool,
      clickhouse: h.ch.client,
      temporal: env.client,
      auth: TEST_AUTH,
      billing: { searchAttributes: false, generateWaitMs: 0 },
    });
    // The close's steps run as local activities in one workflow task, so an unhindered invoice can
    // be final by the time the update is accepted. Another transaction holds this year's and next
    // year's invoice-number rows, so finalizing waits, and the answer cannot be final in time.
    const owner = await h.db.owner();
    await owner.query('BEGIN');
    let res: request.Response;
    try {
      const year = new Date(await env.currentTimeMs()).getUTCFullYear();
      await owner.query(
        'INSERT INTO invoice_number_sequences (year, last_number) VALUES ($1, 0), ($2, 0) ON CONFLICT (year) DO UPDATE SET last_number = invoice_number_sequences.last_number',
        [year, year + 1],
      );
      res = await request(slow.koa.callback()).post('/api/invoices/generate').set(auth(api.tokens.admin)).send({ subscriptionId });
    } finally {
      await owner.query('ROLLBACK');
      await owner.end();
    }
    expectResponseMatchesSpec('POST', '/api/invoices/generate', res);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ invoiceId: expect.any(String), status: 'pending' });
    expect(res.headers.location).toBe(`/api/invoices/${res.body.invoiceId}`);
    let polled = await call('get', res.headers.location!, api.tokens.finance);
    for (let i = 0; i < 100 && (polled.status !== 200 || polled.body.status === 'draft'); i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      polled = await call('get', res.headers.location!, api.tokens.finance);
    }
    expect(polled.body).toMatchObject({ id: res.body.invoiceId, reason: 'invoice_now', number: expect.any(String) });
  });

  it("answers another tenant's customer 404 and a role without the action 403 on every billing route", async () => {
    const sub = subscriptionId;
    const inv = invoiceId;
    const cases: ['get' | 'post' | 'put', string, object | undefined, Record<'finance' | 'customerA' | 'customerB', number>][] = [
      ['get', `/api/subscriptions/${sub}`, undefined, { finance: 200, customerA: 200, customerB: 404 }],
      [
        'post',
        `/api/subscriptions/${sub}/change-plan`,
        { planId, effective: 'period_end' },
        { finance: 403, customerA: 403, customerB: 403 },
      ],
      ['post', `/api/subscriptions/${sub}/cancel`, { at: 'period_end' }, { finance: 403, customerA: 403, customerB: 403 }],
      ['get', `/api/invoices/${inv}`, undefined, { finance: 200, customerA: 200, customerB: 404 }],
      ['get', `/api/invoices/${inv}/pdf`, undefined, { finance: 200, customerA: 200, customerB: 404 }],
      ['get', `/api/invoices/${inv}/usage?line=1`, undefined, { finance: 200, customerA: 200, customerB: 404 }],
      ['post', `/api/invoices/${inv}/void`, undefined, { finance: 409, customerA: 403, customerB: 403 }],
      ['get', `/api/tenants/${api.tenants.a.id}/payment-settings`, undefined, { finance: 200, customerA: 200, customerB: 404 }],
      [
        'put',
        `/api/tenants/${api.tenants.a.id}/payment-settings`,
        { declineFirstAttempts: 100 },
        { finance: 200, customerA: 403, customerB: 403 },
      ],
    ];
    for (const [method, path, body, expected] of cases) {
      for (const caller of ['finance', 'customerA', 'customerB'] as const) {
        const res = await call(method, path, api.tokens[caller], body);
        expect(`${caller} ${method} ${path} → ${res.status}`).toBe(`${caller} ${method} ${path} → ${expected[caller]}`);
      }
    }
  });

  it("refuses invoice-now during a trial with 409 and the workflow's reason, not a 500", async () => {
    const trialPlan = (
      await call('post', '/api/pricing/plans', api.tokens.admin, {
        code: 'api-calls-trial',
        name: 'API calls with a trial',
        currency: 'USD',
        interval: 'month',
        baseFee: '0',
        trialDays: 14,
        charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '0.25' }],
      })
    ).body.id;
    // Tenant B already has a live subscription billing calls: this one is an add-on on purpose.
    const sub = await call('post', '/api/subscriptions', api.tokens.admin, {
      tenantId: api.tenants.b.id,
      planId: trialPlan,
      allowSharedMeters: true,
    });
    expect(sub.status).toBe(201);
    const res = await call('post', '/api/invoices/generate', api.tokens.finance, { subscriptionId: sub.body.id });
    expectResponseMatchesSpec('POST', '/api/invoices/generate', res);
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(/trial/);
  });

  it('cancels immediately; the subscription then refuses changes', async () => {
    const res = await call('post', `/api/subscriptions/${subscriptionId}/cancel`, api.tokens.admin, { at: 'immediate' });
    expectResponseMatchesSpec('POST', `/api/subscriptions/${subscriptionId}/cancel`, res);
    expect(res.body).toMatchObject({ status: 'canceled' });
    await env.client.workflow.getHandle(`subscription-${subscriptionId}`).result();
    expect((await call('post', `/api/subscriptions/${subscriptionId}/cancel`, api.tokens.admin, { at: 'immediate' })).status).toBe(409);
    const after = await call('get', `/api/subscriptions/${subscriptionId}`, api.tokens.admin);
    expect(after.body.status).toBe('canceled');
  });
});

describe('invoice now over usage out of range', () => {
  it('answers 409, issues no invoice, and shows the critical billing_failed alert to the tenant only', async () => {
    // 10^17 USD a call: one call is more than an invoice holds (92233720368547758.07 USD).
    const hugePrice = (
      await call('post', '/api/pricing/plans', api.tokens.admin, {
        code: 'huge-price',
        name: 'Huge price',
        currency: 'USD',
        interval: 'month',
        baseFee: '0',
        charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '100000000000000000' }],
      })
    ).body.id;
    const tenant = await h.createTenant({ name: 'Huge' });
    const startAt = new Date((await env.currentTimeMs()) - 2 * DAY).toISOString();
    const sub = (await call('post', '/api/subscriptions', api.tokens.admin, { tenantId: tenant.id, planId: hugePrice, startAt })).body;
    await h.sendEvents(tenant.id, [{ id: 'huge-1', type: 'call', time: new Date((await env.currentTimeMs()) - 1000) }]);

    const res = await call('post', '/api/invoices/generate', api.tokens.finance, { subscriptionId: sub.id });
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expectResponseMatchesSpec('POST', '/api/invoices/generate', res);
    expect(res.body.detail).toMatch(/could not be issued: its amounts are larger than an invoice can hold/);
    expect((await call('get', `/api/invoices?subscriptionId=${sub.id}`, api.tokens.finance)).body.items).toEqual([]);

    const alerts = await call('get', `/api/alerts?tenantId=${tenant.id}&kind=billing_failed`, api.tokens.finance);
    expect(alerts.body.items).toEqual([
      expect.objectContaining({
        tenantId: tenant.id,
        kind: 'billing_failed',
        severity: 'critical',
        details: expect.objectContaining({ step: 'rating', subscriptionId: sub.id }),
      }),
    ]);
    expect((await call('get', `/api/alerts?kind=billing_failed`, api.tokens.customerA)).body.items).toEqual([]);
    // The subscription lives on.
    expect((await call('get', `/api/subscriptions/${sub.id}`, api.tokens.admin)).body).toMatchObject({
      status: 'active',
      source: 'workflow',
    });
  });
});

describe('invoice now with an Idempotency-Key', () => {
  let subscriptionId: string;
  let tenantId: string;
  const generate = (key: string | null, body: object = { subscriptionId }) => {
    const r = api.request.post('/api/invoices/generate').set(auth(api.tokens.finance));
    return (key === null ? r : r.set('Idempotency-Key', key)).send(body);
  };
  const invoiceIds = async () =>
    (await call('get', `/api/invoices?subscriptionId=${subscriptionId}`, api.tokens.finance)).body.items
      .map((i: { id: string }) => i.id)
      .sort();
  const keyRows = async () =>
    h.ownerQuery<{ idempotency_key: string; invoice_id: string }>(
      'SELECT idempotency_key, invoice_id FROM invoice_now_keys WHERE tenant_id = $1 ORDER BY created_at',
      [tenantId],
    );

  beforeAll(async () => {
    tenantId = (await h.createTenant({ name: 'Idempotent' })).id;
    const startAt = new Date((await env.currentTimeMs()) - 2 * DAY).toISOString();
    subscriptionId = (await call('post', '/api/subscriptions', api.tokens.admin, { tenantId, planId, startAt })).body.id;
  });

  it('gives the same invoice for the same key, and a new one for a new key', async () => {
    await h.sendEvents(tenantId, [{ id: 'idem-1', type: 'call', time: new Date((await env.currentTimeMs()) - 60_000) }]);
    const first = await generate('click-1');
    expectResponseMatchesSpec('POST', '/api/invoices/generate', first);
    expect(first.status).toBe(201);
    const again = await generate('click-1');
    expectResponseMatchesSpec('POST', '/api/invoices/generate', again);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.location).toBe(`/api/invoices/${first.body.id}`);
    expect(await invoiceIds()).toEqual([first.body.id]);
    // A new click is a new request: a second invoice-now is allowed.
    const next = await generate('click-2');
    expect(next.status).toBe(201);
    expect(next.body.id).not.toBe(first.body.id);
    expect(await invoiceIds()).toEqual([first.body.id, next.body.id].sort());
  });

  it('issues one invoice for two concurrent requests with one key', async () => {
    const before = await invoiceIds();
    const answers = await Promise.all([generate('double-click'), generate('double-click')]);
    expect(answers.map((r) => r.status)).toEqual([201, 201]);
    expect(answers[1]!.body.id).toBe(answers[0]!.body.id);
    expect(await invoiceIds()).toEqual([...before, answers[0]!.body.id].sort());
    expect((await keyRows()).filter((k) => k.idempotency_key === 'double-click')).toEqual([
      { idempotency_key: 'double-click', invoice_id: answers[0]!.body.id },
    ]);
  });

  it('refuses a key used for another subscription (422 naming the header), writing nothing', async () => {
    // A second subscription of the same tenant (keys are per tenant). It starts at the test
    // server's time, which earlier tests moved past the wall clock: started at the API's "now",
    // its first period would already be over for its workflow, whose own period-end draft then
    // raced the assertion below that nothing was written.
    const otherSub = (
      await call('post', '/api/subscriptions', api.tokens.admin, {
        tenantId,
        startAt: new Date(await env.currentTimeMs()).toISOString(),
        allowSharedMeters: true,
        planId: (
          await call('post', '/api/pricing/plans', api.tokens.admin, {
            code: 'idem-other',
            name: 'Other',
            currency: 'USD',
            interval: 'month',
            baseFee: '0',
            charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '1' }],
          })
        ).body.id,
      })
    ).body.id;
    expect(otherSub).toEqual(expect.any(String));
    const before = await invoiceIds();
    const res = await generate('click-1', { subscriptionId: otherSub });
    expectResponseMatchesSpec('POST', '/api/invoices/generate', res);
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
    expect(await invoiceIds()).toEqual(before);
    expect((await call('get', `/api/invoices?subscriptionId=${otherSub}`, api.tokens.finance)).body.items).toEqual([]);
    expect((await generate('click-1', { subscriptionId: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
  });

  it('refuses a malformed key with 400 naming the header, writing nothing', async () => {
    const before = await keyRows();
    for (const key of ['x'.repeat(256), 'tab\there', 'é']) {
      const res = await generate(key);
      expect(res.status, key).toBe(400);
      expectResponseMatchesSpec('POST', '/api/invoices/generate', res);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
    }
    expect((await generate('x'.repeat(255))).status).toBe(201); // the largest key allowed
    expect((await keyRows()).length).toBe(before.length + 1);
  });
});

describe('back-dating', () => {
  it('accepts a startAt 400 days back (201) and refuses 401 days back (400 naming startAt, nothing written)', async () => {
    // A yearly plan: 400 days back is one ended period, so the catch-up stays small.
    const yearly = (
      await api.request
        .post('/api/pricing/plans')
        .set(auth(api.tokens.admin))
        .send({
          code: 'yearly-backdated',
          name: 'Yearly',
          currency: 'USD',
          interval: 'year',
          baseFee: '0',
          charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '0.25' }],
        })
    ).body.id;
    const before = (await call('get', `/api/subscriptions?tenantId=${api.tenants.a.id}`, api.tokens.admin)).body.total;

    const tooFar = await call('post', '/api/subscriptions', api.tokens.admin, {
      tenantId: api.tenants.a.id,
      planId: yearly,
      allowSharedMeters: true,
      startAt: new Date(Date.now() - 401 * DAY).toISOString(),
    });
    expectResponseMatchesSpec('POST', '/api/subscriptions', tooFar);
    expect(tooFar.status).toBe(400);
    expect(tooFar.headers['content-type']).toContain('application/problem+json');
    expect(tooFar.body.errors[0]).toEqual({ field: 'startAt', message: 'must be at most 400 days in the past (it is 401 days back)' });
    expect((await call('get', `/api/subscriptions?tenantId=${api.tenants.a.id}`, api.tokens.admin)).body.total).toBe(before);

    const limit = await call('post', '/api/subscriptions', api.tokens.admin, {
      tenantId: api.tenants.a.id,
      planId: yearly,
      allowSharedMeters: true,
      startAt: new Date(Date.now() - 400 * DAY).toISOString(),
    });
    expectResponseMatchesSpec('POST', '/api/subscriptions', limit);
    expect(limit.status).toBe(201);
    expect((await call('get', `/api/subscriptions?tenantId=${api.tenants.a.id}`, api.tokens.admin)).body.total).toBe(before + 1);
  });
});
