import type { Config } from '../config/env-schema.ts';
import { openStack } from '../stack/open-stack.ts';
import { runService } from './run-service.ts';
import { serveApi } from './serve-api.ts';

/** The stateless API role of the production topology. */
export async function api(config: Config): Promise<void> {
  await runService(config, async ({ logger, life }) => {
    const stack = await openStack(config, logger, life, { migrate: false, temporal: true });
    await serveApi(config, stack, logger, life);
    logger.info({ host: config.HOST, port: config.PORT }, 'API listening');
  });
}
