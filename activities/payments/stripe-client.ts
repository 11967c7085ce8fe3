import Stripe from 'stripe';

export type StripeSettings = {
  secretKey: string;
  /** Another API base than api.stripe.com (stripe-mock in tests): the SDK takes protocol, host and port. */
  apiBase?: string | undefined;
};

/**
 * The Stripe client of the gateway. The SDK retries network errors and 5xx itself, twice, with
 * the same idempotency key, before the activity's own retry policy sees a failure.
 */
export function createStripeClient(s: StripeSettings): Stripe {
  const base = s.apiBase ? new URL(s.apiBase) : null;
  return new Stripe(s.secretKey, {
    maxNetworkRetries: 2,
    timeout: 20_000,
    ...(base
      ? {
          protocol: base.protocol === 'http:' ? 'http' : 'https',
          host: base.hostname,
          port: base.port || (base.protocol === 'http:' ? 80 : 443),
        }
      : {}),
  });
}
