import Koa from 'koa';
import type { Config } from '../config/env-schema.ts';
import { openStack } from '../stack/open-stack.ts';
import { runWorker } from './run-worker.ts';
import { listen } from './serve-http.ts';
import { runService } from './run-service.ts';
import { healthRouter } from '../../api/health/health-routes.ts';
import { dependencyChecks } from '../../api/health/dependency-checks.ts';

/** The stateless worker role; it serves /health and /ready on PORT for probes. */
export async function worker(config: Config): Promise<void> {
  await runService(config, async ({ logger, life }) => {
    const stack = await openStack(config, logger, life, { migrate: false, temporal: true });
    await runWorker(config, stack, logger, life);
    const probes = new Koa();
    probes.use(healthRouter(dependencyChecks(stack.pg, stack.clickhouse.client, stack.temporal.client)).routes());
    const http = await listen(probes, config.HOST, config.PORT);
    life.add('probe server', http.close);
    logger.info({ taskQueue: 'billing' }, 'worker running');
  });
}
