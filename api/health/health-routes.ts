import Router from '@koa/router';
import { checkReadiness, type ReadinessCheck } from './readiness.ts';
import { problemBody } from '../http/problem.ts';

/**
 * /health says the process is alive (liveness); /ready says every dependency answers
 * (readiness) and names the ones that do not. Both sit at the root, beside /api.
 */
export function healthRouter(checks: readonly ReadinessCheck[]): Router {
  const router = new Router();
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/ready', async (ctx) => {
    const report = await checkReadiness(checks);
    if (report.ready) {
      ctx.body = { status: 'ready', checks: report.checks };
      return;
    }
    const failing = Object.entries(report.checks)
      .filter(([, r]) => !r.ok)
      .map(([name]) => name);
    ctx.status = 503;
    ctx.set('Retry-After', '5');
    ctx.type = 'application/problem+json';
    ctx.body = { ...problemBody(503, `not ready: ${failing.join(', ')} did not answer`), checks: report.checks };
  });
  return router;
}
