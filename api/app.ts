import Koa from 'koa';
import Router from '@koa/router';
import cors from '@koa/cors';
import helmet from 'koa-helmet';
import type { Logger } from 'pino';
import { errorMiddleware } from './http/error-middleware.ts';
import { API_CSP } from './http/content-security-policy.ts';
import { requestContext } from './http/request-context.ts';
import { registerRoutes } from './http/register-routes.ts';
import { methodNotAllowed } from './http/method-not-allowed.ts';
import { healthRouter } from './health/health-routes.ts';
import { dependencyChecks } from './health/dependency-checks.ts';
import { buildRoutes } from './routes.ts';
import { createAuthorize } from './auth/authorize.ts';
import { createPrincipalResolver } from './auth/principal.ts';
import { originSet } from './auth/cross-site.ts';
import type { RouteDef } from './http/route.ts';
import { createMeteringRuntime } from './ingest/metering-runtime.ts';
import type { AppDeps } from './deps.ts';
import { metricsRouter } from './metrics/metrics-routes.ts';

export type App = { koa: Koa; routes: readonly RouteDef[]; apiRouter: Router };

export function createApp(deps: AppDeps): App {
  const koa = new Koa(proxyOptions(deps.trustProxy ?? 0));
  // What the error middleware cannot answer (the connection broke, the client sent garbage
  // mid-request) reaches Koa's 'error' event, whose default prints a bare stack to stderr.
  koa.on('error', (err: Error, ctx?: Koa.Context) => {
    ((ctx?.state.log as Logger | undefined) ?? deps.logger).warn(
      { err: { message: err.message, code: (err as { code?: string }).code } },
      'request failed outside the error middleware',
    );
  });
  koa.use(requestContext(deps.logger));
  koa.use(errorMiddleware(deps.logger));
  // helmet's other headers as they are. Its CSP default would allow more than an API needs and
  // upgrades http subresources to https, which breaks plain-http deployments: ours instead.
  koa.use(helmet({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false }));
  koa.use(async (ctx, next) => {
    ctx.set('Content-Security-Policy', API_CSP);
    await next();
  });
  if (deps.corsOrigin)
    koa.use(cors({ origin: deps.corsOrigin, credentials: true, exposeHeaders: ['Location', 'Retry-After', 'X-Request-Id'] }));

  const health = healthRouter(dependencyChecks(deps.pg, deps.clickhouse, deps.temporal));
  koa.use(health.routes());

  const metering = deps.metering ?? createMeteringRuntime({ pg: deps.pg, clickhouse: deps.clickhouse });
  koa.use(metricsRouter(metering.metrics).routes());
  const routes = buildRoutes({ ...deps, metering });
  const apiRouter = new Router({ prefix: '/api' });
  const principalOfHeaders = deps.principalOfHeaders ?? createPrincipalResolver(deps.auth, deps.pg);
  registerRoutes(
    apiRouter,
    routes,
    deps.authorize ?? createAuthorize(principalOfHeaders, { allowedOrigins: originSet([deps.corsOrigin]) }),
  );
  koa.use(methodNotAllowed(apiRouter));
  koa.use(apiRouter.routes());
  if (deps.fallback) koa.use(deps.fallback);
  return { koa, routes, apiRouter };
}

/**
 * With n trusted proxies, each appends the address it received the request from, so the
 * n-th entry from the right of X-Forwarded-For is the client as the outermost trusted proxy
 * saw it; whatever stands left of it came from the client and is ignored. Koa keeps the last
 * `maxIpsCount` entries and takes the first of them, which is exactly that entry. With none,
 * the header (and X-Forwarded-Proto/Host) would be anyone's to forge, so it is not read.
 */
function proxyOptions(trustedHops: number): { proxy: boolean; maxIpsCount?: number } {
  return trustedHops > 0 ? { proxy: true, maxIpsCount: trustedHops } : { proxy: false };
}
