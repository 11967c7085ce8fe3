import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createBillingHarness, type BillingHarness } from '../harness/billing.ts';
import { timeSkippingEnvironment } from '../harness/temporal.ts';
import { createTestApi, type TestApi } from '../harness/api.ts';
import { startStripeMock, type StripeMock } from '../harness/stripe-mock.ts';
import { createStripeClient } from '../../activities/payments/stripe-client.ts';
import { createStripeGateway } from '../../activities/payments/stripe-gateway.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { paymentsRepository } from '../../db/postgres/payments-repository.ts';
import { dunningWorkflowId, type DunningResult } from '../../workflows/contract.ts';

// The Stripe gateway against stripe-mock (the official Stripe API mock), and its webhook through
// the real API route into the dunning workflow on the time-skipping server. stripe-mock answers
// every PaymentIntent with its fixture's status: started here with `requires_action`, so each
// charge is pending (as a 3-D Secure card or a bank debit would be) until a signed webhook says
// how it ended; a second stripe-mock with the stock fixture (`requires_payment_method`) shows a decline.

const SECRET = `whsec_${randomBytes(12).toString('hex')}`;
const unique = () => randomBytes(4).toString('hex');

let pendingMock: StripeMock;
let declineMock: StripeMock;
let h: BillingHarness;
let env: TestWorkflowEnvironment;
let api: TestApi;

beforeAll(async () => {
  [pendingMock, declineMock] = await Promise.all([startStripeMock({ paymentIntentStatus: 'requires_action' }), startStripeMock()]);
  h = await createBillingHarness({
    dunningScheduleDays: [0, 3],
    paymentGateways: (pg) => ({
      stripe: createStripeGateway(pg, createStripeClient({ secretKey: 'sk_test_mock', apiBase: pendingMock.apiBase })),
    }),
  });
});
afterAll(async () => {
  await h?.dispose();
  await Promise.all([pendingMock?.stop(), declineMock?.stop()]);
});
beforeEach(async () => {
  env = await timeSkippingEnvironment();
  const worker = await h.attach(env);
  api = await createTestApi({
    db: h.db,
    clickhouse: h.ch.client,
    temporal: env.client,
    deps: { billing: { searchAttributes: false }, stripe: { webhookSecret: SECRET } },
  });
  pendingMock.requests.length = 0;
  return async () => {
    await worker.detach();
    await env.teardown();
  };
});

async function stripeTenant(name: string) {
  const tenant = await h.createTenant({ name: `${name}-${unique()}`, taxRate: '0.25' });
  await withOperator(h.db.pool, (tx) =>
    paymentsRepository.upsertSettings(tx, tenant.id, { gateway: 'stripe', declineFirstAttempts: 0, transientFailuresPerAttempt: 0 }),
  );
  return tenant;
}

/** A subscription whose first invoice (125.00 USD) is issued on 2027-02-01, its first attempt answered pending. */
async function pendingInvoice(name: string) {
  const tenant = await stripeTenant(name);
  const plan = await h.createPlan({
    code: `flat-${unique()}`,
    name: 'Flat',
    currency: 'USD',
    interval: 'month',
    baseFee: '100',
    gracePeriodSeconds: 0,
    charges: [],
  });
  const sub = await h.subscriptions.create({ tenantId: tenant.id, planId: plan.id, startAt: new Date('2027-01-01T00:00:00Z') });
  await env.sleep(new Date('2027-02-01T00:00:01Z').getTime() - (await env.currentTimeMs()));
  const invoice = await until(async () => (await h.invoicesOf(sub.id))[0]);
  await awaitingAttempt(invoice.id, 1);
  return { tenant, sub, invoice, dunning: env.client.workflow.getHandle(dunningWorkflowId(invoice.id)) };
}

async function until<T>(read: () => Promise<T | undefined | null | false>): Promise<T> {
  for (let i = 0; i < 300; i += 1) {
    const v = await read();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not reached in 30 s');
}

const attemptsOf = (invoiceId: string) =>
  h.ownerQuery<{
    attempt: number;
    status: string;
    idempotency_key: string;
    gateway_reference: string | null;
    failure_reason: string | null;
  }>(
    'SELECT attempt, status, idempotency_key, gateway_reference, failure_reason FROM payment_attempts WHERE invoice_id = $1 ORDER BY attempt',
    [invoiceId],
  );

/** Waits until attempt n is pending at Stripe with its PaymentIntent's id recorded. */
const awaitingAttempt = (invoiceId: string, n: number) =>
  until(async () => (await attemptsOf(invoiceId)).find((a) => a.attempt === n && a.status === 'pending' && a.gateway_reference));

function eventPayload(
  type: string,
  intent: { id: string; metadata: Record<string, string>; last_payment_error?: object },
  id = `evt_${unique()}`,
) {
  return JSON.stringify({
    id,
    object: 'event',
    type,
    created: Math.floor(Date.now() / 1000),
    data: { object: { object: 'payment_intent', ...intent } },
  });
}

const postEvent = (payload: string, signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET })) =>
  api.request.post('/api/payments/stripe/webhook').set('Content-Type', 'application/json').set('Stripe-Signature', signature).send(payload);

const intentOf = (attempt: { idempotency_key: string; gateway_reference: string | null }, tenantId: string, invoiceId: string) => ({
  id: attempt.gateway_reference!,
  metadata: { tenant_id: tenantId, invoice_id: invoiceId, idempotency_key: attempt.idempotency_key },
});

const signalsOf = async (workflowId: string) =>
  ((await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).filter(
    (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'gatewayAnswer',
  ).length;

describe('the Stripe gateway against stripe-mock', () => {
  it('creates the tenant’s customer on the first charge, stores it, and reuses it; each charge is an off-session PaymentIntent keyed <invoiceId>:<attempt>', async () => {
    const tenant = await stripeTenant('customer');
    const gateway = createStripeGateway(h.db.pool, createStripeClient({ secretKey: 'sk_test_mock', apiBase: pendingMock.apiBase }));
    const invoiceId = '00000000-0000-4000-8000-000000000001';
    const first = await gateway.charge({
      idempotencyKey: `${invoiceId}:1`,
      tenantId: tenant.id,
      invoiceId,
      amountMinor: 12_345n,
      currency: 'USD',
    });
    expect(first.outcome).toBe('pending');
    const [stored] = await h.ownerQuery<{ stripe_customer_id: string }>('SELECT stripe_customer_id FROM tenants WHERE id = $1', [
      tenant.id,
    ]);
    expect(stored!.stripe_customer_id).toMatch(/^cus_/);
    // The same attempt again (a retried activity): the same key, and no second customer.
    await gateway.charge({ idempotencyKey: `${invoiceId}:1`, tenantId: tenant.id, invoiceId, amountMinor: 12_345n, currency: 'USD' });
    const creates = pendingMock.requests.filter((r) => r.method === 'POST' && r.path === '/v1/customers');
    expect(creates.map((r) => r.idempotencyKey)).toEqual([`customer:${tenant.id}`]);
    const intents = pendingMock.requests.filter((r) => r.method === 'POST' && r.path === '/v1/payment_intents');
    expect(intents.map((r) => r.idempotencyKey)).toEqual([`${invoiceId}:1`, `${invoiceId}:1`]);
    const params = new URLSearchParams(intents[0]!.body);
    expect(
      Object.fromEntries(
        ['amount', 'currency', 'customer', 'confirm', 'off_session', 'metadata[idempotency_key]'].map((k) => [k, params.get(k)]),
      ),
    ).toEqual({
      amount: '12345',
      currency: 'usd',
      customer: stored!.stripe_customer_id,
      confirm: 'true',
      off_session: 'true',
      'metadata[idempotency_key]': `${invoiceId}:1`,
    });
  });

  it('reads stripe-mock’s stock PaymentIntent (requires_payment_method) as a decline, and refuses an amount a number cannot carry exactly', async () => {
    const tenant = await stripeTenant('declined');
    const gateway = createStripeGateway(h.db.pool, createStripeClient({ secretKey: 'sk_test_mock', apiBase: declineMock.apiBase }));
    const invoiceId = '00000000-0000-4000-8000-000000000002';
    const charged = await gateway.charge({
      idempotencyKey: `${invoiceId}:1`,
      tenantId: tenant.id,
      invoiceId,
      amountMinor: 500n,
      currency: 'EUR',
    });
    expect(charged).toMatchObject({ outcome: 'declined', reason: 'requires_payment_method' });
    await expect(
      gateway.charge({ idempotencyKey: `${invoiceId}:2`, tenantId: tenant.id, invoiceId, amountMinor: 2n ** 53n, currency: 'EUR' }),
    ).rejects.toThrow(RangeError);
  });
});

describe('POST /api/payments/stripe/webhook', () => {
  it('refuses a wrong secret, an altered body, a replayed (too old) timestamp and no signature with 400, recording nothing', async () => {
    const payload = eventPayload('payment_intent.succeeded', { id: 'pi_x', metadata: {} }, `evt_bad_${unique()}`);
    const sixMinutesAgo = Math.floor(Date.now() / 1000) - 360;
    const attempts = [
      await postEvent(payload, Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_not_ours' })),
      await postEvent(payload.replace('pi_x', 'pi_y'), Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET })),
      await postEvent(payload, Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET, timestamp: sixMinutesAgo })),
      await api.request.post('/api/payments/stripe/webhook').set('Content-Type', 'application/json').send(payload),
    ];
    expect(attempts.map((r) => [r.status, r.type, r.body.errors?.[0]?.field])).toEqual(
      Array.from({ length: 4 }, () => [400, 'application/problem+json', 'Stripe-Signature']),
    );
    expect(await h.ownerQuery('SELECT event_id FROM stripe_webhook_events WHERE event_id LIKE $1', ['evt_bad_%'])).toEqual([]);
  });

  it('acknowledges an event dunning does not listen to, and one for a PaymentIntent that is not ours, without signaling', async () => {
    const other = await postEvent(eventPayload('charge.refunded', { id: 'ch_1', metadata: {} }));
    const foreign = await postEvent(eventPayload('payment_intent.succeeded', { id: 'pi_foreign', metadata: { order: '7' } }));
    expect([other.status, other.body.signaled, foreign.status, foreign.body.signaled]).toEqual([200, false, 200, false]);
  });
});

describe('dunning with the Stripe gateway (time-skipping server)', () => {
  it('a pending charge, then a signed payment_intent.succeeded posted to the API: paid once; the same event again signals nothing', async () => {
    const { tenant, invoice, dunning } = await pendingInvoice('succeeds');
    const [attempt] = await attemptsOf(invoice.id);
    const payload = eventPayload('payment_intent.succeeded', intentOf(attempt!, tenant.id, invoice.id));
    // Two deliveries of one event at once, and one more later.
    const both = await Promise.all([postEvent(payload), postEvent(payload)]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect(both.map((r) => r.body.duplicate).sort()).toEqual([false, true]);
    expect((await dunning.result()) as DunningResult).toEqual({ invoiceId: invoice.id, outcome: 'paid', attempts: 1 });
    expect((await postEvent(payload)).body).toMatchObject({ duplicate: true, signaled: false });
    expect(await signalsOf(dunningWorkflowId(invoice.id))).toBe(1);
    expect((await attemptsOf(invoice.id)).map((a) => [a.attempt, a.status, a.idempotency_key])).toEqual([
      [1, 'succeeded', `${invoice.id}:1`],
    ]);
    expect(await h.ownerQuery('SELECT method, amount_minor, reference FROM payments WHERE invoice_id = $1', [invoice.id])).toEqual([
      { method: 'gateway', amount_minor: '12500', reference: attempt!.gateway_reference },
    ]);
    const [paid] = await h.invoicesOf(invoice.subscription_id);
    expect([paid!.status, paid!.amount_paid_minor]).toEqual(['paid', 12500n]);
  });

  it('a payment_failed webhook declines the attempt and the next one comes on day 3 with its own key', async () => {
    const { tenant, invoice, dunning } = await pendingInvoice('fails-once');
    const [first] = await attemptsOf(invoice.id);
    const failed = eventPayload('payment_intent.payment_failed', {
      ...intentOf(first!, tenant.id, invoice.id),
      last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds' },
    });
    expect((await postEvent(failed)).body).toMatchObject({ duplicate: false, signaled: true });
    await until(async () => (await attemptsOf(invoice.id))[0]?.status === 'declined');
    await env.sleep(new Date('2027-02-04T00:00:02Z').getTime() - (await env.currentTimeMs()));
    const second = await awaitingAttempt(invoice.id, 2);
    expect(second.idempotency_key).toBe(`${invoice.id}:2`);
    await postEvent(eventPayload('payment_intent.succeeded', intentOf(second, tenant.id, invoice.id)));
    expect((await dunning.result()) as DunningResult).toEqual({ invoiceId: invoice.id, outcome: 'paid', attempts: 2 });
    expect((await attemptsOf(invoice.id)).map((a) => [a.attempt, a.status, a.failure_reason])).toEqual([
      [1, 'declined', 'insufficient_funds'],
      [2, 'succeeded', null],
    ]);
  });

  it('without a webhook each pending charge times out, is canceled at Stripe and counts as a decline, until the invoice is uncollectible', async () => {
    const { invoice, dunning } = await pendingInvoice('never-answered');
    expect((await dunning.result()) as DunningResult).toEqual({ invoiceId: invoice.id, outcome: 'uncollectible', attempts: 2 });
    const attempts = await attemptsOf(invoice.id);
    expect(attempts.map((a) => [a.attempt, a.status, a.failure_reason])).toEqual([
      [1, 'declined', 'canceled: abandoned'],
      [2, 'declined', 'canceled: abandoned'],
    ]);
    const cancels = pendingMock.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/cancel'));
    expect(cancels.map((r) => r.idempotencyKey)).toEqual([`${invoice.id}:1:cancel`, `${invoice.id}:2:cancel`]);
  });
});
