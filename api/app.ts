import Koa from 'koa';
import Router from '@koa/router';
import cors from '@koa/cors';
import helmet from 'koa-helmet';
import type { Logger } from 'pino';
import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Client as TemporalClient } from '@temporalio/client';
import { errorMiddleware } from './http/error-middleware.ts';
import { requestContext } from './http/request-context.ts';
import { registerRoutes, type Authorize } from './http/register-routes.ts';
import { methodNotAllowed } from './http/method-not-allowed.ts';
import { healthRouter } from './health/health-routes.ts';
import { dependencyChecks } from './health/dependency-checks.ts';
import { buildRoutes } from './routes.ts';
import { createAuthorize } from './auth/authorize.ts';
import type { AuthConfig } from './auth/tokens.ts';
import type { RouteDef } from './http/route.ts';
import type { BillingApiOptions } from './subscriptions/billing-routes.ts';
import { createMeteringRuntime, type MeteringRuntime } from './ingest/metering-runtime.ts';
import { metricsRouter } from './metrics/metrics-routes.ts';
import type { UsageTickCounter } from './realtime/usage-ticks.ts';

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
  corsOrigin?: string;
  /** Counts acknowledged events for the live usage.tick (api/realtime); ingest calls it when set. */
  usageTicks?: UsageTickCounter;
  /** Serves everything outside /api, /health, /ready (the dashboard in the all-in-one stack). */
  fallback?: Koa.Middleware;
};

export type App = { koa: Koa; routes: readonly RouteDef[]; apiRouter: Router };

export function createApp(deps: AppDeps): App {
  const koa = new Koa({ proxy: true });
  koa.use(requestContext(deps.logger));
  koa.use(errorMiddleware(deps.logger));
  koa.use(helmet({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false }));
  if (deps.corsOrigin) koa.use(cors({ origin: deps.corsOrigin, credentials: true, exposeHeaders: ['Location', 'Retry-After', 'X-Request-Id'] }));

  const health = healthRouter(dependencyChecks(deps.pg, deps.clickhouse, deps.temporal));
  koa.use(health.routes());

  const metering = deps.metering ?? createMeteringRuntime({ pg: deps.pg, clickhouse: deps.clickhouse });
  koa.use(metricsRouter(metering.metrics).routes());
  const routes = buildRoutes({ ...deps, metering });
  const apiRouter = new Router({ prefix: '/api' });
  registerRoutes(apiRouter, routes, deps.authorize ?? createAuthorize(deps.auth, deps.pg));
  koa.use(methodNotAllowed(apiRouter));
  koa.use(apiRouter.routes());
  if (deps.fallback) koa.use(deps.fallback);
  return { koa, routes, apiRouter };
}
