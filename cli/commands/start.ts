import type { Config } from '../config/env-schema.ts';
import { openStack } from '../stack/open-stack.ts';
import { runWorker } from './run-worker.ts';
import { runService } from './run-service.ts';
import { serveApi } from './serve-api.ts';
import { dashboardMiddleware, dashboardOptionsOf } from '../dashboard/dashboard-middleware.ts';
import { ensureFirstAdmin } from '../admin/create-admin.ts';
import { seedDemoAs } from '../seed/seed-as.ts';

/** The all-in-one development stack: API + worker + dashboard in one process. */
export async function start(config: Config): Promise<void> {
  const started = performance.now();
  await runService(config, async ({ logger, life }) => {
    const stack = await openStack(config, logger, life, { migrate: true, temporal: true });
    const firstAdmin = await ensureFirstAdmin(stack.pg, config.ADMIN_EMAIL, config.ADMIN_PASSWORD);
    await runWorker(config, stack, logger, life);
    const fallback = await dashboardMiddleware(dashboardOptionsOf(config, stack), logger);
    await serveApi(config, stack, logger, life, { fallback });
    const base = `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${config.PORT}`;
    const lines = [
      `Meterplane is ready in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      `  Dashboard    ${base}/`,
      `  API          ${base}/api   (reference: ${base}/api/docs)`,
      `  Health       ${base}/health  ${base}/ready`,
      `  Temporal UI  ${stack.temporal.uiUrl ?? '(external Temporal: see TEMPORAL_UI_URL)'}`,
      `  Data         ${config.DATA_DIR}`,
      ...(firstAdmin
        ? [
            '',
            `  First admin  ${firstAdmin.email}  password: ${firstAdmin.password}${firstAdmin.generated ? '  (generated; shown once, change it or set ADMIN_PASSWORD)' : ''}`,
          ]
        : []),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n\n`);
    if (firstAdmin && config.SEED_DEMO) {
      // In the background: the stack is usable while the demo fills in.
      void seedDemoAs(base, firstAdmin, (line) => logger.info(line)).catch((err: unknown) => logger.error({ err }, 'demo seed failed'));
    }
  });
}
