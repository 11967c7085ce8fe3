import Koa from 'koa';
import type { Config } from '../config/env-schema.ts';
import { createLogger } from '../logger.ts';
import { Lifecycle } from '../lifecycle.ts';
import { openStack } from '../stack/open-stack.ts';
import { runWorker } from './run-worker.ts';
import { listen } from './serve-http.ts';
import { healthRouter } from '../../api/health/health-routes.ts';
import { pgReadiness, clickhouseReadiness, temporalReadiness } from '../../api/health/dependency-checks.ts';

/** The stateless worker role; it serves /health and /ready on PORT for probes. */
export async function worker(config: Config): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL);
  const life = new Lifecycle((line) => logger.info(line));
  life.exitOnSignals();
  try {
    const stack = await openStack(config, logger, life, { migrate: false, temporal: true });
    await runWorker(config, stack, logger, life);
    const probes = new Koa();
    probes.use(healthRouter([pgReadiness(stack.pg), clickhouseReadiness(stack.clickhouse.client), temporalReadiness(stack.temporal.client)]).routes());
    const http = await listen(probes, config.HOST, config.PORT);
    life.add('probe server', http.close);
    logger.info({ taskQueue: 'billing' }, 'worker running');
  } catch (err) {
    logger.error({ err }, 'start-up failed');
    await life.stopAll();
    process.exit(1);
  }
}
