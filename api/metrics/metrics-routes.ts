import Router from '@koa/router';
import type { Metrics } from './metrics.ts';

/**
 * GET /metrics at the root, beside /health, in the Prometheus text format. It exposes
 * counters only, never tenant data, and is meant for the cluster's scraper (restrict it at
 * the ingress when the API is public).
 */
export function metricsRouter(metrics: Metrics): Router {
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  return router;
}
