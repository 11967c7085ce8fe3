import type Router from '@koa/router';
import type { Context } from 'koa';
import type { RouteDef, Principal } from './route.ts';
import { readJsonBody } from './read-body.ts';
import { validationProblem } from './zod-errors.ts';
import { assertJsonShape } from './json-shape.ts';
import { unauthorized } from './problem.ts';

/** Resolves the caller for a route's access rule, throwing 401/403 problems. */
export type Authorize = (ctx: Context, route: RouteDef) => Promise<Principal | null>;

function queryObject(ctx: Context): Record<string, string | string[]> {
  return ctx.query as Record<string, string | string[]>;
}

/**
 * Mounts route definitions on the router: authorise, then decode params, query and body
 * with the route's own zod schemas, then call the handler and encode its reply.
 * The same definitions generate the OpenAPI document, so the two cannot drift.
 */
export function registerRoutes(router: Router, routes: readonly RouteDef[], authorize: Authorize): void {
  for (const route of routes) {
    router[route.method](route.operationId, route.path, async (ctx: Context) => {
      const principal = await authorize(ctx, route);
      // The handler of a route with an access rule is typed to get a caller: hold whichever
      // Authorize is plugged in to that, rather than hand a handler the null it cannot expect.
      if (!principal && !('public' in route.access)) throw unauthorized('authentication required');
      const parse = (schema: RouteDef['params'], value: unknown, where: string) => {
        if (!schema) return value;
        const result = schema.safeParse(value);
        if (!result.success) throw validationProblem(result.error, where);
        return result.data;
      };
      // A NUL in a path or query value fails like one in a body (json-shape.ts), before any schema.
      assertJsonShape(ctx.params, ['params']);
      assertJsonShape(queryObject(ctx), ['query']);
      const params = parse(route.params, ctx.params, 'params');
      const query = parse(route.query, queryObject(ctx), 'query');
      let body: unknown;
      if (route.body && !('raw' in route.body)) {
        const raw = await readJsonBody(ctx, route.body.limit, route.body.contentTypes);
        body = parse(route.body.schema, raw, '');
      }
      const reply = await route.handler({ params, query, body, principal, ctx });
      ctx.status = reply.status;
      for (const [k, v] of Object.entries(reply.headers ?? {})) ctx.set(k, v);
      if (reply.body !== undefined) {
        if (reply.type) ctx.type = reply.type;
        ctx.body = reply.body;
      }
    });
  }
}
