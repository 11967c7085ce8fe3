import { until } from '../harness/until.ts';
import { withWorkflowContract } from '../../cli/temporal/workflow-deps.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TestApi } from '../harness/api.ts';
import { expectResponseMatchesSpec } from '../harness/openapi-responses.ts';
import { startBillingApi, stopBillingApi, writeYearInvoice, type BillingHarness } from '../harness/billing.ts';
import { createSubscriptionsService } from '../../api/subscriptions/subscriptions-service.ts';
import { createActivities } from '../../activities/index.ts';
import { createBuiltinGateway } from '../../activities/payments/builtin-gateway.ts';
import { paymentIdempotencyKey } from '../../activities/payments/payment-activities.ts';
import { paymentsRepository } from '../../db/postgres/payments-repository.ts';
import { withTenant } from '../../db/postgres/tenant-scope.ts';
import { dunningWorkflowId } from '../../workflows/contract.ts';
import type { DunningResult } from '../../workflows/contract.ts';

// Money you can trust: a gateway charge held in flight (the built-in gateway's chargeDelayMs)
// against a manual payment, a void, another charge and a worker that died between the charge and
// its record; overpayments that become tenant credit and are applied to the next invoice once.
// Real PostgreSQL, ClickHouse, billing worker and the time-skipping server; the API over HTTP.

let env: TestWorkflowEnvironment;
let h: BillingHarness;
let api: TestApi;
const DAY = 86_400_000;
const finance = () => ({ Authorization: `Bearer ${api.tokens.finance}` });

beforeAll(async () => {
  ({ env, h, api } = await startBillingApi());
});
afterAll(async () => stopBillingApi({ env, h }));

type Attempt = { id: string; attempt: number; status: string; amount_minor: string };
const attemptsOf = (invoiceId: string) =>
  h.ownerQuery<Attempt>('SELECT id, attempt, status, amount_minor FROM payment_attempts WHERE invoice_id = $1 ORDER BY attempt', [
    invoiceId,
  ]);
const paymentsOf = (invoiceId: string) =>
  h.ownerQuery<{ method: string; amount_minor: string }>(
    'SELECT method, amount_minor FROM payments WHERE invoice_id = $1 ORDER BY received_at, id',
    [invoiceId],
  );
const gatewayChargesOf = (invoiceId: string) =>
  h.ownerQuery<{ idempotency_key: string; outcome: string; amount_minor: string }>(
    'SELECT idempotency_key, outcome, amount_minor FROM builtin_gateway_charges WHERE invoice_id = $1 ORDER BY created_at, idempotency_key',
    [invoiceId],
  );
const invoiceRow = async (invoiceId: string) =>
  (
    await h.ownerQuery<{ status: string; total_minor: string; amount_paid_minor: string; credit_applied_minor: string }>(
      'SELECT status, total_minor, amount_paid_minor, credit_applied_minor FROM invoices WHERE id = $1',
      [invoiceId],
    )
  )[0]!;
const pendingAttempt = (invoiceId: string) =>
  until(`a pending attempt of ${invoiceId}`, async () => (await attemptsOf(invoiceId)).find((a) => a.status === 'pending'));

const pay = (invoiceId: string, body: object) => api.request.post(`/api/invoices/${invoiceId}/payments`).set(finance()).send(body);
const voidInvoice = (invoiceId: string) => api.request.post(`/api/invoices/${invoiceId}/void`).set(finance());

/**
 * A tenant (tax 25 %) on a plan of 99.99 per `interval`, started so that its first period has
 * ended: that invoice (124.99) is issued at once and its day-0 charge starts.
 */
async function issued(
  name: string,
  settings: { declineFirstAttempts?: number; transientFailuresPerAttempt?: number; chargeDelayMs?: number },
  interval: 'day' | 'year' = 'year',
  dunningScheduleDays?: number[],
) {
  const tenant = await h.createTenant({ name, taxRate: '0.25' });
  const put = await api.request.put(`/api/tenants/${tenant.id}/payment-settings`).set(finance()).send(settings);
  expect(put.status).toBe(200);
  const plan = await h.createPlan({
    code: `p-${name}`,
    name,
    currency: 'USD',
    interval,
    baseFee: '99.99',
    gracePeriodSeconds: 0,
    charges: [],
  });
  const now = await env.currentTimeMs();
  const startAt = new Date(now - (interval === 'year' ? 400 : 1.5) * DAY);
  const subscriptions = dunningScheduleDays
    ? createSubscriptionsService({ pg: h.db.pool, temporal: env.client, searchAttributes: false, dunningScheduleDays })
    : h.subscriptions;
  const sub = await subscriptions.create({ tenantId: tenant.id, planId: plan.id, startAt }, new Date(now));
  const invoice = await until('the first invoice to be finalized', async () =>
    (await h.invoicesOf(sub.id)).find((i) => i.status !== 'draft'),
  );
  expect(invoice.total_minor).toBe(12_499n);
  return { tenant, plan, sub, invoice, dunning: env.client.workflow.getHandle(dunningWorkflowId(invoice.id)) };
}

describe('a manual payment while the day-0 charge is in flight', () => {
  it('is refused with 409 naming the attempt; the charge then pays the invoice once', async () => {
    const { invoice, dunning } = await issued('manual-during-charge', { chargeDelayMs: 4000 });
    const pending = await pendingAttempt(invoice.id);

    const refused = await pay(invoice.id, { amount: '124.99', reference: 'wire 1' });
    expectResponseMatchesSpec('POST', `/api/invoices/${invoice.id}/payments`, refused);
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body.pendingAttemptId).toBe(pending.id);
    // Not even as credit: while the charge is in flight, nothing but its outcome changes the invoice.
    expect((await pay(invoice.id, { amount: '124.99', reference: 'wire 1', overpayment: 'credit' })).body.pendingAttemptId).toBe(
      pending.id,
    );

    expect((await dunning.result()) as DunningResult).toEqual({ invoiceId: invoice.id, outcome: 'paid', attempts: 1 });
    expect(await invoiceRow(invoice.id)).toMatchObject({ status: 'paid', amount_paid_minor: '12499' });
    expect((await attemptsOf(invoice.id)).map((a) => [a.attempt, a.status])).toEqual([[1, 'succeeded']]);
    expect(await paymentsOf(invoice.id)).toEqual([{ method: 'gateway', amount_minor: '12499' }]);
    expect(await gatewayChargesOf(invoice.id)).toEqual([
      { idempotency_key: paymentIdempotencyKey(invoice.id, 1), outcome: 'succeeded', amount_minor: '12499' },
    ]);

    // Afterwards the invoice is paid: a second collection is refused, not recorded.
    const late = await pay(invoice.id, { amount: '124.99', reference: 'wire 1' });
    expectResponseMatchesSpec('POST', `/api/invoices/${invoice.id}/payments`, late);
    expect(late.status).toBe(409);
    expect(late.body.pendingAttemptId).toBeUndefined();
    expect(late.body.detail).toMatch(/already paid/);
    expect(await paymentsOf(invoice.id)).toHaveLength(1);
  });
});

describe('a void while the day-0 charge is in flight', () => {
  it('is refused with 409; the charge succeeds, and the paid invoice can no longer be voided', async () => {
    const { invoice, dunning } = await issued('void-during-success', { chargeDelayMs: 4000 });
    const pending = await pendingAttempt(invoice.id);
    const refused = await voidInvoice(invoice.id);
    expectResponseMatchesSpec('POST', `/api/invoices/${invoice.id}/void`, refused);
    expect([refused.status, refused.body.pendingAttemptId]).toEqual([409, pending.id]);

    expect(await dunning.result()).toMatchObject({ outcome: 'paid' });
    expect((await voidInvoice(invoice.id)).status).toBe(409);
    expect(await invoiceRow(invoice.id)).toMatchObject({ status: 'paid', amount_paid_minor: '12499' });
    expect(await paymentsOf(invoice.id)).toEqual([{ method: 'gateway', amount_minor: '12499' }]);
  });

  it('is refused with 409; once the charge is declined the void wins, and the void invoice is never paid', async () => {
    const { invoice, dunning } = await issued('void-after-decline', { chargeDelayMs: 4000, declineFirstAttempts: 1 });
    const pending = await pendingAttempt(invoice.id);
    expect((await voidInvoice(invoice.id)).body.pendingAttemptId).toBe(pending.id);

    await until('the attempt to be declined', async () => (await attemptsOf(invoice.id))[0]?.status === 'declined');
    const voided = await voidInvoice(invoice.id);
    expectResponseMatchesSpec('POST', `/api/invoices/${invoice.id}/void`, voided);
    expect(voided.body).toMatchObject({ status: 'void', amountPaid: '0.00' });
    expect(await dunning.result()).toMatchObject({ outcome: 'stopped', attempts: 1 });

    // The next scheduled attempt would have succeeded (one decline only); it never ran.
    expect((await pay(invoice.id, { amount: '124.99', reference: 'late wire' })).status).toBe(409);
    expect(await invoiceRow(invoice.id)).toMatchObject({ status: 'void', amount_paid_minor: '0' });
    expect((await attemptsOf(invoice.id)).map((a) => a.status)).toEqual(['declined']);
    expect(await paymentsOf(invoice.id)).toEqual([]);
    expect((await gatewayChargesOf(invoice.id)).map((c) => c.outcome)).toEqual(['declined']);
  });
});

describe('two manual payments at once', () => {
  async function openAfterDecline(name: string) {
    const issuedInvoice = await issued(name, { declineFirstAttempts: 100 });
    await until('the first attempt to be declined', async () => (await invoiceRow(issuedInvoice.invoice.id)).status === 'payment_failed');
    return issuedInvoice;
  }

  it('for the full amount: one wins, the other is 409; paid once', async () => {
    const { invoice } = await openAfterDecline('two-payments');
    const answers = await Promise.all([
      pay(invoice.id, { amount: '124.99', reference: 'wire a' }),
      pay(invoice.id, { amount: '124.99', reference: 'wire b' }),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(answers.find((r) => r.status === 409)!.body.detail).toMatch(/already paid/);
    expect(await invoiceRow(invoice.id)).toMatchObject({ status: 'paid', amount_paid_minor: '12499' });
    expect(await paymentsOf(invoice.id)).toEqual([{ method: 'manual', amount_minor: '12499' }]);
  });

  it('both kept as credit when asked: the invoice is paid once and the second payment is credit, to the cent', async () => {
    const { tenant, invoice } = await openAfterDecline('two-payments-credit');
    const answers = await Promise.all([
      pay(invoice.id, { amount: '124.99', reference: 'wire a', overpayment: 'credit' }),
      pay(invoice.id, { amount: '124.99', reference: 'wire b', overpayment: 'credit' }),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(await invoiceRow(invoice.id)).toMatchObject({ status: 'paid', amount_paid_minor: '12499' });
    expect(await paymentsOf(invoice.id)).toEqual([
      { method: 'manual', amount_minor: '12499' },
      { method: 'manual', amount_minor: '12499' },
    ]);
    const ledger = await api.request.get(`/api/tenants/${tenant.id}/credit-ledger`).set(finance());
    expectResponseMatchesSpec('GET', `/api/tenants/${tenant.id}/credit-ledger`, ledger);
    expect(ledger.body.items).toEqual([expect.objectContaining({ kind: 'overpayment', amount: '124.99', balanceAfter: '124.99' })]);
    const grants = await h.ownerQuery<{ invoice_id: string; payment_id: string | null }>(
      'SELECT invoice_id, payment_id FROM credit_grants WHERE tenant_id = $1',
      [tenant.id],
    );
    expect(grants).toEqual([{ invoice_id: invoice.id, payment_id: expect.any(String) }]);
  });

  it('two voids at once: one wins, the other is 409', async () => {
    const { invoice } = await openAfterDecline('two-voids');
    const answers = await Promise.all([voidInvoice(invoice.id), voidInvoice(invoice.id)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(await invoiceRow(invoice.id)).toMatchObject({ status: 'void' });
  });
});

describe('two charges of one invoice at once, the first held in flight', () => {
  it('charge the gateway once: the second reconciles the pending attempt instead of starting its own', async () => {
    const { tenant, invoice } = await issued('two-charges', { declineFirstAttempts: 100 });
    await until('the first attempt to be declined', async () => (await invoiceRow(invoice.id)).status === 'payment_failed');
    await h.setPayments(tenant.id, { declineFirstAttempts: 0, chargeDelayMs: 1500 });
    const activities = createActivities(withWorkflowContract({ pg: h.db.pool, clickhouse: h.ch.client }));
    const at = new Date(await env.currentTimeMs()).toISOString();
    const [a, b] = await Promise.all([
      activities.collectPayment({ invoiceId: invoice.id, tenantId: tenant.id, attempt: 7, at }),
      activities.collectPayment({ invoiceId: invoice.id, tenantId: tenant.id, attempt: 8, at }),
    ]);
    expect([a.invoiceStatus, b.invoiceStatus]).toEqual(['paid', 'paid']);
    expect((await gatewayChargesOf(invoice.id)).filter((c) => c.outcome === 'succeeded')).toHaveLength(1);
    expect((await attemptsOf(invoice.id)).filter((x) => x.status === 'succeeded')).toHaveLength(1);
    expect(await paymentsOf(invoice.id)).toEqual([{ method: 'gateway', amount_minor: '12499' }]);
  });
});

describe('a worker that died between the gateway charge and its record', () => {
  /** The state such a worker leaves: the attempt pending, the gateway's charge made. */
  async function chargedButNotRecorded(name: string, attempt: number) {
    const issuedInvoice = await issued(name, { declineFirstAttempts: 100 });
    const { tenant, invoice } = issuedInvoice;
    await until('the first attempt to be declined', async () => (await invoiceRow(invoice.id)).status === 'payment_failed');
    await h.setPayments(tenant.id, { declineFirstAttempts: 0 });
    const key = paymentIdempotencyKey(invoice.id, attempt);
    await withTenant(h.db.pool, tenant.id, (tx) =>
      paymentsRepository.insertPendingAttempt(tx, {
        tenantId: tenant.id,
        invoiceId: invoice.id,
        attempt,
        idempotencyKey: key,
        gateway: 'builtin',
        amountMinor: 12_499n,
      }),
    );
    expect(
      await createBuiltinGateway(h.db.pool).charge({
        idempotencyKey: key,
        tenantId: tenant.id,
        invoiceId: invoice.id,
        amountMinor: 12_499n,
        currency: 'USD',
      }),
    ).toMatchObject({ outcome: 'succeeded' });
    return issuedInvoice;
  }

  it('the next attempt reconciles the pending one by its key and charges nothing new', async () => {
    const { tenant, invoice } = await chargedButNotRecorded('reconcile-next-attempt', 2);
    const activities = createActivities(withWorkflowContract({ pg: h.db.pool, clickhouse: h.ch.client }));
    const result = await activities.collectPayment({
      invoiceId: invoice.id,
      tenantId: tenant.id,
      attempt: 3,
      at: new Date(await env.currentTimeMs()).toISOString(),
    });
    expect(result).toEqual({ outcome: 'succeeded', invoiceStatus: 'paid', attempt: 3 });
    expect((await gatewayChargesOf(invoice.id)).map((c) => [c.idempotency_key, c.outcome])).toEqual([
      [paymentIdempotencyKey(invoice.id, 1), 'declined'],
      [paymentIdempotencyKey(invoice.id, 2), 'succeeded'],
    ]);
    expect((await attemptsOf(invoice.id)).map((a) => [a.attempt, a.status])).toEqual([
      [1, 'declined'],
      [2, 'succeeded'],
    ]);
    expect(await paymentsOf(invoice.id)).toEqual([{ method: 'gateway', amount_minor: '12499' }]);
  });

  it('blocks manual payments and voids until then, naming the attempt', async () => {
    const { invoice } = await chargedButNotRecorded('reconcile-blocks', 2);
    const pending = (await attemptsOf(invoice.id)).find((a) => a.status === 'pending')!;
    expect((await pay(invoice.id, { amount: '124.99', reference: 'wire' })).body.pendingAttemptId).toBe(pending.id);
    expect((await voidInvoice(invoice.id)).body.pendingAttemptId).toBe(pending.id);
    expect(await paymentsOf(invoice.id)).toEqual([]);
  });

  it('the end of dunning reconciles it too: the invoice is paid, not uncollectible, and no alert is raised', async () => {
    const { tenant, invoice } = await chargedButNotRecorded('reconcile-at-uncollectible', 4);
    const activities = createActivities(withWorkflowContract({ pg: h.db.pool, clickhouse: h.ch.client }));
    expect(await activities.markInvoiceUncollectible({ invoiceId: invoice.id, tenantId: tenant.id })).toEqual({ invoiceStatus: 'paid' });
    expect(await invoiceRow(invoice.id)).toMatchObject({ status: 'paid', amount_paid_minor: '12499' });
    expect((await gatewayChargesOf(invoice.id)).filter((c) => c.outcome === 'succeeded')).toHaveLength(1);
    expect(await h.ownerQuery('SELECT id FROM alerts WHERE tenant_id = $1', [tenant.id])).toEqual([]);
  });

  it('dunning whose last attempt never got an answer (gateway down) ends paid, not uncollectible, once the charge is reconciled', async () => {
    // Each charge request fails transiently 10 times: the activity's 10 tries all fail, the only
    // attempt (schedule [0]) stays pending, and the end of dunning reconciles it by its key.
    const { invoice, dunning } = await issued('gateway-down', { transientFailuresPerAttempt: 10 }, 'year', [0]);
    expect(invoice.status).not.toBe('paid');
    await pendingAttempt(invoice.id);
    expect((await dunning.result()) as DunningResult).toEqual({ invoiceId: invoice.id, outcome: 'paid', attempts: 1 });
    expect(await invoiceRow(invoice.id)).toMatchObject({ status: 'paid', amount_paid_minor: '12499' });
    expect((await attemptsOf(invoice.id)).map((a) => [a.attempt, a.status])).toEqual([[1, 'succeeded']]);
    expect(await gatewayChargesOf(invoice.id)).toHaveLength(1);
  });
});

describe('overpayment becomes tenant credit, applied to the next invoice after tax', () => {
  it('a wire recorded on an invoice the card already paid: 409, or credit when asked; the next invoice takes it to the cent', async () => {
    const { tenant, sub, invoice } = await issued('overpaid', {}, 'day');
    await until('the card to pay the first invoice', async () => (await invoiceRow(invoice.id)).status === 'paid');

    expect((await pay(invoice.id, { amount: '30.07', reference: 'wire' })).status).toBe(409);
    const kept = await pay(invoice.id, { amount: '30.07', reference: 'wire', overpayment: 'credit' });
    expectResponseMatchesSpec('POST', `/api/invoices/${invoice.id}/payments`, kept);
    expect(kept.body).toMatchObject({ status: 'paid', amountPaid: '124.99', amountDue: '124.99', creditApplied: '0.00' });
    expect((await api.request.get(`/api/tenants/${tenant.id}/credit-balance`).set(finance())).body).toMatchObject({
      currency: 'USD',
      remaining: '30.07',
    });
    // Another tenant's customer does not see it.
    const other = await api.request.get(`/api/tenants/${tenant.id}/credit-ledger`).set({ Authorization: `Bearer ${api.tokens.customerB}` });
    expect(other.status).toBe(404);

    // The next daily period ends: 99.99 + tax 25.00 (24.9975 rounded half-up) = 124.99, less 30.07 credit.
    await env.sleep(DAY / 2 + 1000);
    const second = await until(
      'the second invoice to be paid',
      async () => {
        const found = (await h.invoicesOf(sub.id)).find((i) => i.id !== invoice.id && i.status === 'paid');
        return found;
      },
      60_000,
      100,
    );
    const res = await api.request.get(`/api/invoices/${second.id}`).set(finance());
    expectResponseMatchesSpec('GET', `/api/invoices/${second.id}`, res);
    const json = res.body;
    expect(json).toMatchObject({
      subtotal: '99.99',
      tax: '25.00',
      total: '124.99',
      creditApplied: '30.07',
      amountDue: '94.92',
      amountPaid: '94.92',
      status: 'paid',
    });
    expect(json.lines.map((l: { type: string; amount: string }) => [l.type, l.amount])).toEqual([
      ['base_fee', '99.99'],
      ['credit', '-30.07'],
    ]);
    // Dunning collected the amount due, not the total.
    expect((await attemptsOf(second.id)).map((a) => [a.status, a.amount_minor])).toEqual([['succeeded', '9492']]);
    expect((await gatewayChargesOf(second.id)).map((c) => c.amount_minor)).toEqual(['9492']);
    expect(await paymentsOf(second.id)).toEqual([{ method: 'gateway', amount_minor: '9492' }]);

    const balance = (await api.request.get(`/api/tenants/${tenant.id}/credit-balance`).set(finance())).body;
    expect(balance).toMatchObject({ granted: '30.07', consumed: '30.07', remaining: '0.00' });
    const ledger = (await api.request.get(`/api/tenants/${tenant.id}/credit-ledger`).set(finance())).body;
    // The overpayment opens a grant; the second invoice's base-fee line burns all of it.
    expect(ledger.items.map((e: { kind: string; amount: string; invoiceId?: string }) => [e.kind, e.amount, e.invoiceId])).toEqual([
      ['overpayment', '30.07', undefined],
      ['burn', '-30.07', second.id],
    ]);
    expect(ledger.items.at(-1).balanceAfter).toBe('0.00');
    expect(ledger.items[1].lineId).toBe(
      (await h.ownerQuery<{ id: string }>("SELECT id FROM invoice_lines WHERE invoice_id = $1 AND type = 'base_fee'", [second.id]))[0]!.id,
    );
  });

  it('is applied exactly once when finalization runs twice at once and again later (a retried activity)', async () => {
    const { tenant, plan, sub, invoice } = await issued('credit-once', {}, 'year');
    await until('the card to pay the first invoice', async () => (await invoiceRow(invoice.id)).status === 'paid');
    expect((await pay(invoice.id, { amount: '10.01', reference: 'wire', overpayment: 'credit' })).status).toBe(200);

    // A draft of another window of the same subscription, finalized by three activity runs.
    const activities = createActivities(withWorkflowContract({ pg: h.db.pool, clickhouse: h.ch.client }));
    const draftId = await writeYearInvoice(activities, { tenantId: tenant.id, subscriptionId: sub.id, plan, year: 2001 });
    const issuedAt = new Date(await env.currentTimeMs()).toISOString();
    const finalize = () => activities.finalizeInvoice({ invoiceId: draftId, tenantId: tenant.id, issuedAt });
    const runs = await Promise.all([finalize(), finalize()]);
    runs.push(await finalize());
    expect(new Set(runs.map((r) => r.number)).size).toBe(1);

    expect(await invoiceRow(draftId)).toMatchObject({ status: 'finalized', total_minor: '12499', credit_applied_minor: '1001' });
    const lines = await h.ownerQuery<{ type: string; amount_minor: string }>(
      'SELECT type, amount_minor FROM invoice_lines WHERE invoice_id = $1 ORDER BY position',
      [draftId],
    );
    expect(lines).toEqual([
      { type: 'base_fee', amount_minor: '9999' },
      { type: 'credit', amount_minor: '-1001' },
    ]);
    expect(await h.ownerQuery('SELECT sum(amount_minor)::text AS s FROM credit_ledger_entries WHERE tenant_id = $1', [tenant.id])).toEqual([
      { s: '0' },
    ]);
    expect(
      await h.ownerQuery("SELECT count(*)::int AS n FROM credit_ledger_entries WHERE tenant_id = $1 AND kind = 'burn'", [tenant.id]),
    ).toEqual([{ n: 1 }]);
  });

  it('what was paid on an invoice that is then voided becomes credit', async () => {
    const { tenant, invoice } = await issued('voided-after-partial', { declineFirstAttempts: 100 });
    await until('the first attempt to be declined', async () => (await invoiceRow(invoice.id)).status === 'payment_failed');
    expect((await pay(invoice.id, { amount: '50.00', reference: 'part' })).body).toMatchObject({
      status: 'payment_failed',
      amountPaid: '50.00',
    });
    expect((await voidInvoice(invoice.id)).body).toMatchObject({ status: 'void' });
    expect((await api.request.get(`/api/tenants/${tenant.id}/credit-balance`).set(finance())).body).toMatchObject({ remaining: '50.00' });
    const ledger = (await api.request.get(`/api/tenants/${tenant.id}/credit-ledger`).set(finance())).body;
    expect(ledger.items).toEqual([expect.objectContaining({ kind: 'overpayment', amount: '50.00', balanceAfter: '50.00' })]);
    const [grant] = await h.ownerQuery<{ invoice_id: string }>('SELECT invoice_id FROM credit_grants WHERE tenant_id = $1', [tenant.id]);
    expect(grant!.invoice_id).toBe(invoice.id);
  });
});

describe('the test hook and the overpayment switch refuse bad input, naming the field', () => {
  it('chargeDelayMs is a whole number of ms from 0 to 60000; overpayment is refuse or credit', async () => {
    const tenantId = api.tenants.b.id;
    const put = (body: object) => api.request.put(`/api/tenants/${tenantId}/payment-settings`).set(finance()).send(body);
    for (const chargeDelayMs of [-1, 60_001, 1.5, '100', null]) {
      const res = await put({ chargeDelayMs });
      expectResponseMatchesSpec('PUT', `/api/tenants/${tenantId}/payment-settings`, res);
      expect([res.status, res.body.errors?.[0]?.field]).toEqual([400, 'chargeDelayMs']);
    }
    const largest = await put({ chargeDelayMs: 60_000 });
    expect(largest.body).toMatchObject({ chargeDelayMs: 60_000 });
    expect(
      (await api.request.get(`/api/tenants/${tenantId}/payment-settings`).set({ Authorization: `Bearer ${api.tokens.customerB}` })).body
        .chargeDelayMs,
    ).toBe(60_000);
    expect((await put({})).body.chargeDelayMs).toBe(0);

    const { invoice } = await issued('bad-overpayment', { declineFirstAttempts: 100 });
    await until('the first attempt to be declined', async () => (await invoiceRow(invoice.id)).status === 'payment_failed');
    const bad = await pay(invoice.id, { amount: '1.00', reference: 'x', overpayment: 'keep' });
    expect([bad.status, bad.body.errors?.[0]?.field]).toEqual([400, 'overpayment']);
    const tooMuch = await pay(invoice.id, { amount: '124.999', reference: 'x', overpayment: 'credit' });
    expect([tooMuch.status, tooMuch.body.errors?.[0]?.field]).toEqual([400, 'amount']);
    expect(await paymentsOf(invoice.id)).toEqual([]);
  });
});
