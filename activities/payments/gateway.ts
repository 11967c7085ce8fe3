/** One charge request. The idempotency key is '<invoiceId>:<attempt>': a repeat is answered, not charged again. */
export type ChargeRequest = {
  idempotencyKey: string;
  tenantId: string;
  invoiceId: string;
  /** Integer minor units of `currency`. */
  amountMinor: bigint;
  currency: string;
};

/**
 * What a gateway answered. `pending`: the charge was taken but is not final (3-D Secure or
 * another customer action, a bank debit still processing); the provider tells its outcome later
 * by webhook, and `reference` is the provider's id of the charge (a Stripe PaymentIntent id).
 */
export type ChargeResult =
  | { outcome: 'succeeded'; reference: string }
  | { outcome: 'declined'; reference: string; reason: string }
  | { outcome: 'pending'; reference: string };
/** A final answer: what an attempt records. */
export type FinalChargeResult = Exclude<ChargeResult, { outcome: 'pending' }>;

/** Which charge a query is about: its key, and the provider's reference when one was answered. */
export type ChargeQuery = { tenantId: string; idempotencyKey: string; reference?: string | null };

/**
 * A payment provider. `charge` answers succeeded, declined (final for that attempt) or pending
 * (final later, by the provider's webhook); anything else it throws is transient and retried by
 * the activity's retry policy.
 * Implementations must honour the idempotency key: the same key never charges twice, and a
 * repeated key is answered with the first outcome.
 * `outcome` asks what became of a key without charging: the answer the gateway gave it, or null
 * when the gateway never received it. It reconciles an attempt whose answer was lost (the worker
 * died between the charge and its record), or a pending charge whose webhook did not come.
 * `cancel` gives up on a pending charge (its webhook did not come in time) so that it can no
 * longer collect: it answers declined once canceled, or the final outcome the charge reached
 * first. A gateway that never answers pending need not implement it.
 */
export interface PaymentGateway {
  readonly name: string;
  charge(request: ChargeRequest): Promise<ChargeResult>;
  outcome(query: ChargeQuery): Promise<ChargeResult | null>;
  cancel?(query: ChargeQuery & { reference: string }): Promise<ChargeResult>;
}

/** A failure worth retrying (timeouts, 5xx): thrown by gateways, retried by Temporal. */
export class TransientGatewayError extends Error {
  override name = 'TransientGatewayError';
}
