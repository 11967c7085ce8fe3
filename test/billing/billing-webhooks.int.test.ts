import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { timeSkippingEnvironment } from '../harness/temporal.ts';
import { createBillingHarness, type BillingHarness } from '../harness/billing.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../harness/webhook-receiver.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { webhooksRepository } from '../../db/postgres/webhooks-repository.ts';
import { cancelUpdate, dunningWorkflowId, subscriptionWorkflowId } from '../../workflows/contract.ts';

// The billing loop's webhooks reach a real HTTP receiver, signed per Standard Webhooks and
// verified with the reference library.

let env: TestWorkflowEnvironment;
let h: BillingHarness;
let receiver: WebhookReceiver;
const secret = `whsec_${randomBytes(32).toString('base64')}`;

beforeAll(async () => {
  env = await timeSkippingEnvironment();
  h = await createBillingHarness({ dunningScheduleDays: [0, 3] });
  await h.attach(env);
  receiver = await startWebhookReceiver({ path: '/billing' });
  await withOperator(h.db.pool, (tx) => webhooksRepository.insertEndpoint(tx, { url: receiver.url, events: ['*'], secret }));
});
afterAll(async () => {
  await h?.dispose();
  await env?.teardown();
  await receiver?.close();
});

const d = (iso: string) => new Date(iso);

describe('billing webhooks', () => {
  it('sends subscription and invoice events, each signed and verifiable, each once', async () => {
    const tenant = await h.createTenant({ name: 'Hooks' });
    await h.setPayments(tenant.id, { declineFirstAttempts: 1 });
    const plan = await h.createPlan({
      code: 'hooks',
      name: 'Hooks',
      currency: 'USD',
      interval: 'month',
      baseFee: '10',
      gracePeriodSeconds: 0,
      charges: [],
    });
    const sub = await h.subscriptions.create({ tenantId: tenant.id, planId: plan.id, startAt: d('2027-01-01T00:00:00Z') });
    const handle = env.client.workflow.getHandle(subscriptionWorkflowId(sub.id));

    // Period 1 closes on Feb 1; attempt 1 is declined, attempt 2 (day 3) succeeds.
    await env.sleep(d('2027-02-01T00:01:00Z').getTime() - (await env.currentTimeMs()));
    const [invoice] = await h.invoicesOf(sub.id);
    await env.client.workflow.getHandle(dunningWorkflowId(invoice!.id)).result();
    await handle.executeUpdate(cancelUpdate, { args: [{ at: 'period_end' }] });
    await handle.result();

    const wanted = [
      'subscription.created',
      'invoice.finalized',
      'invoice.payment_failed',
      'invoice.paid',
      'subscription.updated',
      'subscription.canceled',
    ];
    for (let i = 0; i < 100 && receiver.received.length < wanted.length + 3; i += 1) await new Promise((r) => setTimeout(r, 100));

    const verifier = new Webhook(secret);
    const events = receiver.received.map((r) => ({
      id: r.headers['webhook-id'] as string,
      payload: verifier.verify(r.body, r.headers as Record<string, string>) as { type: string; data: Record<string, unknown> },
    }));
    // Each webhook-id once: no duplicate deliveries.
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    const types = events.map((e) => e.payload.type);
    for (const type of wanted) expect(types).toContain(type);
    // Two invoices (February's period and the final one in March), each finalized and paid.
    expect(types.filter((t) => t === 'invoice.finalized')).toHaveLength(2);
    expect(types.filter((t) => t === 'invoice.paid')).toHaveLength(2);
    const finalized = events.find(
      (e) => e.payload.type === 'invoice.finalized' && (e.payload.data.invoice as { invoiceId: string }).invoiceId === invoice!.id,
    )!;
    expect(finalized.payload.data).toMatchObject({
      tenantId: tenant.id,
      invoice: {
        invoiceId: invoice!.id,
        subscriptionId: sub.id,
        status: 'finalized',
        total: '10.00',
        currency: 'USD',
        number: invoice!.number,
      },
    });
    const failed = events.find((e) => e.payload.type === 'invoice.payment_failed')!;
    expect(failed.payload.data).toMatchObject({ invoice: { invoiceId: invoice!.id, attempt: 1, status: 'payment_failed' } });
    const canceled = events.find((e) => e.payload.type === 'subscription.canceled')!;
    expect(canceled.payload.data).toMatchObject({ subscription: { subscriptionId: sub.id, state: 'canceled' } });
    // A tampered body does not verify.
    const first = receiver.received[0]!;
    expect(() => verifier.verify(first.body.replace('"type"', '"typ"'), first.headers as Record<string, string>)).toThrow();
  });
});
