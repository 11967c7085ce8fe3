/** One charge request. The idempotency key is '<invoiceId>:<attempt>': a repeat is answered, not charged again. */
export type ChargeRequest = {
  idempotencyKey: string;
  tenantId: string;
  invoiceId: string;
  /** Integer minor units of `currency`. */
  amountMinor: bigint;
  currency: string;
};

export type ChargeResult = { outcome: 'succeeded'; reference: string } | { outcome: 'declined'; reference: string; reason: string };

/**
 * A payment provider. `charge` answers succeeded or declined (a decline is final for that
 * attempt); anything else it throws is transient and retried by the activity's retry policy.
 * Implementations must honour the idempotency key: the same key never charges twice, and a
 * repeated key is answered with the first outcome.
 * `outcome` asks what became of a key without charging: the answer the gateway gave it, or null
 * when the gateway never received it. It reconciles an attempt whose answer was lost (the worker
 * died between the charge and its record).
 */
export interface PaymentGateway {
  readonly name: string;
  charge(request: ChargeRequest): Promise<ChargeResult>;
  outcome(query: { tenantId: string; idempotencyKey: string }): Promise<ChargeResult | null>;
}

/** A failure worth retrying (timeouts, 5xx): thrown by gateways, retried by Temporal. */
export class TransientGatewayError extends Error {
  override name = 'TransientGatewayError';
}
