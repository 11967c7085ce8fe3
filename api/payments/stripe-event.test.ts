import { describe, expect, it } from 'vitest';
import { routeOfStripeEvent } from './stripe-event.ts';

const invoiceId = '00000000-0000-4000-8000-00000000000a';
const tenantId = '00000000-0000-4000-8000-00000000000b';
const metadata = { invoice_id: invoiceId, tenant_id: tenantId, idempotency_key: `${invoiceId}:2` };
const event = (type: string, object: object) => ({ type, data: { object } });

describe('which dunning run a Stripe event is for', () => {
  it('names the invoice and what the PaymentIntent came to', () => {
    expect(
      routeOfStripeEvent(event('payment_intent.payment_failed', { id: 'pi_1', metadata, last_payment_error: { code: 'card_declined' } })),
    ).toEqual({
      invoiceId,
      tenantId,
      answer: { idempotencyKey: `${invoiceId}:2`, reference: 'pi_1', outcome: 'declined', reason: 'card_declined' },
    });
    expect(routeOfStripeEvent(event('payment_intent.requires_action', { id: 'pi_1', metadata }))?.answer.outcome).toBe('requires_action');
  });

  it('ignores other events, foreign PaymentIntents and a key that is not of the named invoice', () => {
    expect(routeOfStripeEvent(event('charge.refunded', { id: 'ch_1', metadata }))).toBeNull();
    expect(routeOfStripeEvent(event('payment_intent.succeeded', { id: 'pi_1', metadata: {} }))).toBeNull();
    expect(
      routeOfStripeEvent(event('payment_intent.succeeded', { id: 'pi_1', metadata: { ...metadata, idempotency_key: 'other:1' } })),
    ).toBeNull();
    expect(routeOfStripeEvent(event('payment_intent.succeeded', { id: 'pi_1', metadata: { ...metadata, invoice_id: 'x' } }))).toBeNull();
  });
});
