import type { Config } from '../config/env-schema.ts';
import { createLogger } from '../logger.ts';
import { Lifecycle } from '../lifecycle.ts';
import { openStack } from '../stack/open-stack.ts';

/** Applies PostgreSQL and ClickHouse migrations (embedded ones when nothing is configured) and exits. */
export async function migrate(config: Config): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL);
  const life = new Lifecycle((line) => logger.info(line));
  try {
    await openStack(config, logger, life, { migrate: true, temporal: false });
    logger.info('migrations are up to date');
  } finally {
    await life.stopAll();
  }
}
