/** One charge request. The idempotency key is '<invoiceId>:<attempt>': a repeat is answered, not charged again. */
export type ChargeRequest = {
  idempotencyKey: string;
  tenantId: string;
  invoiceId: string;
  /** Integer minor units of `currency`. */
  amountMinor: bigint;
  currency: string;
};

export type ChargeResult =
  | { outcome: 'succeeded'; reference: string }
  | { outcome: 'declined'; reference: string; reason: string };

/**
 * A payment provider. `charge` answers succeeded or declined (a decline is final for that
 * attempt); anything else it throws is transient and retried by the activity's retry policy.
 * Implementations must honour the idempotency key: the same key never charges twice.
 */
export interface PaymentGateway {
  readonly name: string;
  charge(request: ChargeRequest): Promise<ChargeResult>;
}

/** A failure worth retrying (timeouts, 5xx): thrown by gateways, retried by Temporal. */
export class TransientGatewayError extends Error {
  override name = 'TransientGatewayError';
}
