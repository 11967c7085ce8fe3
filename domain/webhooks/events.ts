/** Every event Meterplane sends to webhook endpoints. */
export const WEBHOOK_EVENT_TYPES = [
  'invoice.finalized',
  'invoice.paid',
  'invoice.voided',
  'invoice.payment_failed',
  'invoice.uncollectible',
  'subscription.created',
  'subscription.updated',
  'subscription.canceled',
  'alert.created',
  'credit.balance_low',
  'credit.depleted',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * An event as emitted. `id` must be deterministic for the fact it reports (for example
 * `invoice.finalized:<invoiceId>`), so that emitting it twice delivers it once.
 */
export type WebhookEvent = {
  id: string;
  type: WebhookEventType;
  tenantId: string | null;
  occurredAt: string;
  data: Record<string, unknown>;
};

/** The JSON body every endpoint receives (Standard Webhooks: type, timestamp, data). */
export function webhookPayload(event: WebhookEvent) {
  return { type: event.type, timestamp: event.occurredAt, data: { ...event.data, tenantId: event.tenantId } };
}

/** Exponential backoff for delivery retries: 5 s doubling up to 1 h, for at most 24 h. */
export const DELIVERY_RETRY = {
  initialInterval: '5 seconds',
  backoffCoefficient: 2,
  maximumInterval: '1 hour',
  giveUpAfter: '24 hours',
} as const;

/** The `alert.created` event of a new alert; its id is deterministic, so it is delivered once. */
export function alertCreatedEvent(alert: { id: string; tenantId: string; createdAt: string }): WebhookEvent {
  return { id: `alert.created:${alert.id}`, type: 'alert.created', tenantId: alert.tenantId, occurredAt: alert.createdAt, data: { alert } };
}

/** The credit event an alert kind also sends, besides alert.created (issue 17 §1). */
const CREDIT_EVENT_OF_KIND = { credit_low: 'credit.balance_low', credit_depleted: 'credit.depleted' } as const;

/**
 * `credit.balance_low` / `credit.depleted` of a credit alert, null for any other kind. Its id is
 * the alert's, and an alert is raised once per crossing, so each crossing is delivered once.
 */
export function creditAlertEvent(alert: { id: string; tenantId: string; createdAt: string; kind: string }): WebhookEvent | null {
  const type = CREDIT_EVENT_OF_KIND[alert.kind as keyof typeof CREDIT_EVENT_OF_KIND];
  if (type === undefined) return null;
  return { id: `${type}:${alert.id}`, type, tenantId: alert.tenantId, occurredAt: alert.createdAt, data: { alert } };
}

/** The `invoice.voided` event of a voided invoice (an invoice is voided once). */
export function invoiceVoidedEvent(invoice: {
  id: string;
  tenantId: string;
  subscriptionId: string;
  number: string | null;
  voidedAt: string;
}): WebhookEvent {
  return {
    id: `invoice.voided:${invoice.id}`,
    type: 'invoice.voided',
    tenantId: invoice.tenantId,
    occurredAt: invoice.voidedAt,
    data: { invoice: { invoiceId: invoice.id, subscriptionId: invoice.subscriptionId, number: invoice.number, status: 'void' } },
  };
}

/**
 * A subscription event. `subscription.created` and `subscription.canceled` happen once per
 * subscription; `subscription.updated` happens many times, so its id carries `seq`, which the
 * sender numbers deterministically.
 */
export function subscriptionEvent(
  type: 'subscription.created' | 'subscription.updated' | 'subscription.canceled',
  e: { tenantId: string; subscriptionId: string; seq: number; occurredAt: string; subscription: Record<string, unknown> },
): WebhookEvent {
  const id = type === 'subscription.updated' ? `${type}:${e.subscriptionId}:${e.seq}` : `${type}:${e.subscriptionId}`;
  return { id, type, tenantId: e.tenantId, occurredAt: e.occurredAt, data: { subscription: e.subscription } };
}

/**
 * An event of an invoice that is finalized, paid or uncollectible once: its id is the type and
 * the invoice's id, so a second emit of the same fact (a manual payment after a gateway success,
 * a retried step) is delivered once. `invoice` is sent as given.
 */
export function invoiceEvent(
  type: 'invoice.finalized' | 'invoice.paid' | 'invoice.uncollectible',
  e: { tenantId: string; occurredAt: string; invoice: { invoiceId: string } & Record<string, unknown> },
): WebhookEvent {
  return { id: `${type}:${e.invoice.invoiceId}`, type, tenantId: e.tenantId, occurredAt: e.occurredAt, data: { invoice: e.invoice } };
}

/** The `invoice.payment_failed` event of one declined attempt: one per attempt, so its id carries the attempt's number. */
export function paymentFailedEvent(e: {
  tenantId: string;
  occurredAt: string;
  invoice: { invoiceId: string; attempt: number } & Record<string, unknown>;
}): WebhookEvent {
  return {
    id: `invoice.payment_failed:${e.invoice.invoiceId}:${e.invoice.attempt}`,
    type: 'invoice.payment_failed',
    tenantId: e.tenantId,
    occurredAt: e.occurredAt,
    data: { invoice: e.invoice },
  };
}
