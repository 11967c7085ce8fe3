import type { GatewayAnswer } from '../../domain/billing/payment-failure.ts';

// What a Stripe webhook event means for dunning: pure, unit-tested.

/** The events dunning listens to, and what each says of the PaymentIntent. */
export const STRIPE_PAYMENT_EVENTS = {
  'payment_intent.succeeded': 'succeeded',
  'payment_intent.payment_failed': 'declined',
  'payment_intent.requires_action': 'requires_action',
} as const satisfies Record<string, GatewayAnswer['outcome']>;

type EventFacts = {
  type: string;
  data: {
    object: {
      id?: string;
      metadata?: Record<string, string> | null;
      last_payment_error?: { code?: string | null; decline_code?: string | null } | null;
    };
  };
};

export type StripeEventRoute = { invoiceId: string; tenantId: string; answer: GatewayAnswer };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The dunning run an event is for and what to tell it; null for an event dunning does not listen
 * to, or a PaymentIntent that is not one of ours (the Stripe gateway's metadata names the
 * invoice, its tenant and the attempt's idempotency key).
 */
export function routeOfStripeEvent(event: EventFacts): StripeEventRoute | null {
  const outcome = (STRIPE_PAYMENT_EVENTS as Record<string, GatewayAnswer['outcome']>)[event.type];
  const intent = event.data.object;
  const invoiceId = intent.metadata?.invoice_id;
  const tenantId = intent.metadata?.tenant_id;
  const idempotencyKey = intent.metadata?.idempotency_key;
  if (!outcome || !intent.id || !invoiceId || !tenantId || !idempotencyKey) return null;
  if (!UUID.test(invoiceId) || !UUID.test(tenantId) || !idempotencyKey.startsWith(`${invoiceId}:`)) return null;
  const error = intent.last_payment_error;
  const reason = outcome === 'declined' ? (error?.decline_code ?? error?.code ?? 'payment_failed') : null;
  return { invoiceId, tenantId, answer: { idempotencyKey, reference: intent.id, outcome, reason } };
}
