/**
 * The failure type of a declined payment attempt, shared by the activity that raises it
 * (non-retryable) and the dunning workflow that schedules the next attempt.
 */
export const PAYMENT_DECLINED = 'PaymentDeclined';

/**
 * The failure type of an attempt whose gateway kept failing (timeouts, 5xx) through the activity's
 * own retries: the card was never asked, so the dunning workflow tries the same attempt again
 * later instead of counting it as a decline.
 */
export const GATEWAY_UNAVAILABLE = 'GatewayUnavailable';

/** Activity executions of one attempt that see a gateway error before the attempt is rescheduled. */
export const GATEWAY_TRIES_PER_ATTEMPT = 10;

/**
 * The failure type of an attempt the gateway answered pending (3-D Secure, a bank debit) for a
 * dunning run that cannot wait for webhooks (started before they existed): to it the attempt is
 * not answered yet, and it reconciles the attempt later.
 */
export const PAYMENT_PENDING = 'PaymentPending';

/**
 * What a payment provider's webhook said of a pending charge: the dunning workflow's signal,
 * sent by the API once the webhook's signature is verified. `requires_action`: the customer must
 * act (authenticate); the charge stays pending.
 */
export type GatewayAnswer = {
  /** The attempt's idempotency key, '<invoiceId>:<attempt>'. */
  idempotencyKey: string;
  /** The provider's id of the charge (a PaymentIntent id). */
  reference: string;
  outcome: 'succeeded' | 'declined' | 'requires_action';
  reason: string | null;
};

/** The idempotency key of an attempt: the same invoice and attempt number never charge twice. */
export const paymentIdempotencyKey = (invoiceId: string, attempt: number) => `${invoiceId}:${attempt}`;
