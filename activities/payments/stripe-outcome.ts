import type { ChargeResult } from './gateway.ts';

// What a Stripe PaymentIntent's status means for an attempt, and how an amount in minor units
// becomes Stripe's integer amount. Pure: unit-tested without Stripe.

/** The fields of a PaymentIntent (or of a webhook event's object) that decide an outcome. */
export type PaymentIntentFacts = {
  id: string;
  status: string;
  last_payment_error?: { code?: string | null; decline_code?: string | null; message?: string | null } | null;
  cancellation_reason?: string | null;
};

/**
 * succeeded collects; processing (a bank debit), requires_action (3-D Secure or another step of
 * the customer) and requires_confirmation/requires_capture are not final: the webhook will say.
 * requires_payment_method after a confirmation is Stripe's way of saying the payment failed, and
 * canceled will never collect: both are declines.
 */
export function outcomeOfPaymentIntent(pi: PaymentIntentFacts): ChargeResult {
  switch (pi.status) {
    case 'succeeded':
      return { outcome: 'succeeded', reference: pi.id };
    case 'processing':
    case 'requires_action':
    case 'requires_confirmation':
    case 'requires_capture':
      return { outcome: 'pending', reference: pi.id };
    case 'canceled':
      return { outcome: 'declined', reference: pi.id, reason: `canceled${pi.cancellation_reason ? `: ${pi.cancellation_reason}` : ''}` };
    default:
      return { outcome: 'declined', reference: pi.id, reason: declineReason(pi.last_payment_error) ?? pi.status };
  }
}

/** The most specific reason Stripe gives for a failed payment: the issuer's decline code, else the error code. */
export function declineReason(error: PaymentIntentFacts['last_payment_error']): string | null {
  return error?.decline_code ?? error?.code ?? null;
}

/** Stripe's largest amount is 8 digits for most currencies; anything a JS number holds exactly is passed on and Stripe judges it. */
const LARGEST_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Minor units as Stripe's integer `amount` ("the smallest currency unit", which is the ISO 4217
 * minor unit for the currencies domain/money knows). Converted from the bigint, never through a
 * float computation; an amount beyond what a number holds exactly is refused, not rounded.
 */
export function stripeAmount(amountMinor: bigint): number {
  if (amountMinor <= 0n) throw new RangeError(`a Stripe charge must be positive, got ${amountMinor}`);
  if (amountMinor > LARGEST_EXACT) throw new RangeError(`${amountMinor} minor units is beyond what a Stripe amount can carry exactly`);
  return Number(amountMinor);
}
