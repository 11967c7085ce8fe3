import type { Config } from '../config/env-schema.ts';
import { createLogger } from '../logger.ts';
import { Lifecycle } from '../lifecycle.ts';
import { openStack } from '../stack/open-stack.ts';
import { createApp } from '../../api/app.ts';
import { listen } from './serve-http.ts';
import { appDepsOf } from './app-deps.ts';
import { createRealtime } from './realtime.ts';
import { createMeteringRuntime, ingestOptionsOf } from '../../api/ingest/metering-runtime.ts';
import { createMetrics } from '../../api/metrics/metrics.ts';

/** The stateless API role of the production topology. */
export async function api(config: Config): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL);
  const life = new Lifecycle((line) => logger.info(line));
  life.exitOnSignals();
  try {
    const stack = await openStack(config, logger, life, { migrate: false, temporal: true });
    const realtime = createRealtime(config, stack, logger, life);
    // Stopped after the HTTP server (the Lifecycle stops in reverse), so requests in flight still get their insert.
    const metering = createMeteringRuntime({ pg: stack.pg, clickhouse: stack.clickhouse.client, options: ingestOptionsOf(config), metrics: createMetrics({ processMetrics: true }) });
    life.add('ingest batcher', metering.stop);
    const app = createApp({ ...appDepsOf(config, stack, logger), usageTicks: realtime.usageTicks, metering });
    const http = await listen(app.koa, config.HOST, config.PORT);
    life.add('HTTP server', http.close);
    await realtime.attach(http.server);
    logger.info({ host: config.HOST, port: config.PORT }, 'API listening');
  } catch (err) {
    logger.error({ err }, 'start-up failed');
    await life.stopAll();
    process.exit(1);
  }
}
