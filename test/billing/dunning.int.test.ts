import { describe, expect, it } from 'vitest';
import { cents, useBillingScenarios } from '../harness/billing.ts';
import {
  dunningWorkflowId,
  paymentMethodUpdatedSignal,
  subscriptionStatusQuery,
  subscriptionWorkflowId,
} from '../../workflows/contract.ts';
import type { DunningResult } from '../../workflows/contract.ts';
import { createInvoicesService } from '../../api/invoices/invoices-service.ts';

// Payment collection: attempts on a schedule of workflow timers (days 0, 3, 5, 7 after issue)
// through the built-in deterministic gateway, scripted per tenant.

const s = useBillingScenarios();

const d = (iso: string) => new Date(iso);
const DAY = 86_400_000;

async function firstInvoice(tenantName: string, payments: { declineFirstAttempts: number }) {
  const tenant = await s.h.createTenant({ name: tenantName, taxRate: '0.25' });
  await s.h.setPayments(tenant.id, payments);
  const plan = await s.h.createPlan({
    code: `flat-${tenantName}`,
    name: 'Flat',
    currency: 'USD',
    interval: 'month',
    baseFee: '100',
    gracePeriodSeconds: 0,
    charges: [],
  });
  const sub = await s.h.subscriptions.create({ tenantId: tenant.id, planId: plan.id, startAt: d('2027-01-01T00:00:00Z') });
  await s.sleepUntil('2027-02-01T00:00:01Z');
  // The day-0 attempt runs once the invoice is issued; sleeping to the instant does not wait
  // for the activity to finish, so wait (in real time, the workflow clock stands still) for
  // its outcome to be recorded before reading the invoice.
  for (let i = 0; i < 200; i += 1) {
    const [first] = await s.h.ownerQuery<{ status: string }>(
      'SELECT a.status FROM payment_attempts a JOIN invoices i ON i.id = a.invoice_id WHERE i.subscription_id = $1 AND a.attempt = 1',
      [sub.id],
    );
    if (first && first.status !== 'pending') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const [invoice] = await s.h.invoicesOf(sub.id);
  return { tenant, sub, invoice: invoice!, dunning: s.env.client.workflow.getHandle(dunningWorkflowId(invoice!.id)) };
}

const attemptsOf = (invoiceId: string) =>
  s.h.ownerQuery<{ attempt: number; status: string; idempotency_key: string; amount_minor: string; completed_at: Date }>(
    'SELECT attempt, status, idempotency_key, amount_minor, completed_at FROM payment_attempts WHERE invoice_id = $1 ORDER BY attempt',
    [invoiceId],
  );

describe('dunning', () => {
  it('retries two declines on days 3 and 5, then collects once and marks the invoice paid', async () => {
    const { tenant, sub, invoice, dunning } = await firstInvoice('declines-twice', { declineFirstAttempts: 2 });
    // 100 + 25 % tax = 125.00, due on issue
    expect([invoice.status, cents(invoice.total_minor)]).toEqual(['payment_failed', '125.00']);
    const result = (await dunning.result()) as DunningResult;
    expect(result).toEqual({ invoiceId: invoice.id, outcome: 'paid', attempts: 3 });

    const attempts = await attemptsOf(invoice.id);
    expect(attempts.map((a) => [a.attempt, a.status, a.idempotency_key, a.amount_minor])).toEqual([
      [1, 'declined', `${invoice.id}:1`, '12500'],
      [2, 'declined', `${invoice.id}:2`, '12500'],
      [3, 'succeeded', `${invoice.id}:3`, '12500'],
    ]);
    const issued = invoice.issued_at!.getTime();
    // Attempts at the schedule's offsets from the start of dunning (≈ issue), in workflow time.
    expect(attempts.map((a) => Math.round((a.completed_at.getTime() - issued) / DAY))).toEqual([0, 3, 5]);
    const [paid] = await s.h.invoicesOf(sub.id);
    expect([paid!.status, paid!.amount_paid_minor]).toEqual(['paid', 12500n]);
    expect(Math.round((paid!.paid_at!.getTime() - issued) / DAY)).toBe(5);
    // The gateway was asked three times and charged once.
    const ledger = await s.h.ownerQuery<{ outcome: string }>(
      'SELECT outcome FROM builtin_gateway_charges WHERE tenant_id = $1 ORDER BY created_at',
      [tenant.id],
    );
    expect(ledger.map((r) => r.outcome)).toEqual(['declined', 'declined', 'succeeded']);
    expect(await s.h.ownerQuery('SELECT method, amount_minor FROM payments WHERE invoice_id = $1', [invoice.id])).toEqual([
      { method: 'gateway', amount_minor: '12500' },
    ]);
    expect((await s.env.client.workflow.getHandle(subscriptionWorkflowId(sub.id)).query(subscriptionStatusQuery)).state).toBe('active');
  });

  it('after the last declined attempt, the invoice is uncollectible and the subscription past due, until a manual payment', async () => {
    const { sub, invoice, dunning } = await firstInvoice('always-declines', { declineFirstAttempts: 100 });
    expect(await dunning.result()).toEqual({ invoiceId: invoice.id, outcome: 'uncollectible', attempts: 4 });
    const [after] = await s.h.invoicesOf(sub.id);
    expect(after!.status).toBe('uncollectible');
    const handle = s.env.client.workflow.getHandle(subscriptionWorkflowId(sub.id));
    // The signal reaches the subscription; its live status and then its read model say past_due.
    let state = '';
    for (let i = 0; i < 50 && state !== 'past_due'; i += 1) {
      state = (await handle.query(subscriptionStatusQuery)).state;
      if (state !== 'past_due') await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toBe('past_due');
    let row: { status: string }[] = [];
    for (let i = 0; i < 50 && row[0]?.status !== 'past_due'; i += 1) {
      row = await s.h.ownerQuery<{ status: string }>('SELECT status FROM subscriptions WHERE id = $1', [sub.id]);
      if (row[0]?.status !== 'past_due') await new Promise((r) => setTimeout(r, 100));
    }
    expect(row[0]?.status).toBe('past_due');
    expect((await attemptsOf(invoice.id)).map((a) => a.status)).toEqual(['declined', 'declined', 'declined', 'declined']);
    // An alert says so, once, for the invoice's tenant.
    const alerts = await s.h.ownerQuery<{ kind: string; severity: string; details: { invoiceId: string } }>(
      'SELECT kind, severity, details FROM alerts WHERE tenant_id = $1',
      [sub.tenantId],
    );
    expect(alerts).toEqual([
      { kind: 'invoice_uncollectible', severity: 'critical', details: expect.objectContaining({ invoiceId: invoice.id }) },
    ]);

    // Finance records the money received by wire: the invoice is paid, the subscription active again.
    const invoices = createInvoicesService({ pg: s.h.db.pool, clickhouse: s.h.ch.client, temporal: s.env.client });
    const paid = await invoices.recordPayment(invoice.id, { amount: '125.00', reference: 'wire 42', recordedBy: null, actor: 'finance' });
    expect(paid).toMatchObject({ status: 'paid', amountPaid: '125.00' });
    for (let i = 0; i < 50 && state !== 'active'; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await handle.query(subscriptionStatusQuery)).state;
    }
    expect(state).toBe('active');
  });

  it('retries at once when the payment method is updated', async () => {
    const { tenant, invoice, dunning } = await firstInvoice('updates-card', { declineFirstAttempts: 1 });
    await s.sleepUntil('2027-02-02T00:00:00Z');
    await s.h.setPayments(tenant.id, { declineFirstAttempts: 0 });
    await dunning.signal(paymentMethodUpdatedSignal);
    expect(await dunning.result()).toEqual({ invoiceId: invoice.id, outcome: 'paid', attempts: 2 });
    const attempts = await attemptsOf(invoice.id);
    expect(attempts.map((a) => a.status)).toEqual(['declined', 'succeeded']);
    // Day 1, not the scheduled day 3.
    expect(Math.round((attempts[1]!.completed_at.getTime() - invoice.issued_at!.getTime()) / DAY)).toBe(1);
  });
});
