import type { Config } from '../config/env-schema.ts';
import { createLogger } from '../logger.ts';
import { Lifecycle } from '../lifecycle.ts';
import { openStack } from '../stack/open-stack.ts';
import { createApp } from '../../api/app.ts';
import { listen } from './serve-http.ts';
import { appDepsOf } from './app-deps.ts';
import { runWorker } from './run-worker.ts';
import { createRealtime } from './realtime.ts';
import { createMeteringRuntime, ingestOptionsOf } from '../../api/ingest/metering-runtime.ts';
import { createMetrics } from '../../api/metrics/metrics.ts';
import { dashboardMiddleware, dashboardOptionsOf } from '../dashboard/dashboard-middleware.ts';
import { ensureFirstAdmin } from '../admin/create-admin.ts';
import { seedDemoAs } from '../seed/seed-as.ts';

/** The all-in-one development stack: API + worker + dashboard in one process. */
export async function start(config: Config): Promise<void> {
  const started = performance.now();
  const logger = createLogger(config.LOG_LEVEL);
  const life = new Lifecycle((line) => logger.info(line));
  life.exitOnSignals();
  try {
    const stack = await openStack(config, logger, life, { migrate: true, temporal: true });
    const firstAdmin = await ensureFirstAdmin(stack.pg, config.ADMIN_EMAIL, config.ADMIN_PASSWORD);
    await runWorker(config, stack, logger, life);
    const fallback = await dashboardMiddleware(dashboardOptionsOf(config, stack), logger);
    const realtime = createRealtime(config, stack, logger, life);
    // Stopped after the HTTP server (the Lifecycle stops in reverse), so requests in flight still get their insert.
    const metering = createMeteringRuntime({ pg: stack.pg, clickhouse: stack.clickhouse.client, options: ingestOptionsOf(config), metrics: createMetrics({ processMetrics: true }) });
    life.add('ingest batcher', metering.stop);
    const app = createApp({ ...appDepsOf(config, stack, logger), fallback, usageTicks: realtime.usageTicks, metering });
    const http = await listen(app.koa, config.HOST, config.PORT);
    life.add('HTTP server', http.close);
    await realtime.attach(http.server);
    const base = `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${config.PORT}`;
    const lines = [
      `Meterplane is ready in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      `  Dashboard    ${base}/`,
      `  API          ${base}/api   (reference: ${base}/api/docs)`,
      `  Health       ${base}/health  ${base}/ready`,
      `  Temporal UI  ${stack.temporal.uiUrl ?? '(external Temporal: see TEMPORAL_UI_URL)'}`,
      `  Data         ${config.DATA_DIR}`,
      ...(firstAdmin
        ? ['', `  First admin  ${firstAdmin.email}  password: ${firstAdmin.password}${firstAdmin.generated ? '  (generated; shown once, change it or set ADMIN_PASSWORD)' : ''}`]
        : []),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n\n`);
    if (firstAdmin && config.SEED_DEMO) {
      // In the background: the stack is usable while the demo fills in.
      void seedDemoAs(base, firstAdmin, (line) => logger.info(line)).catch((err: unknown) => logger.error({ err }, 'demo seed failed'));
    }
  } catch (err) {
    logger.error({ err }, 'start-up failed');
    await life.stopAll();
    process.exit(1);
  }
}
