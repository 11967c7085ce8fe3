import type { Logger } from 'pino';
import type { Config } from '../config/env-schema.ts';
import type { Lifecycle } from '../lifecycle.ts';
import type { Stack } from '../stack/open-stack.ts';
import { createApp } from '../../api/app.ts';
import type { AppDeps } from '../../api/deps.ts';
import { listen } from './serve-http.ts';
import { appDepsOf } from './app-deps.ts';
import { createRealtime } from './realtime.ts';
import { createMeteringRuntime, ingestOptionsOf } from '../../api/ingest/metering-runtime.ts';
import { createMetrics } from '../../api/metrics/metrics.ts';

/**
 * The API on HOST:PORT with its ingest batcher and WebSocket hub; shared by `start` and `api`.
 * `billing` is for the workflow-history recorder (test/replay), which shortens the dunning schedule.
 */
export async function serveApi(
  config: Config,
  stack: Stack,
  logger: Logger,
  life: Lifecycle,
  opts: Pick<AppDeps, 'fallback' | 'billing'> = {},
): Promise<void> {
  const realtime = createRealtime(config, stack, logger, life);
  // Stopped after the HTTP server (the Lifecycle stops in reverse), so requests in flight still get their insert.
  const metering = createMeteringRuntime({
    pg: stack.pg,
    clickhouse: stack.clickhouse.client,
    options: ingestOptionsOf(config),
    metrics: createMetrics({ processMetrics: true }),
  });
  life.add('ingest batcher', metering.stop);
  const deps = appDepsOf(config, stack, logger);
  const app = createApp({ ...deps, ...opts, usageTicks: realtime.usageTicks, metering });
  const http = await listen(app.koa, config.HOST, config.PORT);
  life.add('HTTP server', http.close);
  await realtime.attach(http.server, deps.principalOfHeaders);
}
