import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { HttpProblem } from './problem.ts';

/**
 * For a path that some route serves, a method that none of its routes declares answers 405 with
 * `Allow` (RFC 9110), whatever the method: the router itself would answer 501 to methods it does
 * not know, such as TRACE. OPTIONS answers 204 with the same `Allow`. A path no route serves
 * falls through, and ends as 404.
 */
export function methodNotAllowed(router: Router): Middleware {
  return async (ctx, next) => {
    const layers = router.match(ctx.path, ctx.method).path.filter((layer) => layer.methods.length > 0);
    if (layers.length === 0) return next();
    // A literal segment wins over a parameter: /invoices/generate is that path (POST), not
    // /invoices/:id with id "generate", so GET on it is 405 rather than a 400 about the id.
    const params = (layer: (typeof layers)[number]) => layer.paramNames.length;
    const fewest = Math.min(...layers.map(params));
    const methods = new Set(layers.filter((layer) => params(layer) === fewest).flatMap((layer) => layer.methods));
    if (methods.has(ctx.method)) return next();
    const allow = [...methods, 'OPTIONS'].sort().join(', ');
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204;
      ctx.set('Allow', allow);
      return;
    }
    throw new HttpProblem(405, `${ctx.method} is not allowed on ${ctx.path}; allowed: ${allow}`, { headers: { Allow: allow } });
  };
}
