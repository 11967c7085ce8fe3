import type { Logger } from 'pino';
import type { Config } from '../config/env-schema.ts';
import type { Stack } from '../stack/open-stack.ts';
import type { AppDeps } from '../../api/deps.ts';
import { createPrincipalResolver, type PrincipalOfHeaders } from '../../api/auth/principal.ts';
import { webhookDestinationsOf } from '../config/webhook-destinations.ts';

/**
 * The API's dependencies from config and an open stack; shared by `start` and `api`. The
 * caller resolver is one per process, for the routes and the WebSocket hub alike.
 */
export function appDepsOf(config: Config, stack: Stack, logger: Logger): AppDeps & { principalOfHeaders: PrincipalOfHeaders } {
  const auth = { jwtSecret: stack.jwtSecret, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ttlSeconds: config.JWT_TTL_SECONDS };
  return {
    logger,
    pg: stack.pg,
    clickhouse: stack.clickhouse.client,
    temporal: stack.temporal.client,
    auth,
    principalOfHeaders: createPrincipalResolver(auth, stack.pg),
    corsOrigin: config.CORS_ORIGIN,
    trustProxy: config.TRUST_PROXY,
    webhookDestinations: webhookDestinationsOf(config),
    ...(config.STRIPE_WEBHOOK_SECRET ? { stripe: { webhookSecret: config.STRIPE_WEBHOOK_SECRET } } : {}),
  };
}
