import type Koa from 'koa';
import type { Logger } from 'pino';
import type { Config } from '../config/env-schema.ts';
import type { Stack } from '../stack/open-stack.ts';
import { DEFAULT_BUILD_DIR, isBuilt, loadHandler, originFromEnv } from '../../dashboard/serve.ts';
import { HttpProblem } from '../../api/http/problem.ts';

export type DashboardOptions = {
  /** Where the API answers for the dashboard's server side; the all-in-one stack passes its own address. */
  apiUrl: string;
  temporalUiUrl?: string | undefined;
  temporalNamespace: string;
  buildDir?: string;
};

/** The all-in-one stack's dashboard: it calls the API over loopback on the stack's own port. */
export function dashboardOptionsOf(config: Config, stack: Stack): DashboardOptions {
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  return {
    apiUrl: `http://${host.includes(':') ? `[${host}]` : host}:${config.PORT}`,
    temporalUiUrl: stack.temporal.uiUrl,
    temporalNamespace: config.TEMPORAL_NAMESPACE,
  };
}

/**
 * The origin a request addressed, from Koa's protocol and host (X-Forwarded-Proto and -Host
 * behind a proxy): `scheme://host[:port]`, or a 400 when the headers name no such thing.
 */
export function requestOrigin(protocol: string, host: string): string {
  if (protocol === 'http' || protocol === 'https') {
    try {
      const url = new URL(`${protocol}://${host}`);
      // Only a host[:port]: nothing that would make the URL reach past its authority.
      if (host && !url.username && !url.password && url.pathname === '/' && !url.search && !url.hash && !/[/?#@\\]/.test(host))
        return url.origin;
    } catch {
      // falls through to the 400
    }
  }
  throw new HttpProblem(400, 'the Host (or X-Forwarded-Host / X-Forwarded-Proto) header does not name an http(s) origin');
}

/** Paths the dashboard never serves: they belong to the API and the probes, even when unmatched. */
const NOT_OURS = /^\/(api|health|ready|metrics)(\/|$)/;

/**
 * The dashboard as Koa middleware for `AppDeps.fallback`: the adapter-node handler built by
 * `npm run build:dashboard`, mounted at `/` in the same server as the API.
 *
 * The request's origin is Koa's view of it (X-Forwarded-Proto/Host count only with TRUST_PROXY), or
 * ORIGIN when set. The dashboard's configuration is read from process.env when the handler
 * loads, so API_URL etc. are filled in there first unless the environment already sets them.
 */
export async function dashboardMiddleware(options: DashboardOptions, logger: Logger): Promise<Koa.Middleware> {
  const buildDir = options.buildDir ?? DEFAULT_BUILD_DIR;
  if (!isBuilt(buildDir)) {
    logger.warn({ buildDir }, 'the dashboard is not built: run `npm run build:dashboard` (npm start does this)');
    return async (ctx, next) => {
      if (NOT_OURS.test(ctx.path)) return next();
      ctx.status = 503;
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = 'The dashboard is not built. Run `npm run build:dashboard`, or start with `npm start`, which builds it.\n';
    };
  }
  const fixedOrigin = originFromEnv(process.env.ORIGIN);
  process.env.API_URL ||= options.apiUrl;
  if (options.temporalUiUrl) process.env.TEMPORAL_UI_URL ||= options.temporalUiUrl;
  process.env.TEMPORAL_NAMESPACE ||= options.temporalNamespace;
  const handle = await loadHandler(buildDir);

  return async (ctx, next) => {
    if (NOT_OURS.test(ctx.path)) return next();
    const origin = fixedOrigin ?? requestOrigin(ctx.protocol, ctx.host);
    ctx.respond = false; // the handler writes the raw response itself
    // The API's policy (set on every response) would forbid the page's own scripts; the
    // dashboard sends its own, with a nonce per page.
    ctx.res.removeHeader('Content-Security-Policy');
    await new Promise<void>((resolve) => {
      ctx.res.once('close', resolve);
      ctx.res.once('finish', resolve);
      handle(ctx.req, ctx.res, origin, () => {
        ctx.res.statusCode = 404;
        ctx.res.end();
      });
    });
    // The response is written; tell the error middleware it has a body (a dashboard 404 page is not an API 404).
    ctx.body = null;
  };
}
