import { describe, expect, it } from 'vitest';
import { invoiceEvent, paymentFailedEvent, subscriptionEvent } from './events.ts';

// Event ids are how a second emit of the same fact is delivered once: they must not change,
// and the workflows' recorded outboxes hold them as written here.
describe('webhook event envelopes', () => {
  const at = '2027-03-01T10:00:00.000Z';

  it('a subscription is created and canceled once, updated many times (numbered)', () => {
    const subscription = { subscriptionId: 's1', state: 'active' };
    const e = { tenantId: 't1', subscriptionId: 's1', seq: 7, occurredAt: at, subscription };
    expect(subscriptionEvent('subscription.created', e)).toEqual({
      id: 'subscription.created:s1',
      type: 'subscription.created',
      tenantId: 't1',
      occurredAt: at,
      data: { subscription },
    });
    expect(subscriptionEvent('subscription.canceled', e).id).toBe('subscription.canceled:s1');
    expect(subscriptionEvent('subscription.updated', e).id).toBe('subscription.updated:s1:7');
    expect(subscriptionEvent('subscription.updated', { ...e, seq: 8 }).id).toBe('subscription.updated:s1:8');
  });

  it('an invoice event is keyed by type and invoice, and sends the invoice as given, in its order', () => {
    const invoice = { invoiceId: 'i1', subscriptionId: 's1', status: 'paid', attempt: null };
    const paid = invoiceEvent('invoice.paid', { tenantId: 't1', occurredAt: at, invoice });
    expect(paid).toEqual({ id: 'invoice.paid:i1', type: 'invoice.paid', tenantId: 't1', occurredAt: at, data: { invoice } });
    expect(JSON.stringify(paid)).toBe(
      `{"id":"invoice.paid:i1","type":"invoice.paid","tenantId":"t1","occurredAt":"${at}","data":{"invoice":{"invoiceId":"i1","subscriptionId":"s1","status":"paid","attempt":null}}}`,
    );
    expect(invoiceEvent('invoice.finalized', { tenantId: 't1', occurredAt: at, invoice }).id).toBe('invoice.finalized:i1');
    expect(invoiceEvent('invoice.uncollectible', { tenantId: 't1', occurredAt: at, invoice }).id).toBe('invoice.uncollectible:i1');
  });

  it('each declined attempt is its own payment_failed event', () => {
    const invoice = (attempt: number) => ({ invoiceId: 'i1', subscriptionId: 's1', status: 'payment_failed', attempt });
    const first = paymentFailedEvent({ tenantId: 't1', occurredAt: at, invoice: invoice(1) });
    expect(first).toEqual({
      id: 'invoice.payment_failed:i1:1',
      type: 'invoice.payment_failed',
      tenantId: 't1',
      occurredAt: at,
      data: { invoice: invoice(1) },
    });
    expect(paymentFailedEvent({ tenantId: 't1', occurredAt: at, invoice: invoice(2) }).id).toBe('invoice.payment_failed:i1:2');
  });
});
