import type Koa from 'koa';
import type { Logger } from 'pino';
import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Client as TemporalClient } from '@temporalio/client';
import type { Authorize } from './http/register-routes.ts';
import type { PrincipalOfHeaders } from './auth/principal.ts';
import type { AuthConfig } from './auth/tokens.ts';
import type { MeteringRuntime } from './ingest/metering-runtime.ts';
import type { UsageTickCounter } from './realtime/usage-ticks.ts';
import type { DestinationPolicy, Resolve } from '../domain/webhooks/destination.ts';
import type { StripeWebhookSettings } from './payments/stripe-webhook-service.ts';

/** How the API drives billing workflows (AppDeps.billing). */
export type BillingApiOptions = {
  /** Set the TenantId and SubscriptionStatus search attributes on new workflows (default true). */
  searchAttributes?: boolean;
  /** Days after issue of each payment attempt (default 0, 3, 5, 7). */
  dunningScheduleDays?: number[];
  /** How long POST /invoices/generate waits for the finalized invoice before answering 202 (default 30 s). */
  generateWaitMs?: number;
};

/** What the API needs from the outside world; cli/ builds it, tests build their own. */
export type AppDeps = {
  /** Ingest batcher, metrics and meter/tenant caches; cli/ passes one it stops on shutdown, tests get a default. */
  metering?: MeteringRuntime;
  logger: Logger;
  pg: DatabasePool;
  clickhouse: ClickHouseClient;
  temporal: TemporalClient;
  auth: AuthConfig;
  /** How subscriptions and invoices drive the billing workflows (search attributes, dunning schedule, invoice-now wait). */
  billing?: BillingApiOptions;
  /** Resolves and checks the caller; by default JWT sessions and tenant API keys. */
  authorize?: Authorize;
  /** Who is calling, from a request's headers; cli/ shares one with the WebSocket hub, tests get a default. */
  principalOfHeaders?: PrincipalOfHeaders;
  corsOrigin?: string;
  /**
   * Reverse proxies in front of the API that append to X-Forwarded-For (TRUST_PROXY). 0, the
   * default: X-Forwarded-* headers are ignored and the client is the TCP peer.
   */
  trustProxy?: number;
  /** Counts acknowledged events for the live usage.tick (api/realtime); ingest calls it when set. */
  usageTicks?: UsageTickCounter;
  /** Serves everything outside /api, /health, /ready (the dashboard in the all-in-one stack). */
  fallback?: Koa.Middleware;
  /**
   * Which webhook URLs endpoints may have (cli/ passes the configured policy). Absent:
   * private addresses and plain http allowed, as in development and tests. `resolve`
   * replaces DNS (tests).
   */
  webhookDestinations?: DestinationPolicy & { resolve?: Resolve };
  /** The Stripe webhook's secret (STRIPE_WEBHOOK_SECRET); absent: POST /payments/stripe/webhook answers 503. */
  stripe?: StripeWebhookSettings;
};

/** What the route areas get: AppDeps with the metering runtime createApp settled on. */
export type RouteDeps = AppDeps & { metering: MeteringRuntime };
