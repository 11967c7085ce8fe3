import type { DestinationPolicy } from '../../domain/webhooks/destination.ts';
import type { Config } from './env-schema.ts';

/**
 * Where webhooks may go, from the configuration: private destinations are allowed unless
 * WEBHOOK_ALLOW_PRIVATE says otherwise, and it says otherwise by default in production;
 * production also requires https. The API (endpoint creation) and the worker (delivery)
 * take the same policy.
 */
export function webhookDestinationsOf(c: Pick<Config, 'NODE_ENV' | 'WEBHOOK_ALLOW_PRIVATE'>): DestinationPolicy {
  const production = c.NODE_ENV === 'production';
  return { allowPrivate: c.WEBHOOK_ALLOW_PRIVATE ?? !production, requireHttps: production };
}
